package model

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/nn"
)

// enhance is the post-enhancement module (paper's section 3.3, Eq. 3-4). It works on
// 2x2 pixel blocks: inputs go through SpaceToDepth(2) and the result comes back by
// DepthToSpace(2), so every convolution runs at half resolution with 4x the channels.
// That keeps the FLOPs of full-resolution convolutions of the same receptive field but
// gives the CPU backend's matrix products 4x fewer, wider rows (narrow full-resolution
// convolutions ran 4-10x below its peak; see docs/architecture.md).
//
// Semantic side: s = softmax(logits); s_s = [max_c s, mean_c s]; "spatial" conv5x5 of
// S2D(s_s) + sigmoid gives spatial weights (one per feature channel) that multiply
// ReLU("seg" conv3x3 of S2D(s)): s_e. Image side: x̂_r = residual blocks "res<k>"
// ("conv1", ReLU, "conv2", + skip) on ReLU("image" conv3x3 of S2D(x̂)).
// Then x̂_e = x̂ + D2S("out"(ReLU("fuse"([s_e, x̂_r])))).
func enhance(ctx *context.Context, cfg Config, xHat, logits *graph.Node) *graph.Node {
	xd, ld := xHat.Shape().Dimensions, logits.Shape().Dimensions
	if logits.Rank() != 4 || ld[0] != xd[0] || ld[1] != xd[1] || ld[2] != xd[2] || ld[3] != cfg.Classes {
		panic(fmt.Errorf("model: segmentation logits %s do not match x̂ %s with %d classes",
			logits.Shape(), xHat.Shape(), cfg.Classes))
	}
	f := cfg.EnhanceWidth
	s := graph.Softmax(logits, -1)
	ss := graph.Concatenate([]*graph.Node{
		graph.ReduceAndKeep(s, graph.ReduceMax, -1),
		graph.ReduceAndKeep(s, graph.ReduceMean, -1),
	}, 3)
	weights := graph.Sigmoid(nn.Convolution(ctx.In("spatial"), nn.SpaceToDepth(ss, 2), f).Kernel(5, 5).Done())
	se := graph.Mul(weights, nn.Relu(nn.Convolution(ctx.In("seg"), nn.SpaceToDepth(s, 2), f).Done()))

	r := nn.Relu(nn.Convolution(ctx.In("image"), nn.SpaceToDepth(xHat, 2), f).Done())
	for k := range cfg.EnhanceBlocks {
		rctx := ctx.Inf("res%d", k)
		t := nn.Relu(nn.Convolution(rctx.In("conv1"), r, f).Done())
		r = graph.Add(r, nn.Convolution(rctx.In("conv2"), t, f).Done())
	}
	fused := nn.Relu(nn.Convolution(ctx.In("fuse"), graph.Concatenate([]*graph.Node{se, r}, 3), f).Done())
	return graph.Add(xHat, nn.DepthToSpace(nn.Convolution(ctx.In("out"), fused, 12).Done(), 2))
}
