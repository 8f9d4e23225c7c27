package model

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/nn"
)

// Scopes of the hyperprior.
const (
	ScopeHyperAnalysis     = "hyper_analysis"
	ScopeHyperSynthesis    = "hyper_synthesis"
	ScopeEntropyBottleneck = "entropy_bottleneck"
)

// JoinLatents concatenates the coded latent y = [y_img, y_sem] on the channel axis;
// y_sem is left out when cfg does not code it.
func JoinLatents(cfg Config, yImg, ySem *graph.Node) *graph.Node {
	if !cfg.CodesSemantic() {
		return yImg
	}
	if ySem == nil {
		panic(fmt.Errorf("model.JoinLatents: configuration %q codes y_sem but it is nil", cfg.Name))
	}
	return graph.Concatenate([]*graph.Node{yImg, ySem}, 3)
}

// SplitLatent undoes JoinLatents: channels [0, MImage) are y_img, the rest y_sem (nil
// when cfg does not code it).
func SplitLatent(cfg Config, y *graph.Node) (yImg, ySem *graph.Node) {
	checkLatent(y, cfg.LatentChannels(), "y")
	if !cfg.CodesSemantic() {
		return y, nil
	}
	yImg = graph.Slice(y, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(0, cfg.MImage))
	ySem = graph.Slice(y, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRangeToEnd(cfg.MImage))
	return yImg, ySem
}

// HyperAnalysis maps the coded latent y [B,h,w,LatentChannels] (h, w multiples of 4)
// to z [B,h/4,w/4,NHyper]: |y|, "conv1" 3x3, ReLU, "conv2" 5x5/2, ReLU, "conv3" 5x5/2.
func HyperAnalysis(ctx *context.Context, cfg Config, y *graph.Node) *graph.Node {
	cfg.mustValidate()
	checkLatent(y, cfg.LatentChannels(), "y")
	ctx = ctx.In(ScopeHyperAnalysis)
	h := graph.Abs(y)
	h = nn.Relu(nn.Convolution(ctx.In("conv1"), h, cfg.NHyper).Done())
	h = nn.Relu(nn.Convolution(ctx.In("conv2"), h, cfg.NHyper).Kernel(5, 5).Stride(2).Done())
	return nn.Convolution(ctx.In("conv3"), h, cfg.NHyper).Kernel(5, 5).Stride(2).Done()
}

// HyperSynthesis maps the quantized hyper-latent ẑ [B,h,w,NHyper] to the Gaussian
// scales of y [B,4h,4w,LatentChannels] (the codec recomputes exactly this in fixed
// point, package fixedpoint): "up1" and "up2" are conv3x3 to 4·NHyper, depth-to-space,
// ReLU; "out" is conv3x3 to LatentChannels, ReLU; scales = max(., ScaleLowerBound).
// With cfg.TransposedHyperSynthesis "up1" and "up2" are 5×5 stride-2 transposed
// convolutions instead (not codable).
func HyperSynthesis(ctx *context.Context, cfg Config, zHat *graph.Node) *graph.Node {
	cfg.mustValidate()
	checkLatent(zHat, cfg.NHyper, "ẑ")
	ctx = ctx.In(ScopeHyperSynthesis)
	up := func(ctx *context.Context, h *graph.Node) *graph.Node {
		if cfg.TransposedHyperSynthesis {
			return nn.TransposedConvolution(ctx, h, cfg.NHyper, 5, 2)
		}
		return nn.SubPixelConv(ctx, h, cfg.NHyper, 3)
	}
	h := nn.Relu(up(ctx.In("up1"), zHat))
	h = nn.Relu(up(ctx.In("up2"), h))
	h = nn.Relu(nn.Convolution(ctx.In("out"), h, cfg.LatentChannels()).Done())
	return nn.LowerBound(h, nn.ScaleLowerBound)
}

// Bottleneck returns the factorized entropy model of z (scope "entropy_bottleneck").
func Bottleneck(ctx *context.Context, cfg Config) *nn.EntropyBottleneck {
	return nn.NewEntropyBottleneck(ctx.In(ScopeEntropyBottleneck), cfg.NHyper, cfg.BottleneckWidths())
}

// ZLikelihoods evaluates the bottleneck's probability of integer-valued (or any)
// values of z laid out per channel, values [NHyper, P] -> [NHyper, P]. The codec builds
// its z tables from it (or from the same formula in pure Go, see nn.EntropyBottleneck).
func ZLikelihoods(ctx *context.Context, cfg Config, values *graph.Node) *graph.Node {
	cfg.mustValidate()
	checkRank(values, 2, "values")
	c := cfg.NHyper
	p := values.Shape().Dimensions[1]
	z := graph.Reshape(graph.Transpose(values, 0, 1), 1, 1, p, c)
	lik := Bottleneck(ctx, cfg).Likelihood(z)
	return graph.Transpose(graph.Reshape(lik, p, c), 0, 1)
}

// ZQuantiles returns the bottleneck's learned [NHyper, 3] quantiles (low, median,
// high): the codec's z table for channel c covers the integers in
// [floor(low_c), ceil(high_c)].
func ZQuantiles(ctx *context.Context, cfg Config, g *graph.Graph) *graph.Node {
	cfg.mustValidate()
	return Bottleneck(ctx, cfg).Quantiles(g, dtypeF32)
}

func checkLatent(y *graph.Node, channels int, what string) {
	if y == nil || y.Rank() != 4 || y.Shape().Dimensions[3] != channels {
		shape := "nil"
		if y != nil {
			shape = y.Shape().String()
		}
		panic(fmt.Errorf("model: want %s [B,h,w,%d], got %s", what, channels, shape))
	}
}

func checkRank(x *graph.Node, rank int, what string) {
	if x == nil || x.Rank() != rank {
		panic(fmt.Errorf("model: want %s of rank %d", what, rank))
	}
}
