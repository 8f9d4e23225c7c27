package nn

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/layers"
)

// NonBottleneck1D is ERFNet's residual block (Romera et al., IEEE T-ITS 2018), with the
// channel count kept:
//
//	conv3x1 -> ReLU -> conv1x3 -> BN -> ReLU ->
//	conv3x1 (dilation d) -> ReLU -> conv1x3 (dilation d) -> BN -> dropout -> ReLU(x + .)
//
// Sub-scopes of ctx: "conv3x1_1", "conv1x3_1" (+ "conv1x3_1/bn"), "conv3x1_2",
// "conv1x3_2" (+ "conv1x3_2/bn"); each conv has "weights" and "biases". Each BN sits
// in a "bn" scope under the conv it follows, which is where an exporter folds it.
// dropout is the rate used only while training (0 disables it).
func NonBottleneck1D(ctx *context.Context, x *graph.Node, dilation int, dropout float64) *graph.Node {
	if x.Rank() != 4 {
		layerPanicf("nn.NonBottleneck1D: input must be NHWC (rank 4), got shape %s", x.Shape())
	}
	c := x.Shape().Dimensions[3]
	h := Convolution(ctx.In("conv3x1_1"), x, c).Kernel(3, 1).Done()
	h = Relu(h)
	h = Convolution(ctx.In("conv1x3_1"), h, c).Kernel(1, 3).BatchNorm().Done()
	h = Relu(h)
	h = Convolution(ctx.In("conv3x1_2"), h, c).Kernel(3, 1).Dilation(dilation, 1).Done()
	h = Relu(h)
	h = Convolution(ctx.In("conv1x3_2"), h, c).Kernel(1, 3).Dilation(1, dilation).BatchNorm().Done()
	if dropout > 0 {
		h = layers.DropoutStatic(ctx, h, dropout)
	}
	return Relu(graph.Add(x, h))
}
