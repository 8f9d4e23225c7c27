package model

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/nn"
)

// Scopes of the encoder side.
const (
	ScopeAnalysis        = "analysis"         // base network (Ballé's analysis transform)
	ScopeAggregation     = "aggregation"      // multi-scale aggregation module (HFFBs)
	ScopeSemanticEncoder = "semantic_encoder" // ERFNet-style encoder, when Aggregation is off
)

// Analysis is the encoder: x [B,H,W,3] in [0,1], H and W multiples of PadMultiple,
// gives the image latent y_img [B,H/16,W/16,MImage] and the semantic latent y_sem
// [B,H/16,W/16,MSemantic] (nil when cfg.Semantic is off). Both are unquantized.
func Analysis(ctx *context.Context, cfg Config, x *graph.Node) (yImg, ySem *graph.Node) {
	cfg.mustValidate()
	checkImage(x, PadMultiple)
	yImg, feats := BaseNetwork(ctx.In(ScopeAnalysis), cfg, x)
	if !cfg.Semantic {
		return yImg, nil
	}
	if cfg.Aggregation {
		ySem = aggregation(ctx.In(ScopeAggregation), cfg, yImg, feats)
	} else {
		ySem = semanticEncoder(ctx.In(ScopeSemanticEncoder), cfg, x)
	}
	return yImg, ySem
}

// BaseNetwork: conv1..conv4 are 5x5 stride-2 convolutions, gdn1..gdn3 follow the first
// three. It returns f_x^4 = y_img and f_x^1..f_x^3 (the GDN outputs at 1/2, 1/4, 1/8).
func BaseNetwork(ctx *context.Context, cfg Config, x *graph.Node) (y *graph.Node, feats [3]*graph.Node) {
	h := x
	for i := 1; i <= 3; i++ {
		h = nn.Convolution(ctx.Inf("conv%d", i), h, cfg.N).Kernel(5, 5).Stride(2).Done()
		h = nn.GDN(ctx.Inf("gdn%d", i), h)
		feats[i-1] = h
	}
	y = nn.Convolution(ctx.In("conv4"), h, cfg.MImage).Kernel(5, 5).Stride(2).Done()
	return y, feats
}

// checkImage panics unless x is [B,H,W,3] with H and W multiples of multiple.
func checkImage(x *graph.Node, multiple int) {
	d := x.Shape().Dimensions
	if x.Rank() != 4 || d[3] != 3 || d[1]%multiple != 0 || d[2]%multiple != 0 || d[1] == 0 || d[2] == 0 {
		panic(fmt.Errorf("model: want images [B,H,W,3] with H and W positive multiples of %d, got %s",
			multiple, x.Shape()))
	}
}
