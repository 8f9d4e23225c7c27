package model

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/nn"
)

// nbDilations cycles the dilation of the non-bt-1D blocks on the 1/16 grid, as ERFNet
// does on its 1/8 grid.
var nbDilations = []int{1, 2, 4, 8}

// aggregation is the multi-scale aggregation module (paper's Eq. 1), deepest first:
// f_y^1 = W_1 f_x^4, then for i = 3, 2, 1 an HFFB adds D_i(IGDN_i(f_x^i)) and applies
// non-bt-1D blocks. D_i brings f_x^i (at 1/2^i) onto the 1/16 grid with 4-i strided
// 3x3 convolutions, so the semantic latent shares y_img's grid and hyperprior.
//
// Scopes: "in" (conv3x3 + bn), "stage4/nb<k>", "hffb<i>/igdn", "hffb<i>/down<k>"
// (conv3x3/2, + bn except the last), "hffb<i>/nb<k>", "out" (conv3x3 to MSemantic).
func aggregation(ctx *context.Context, cfg Config, yImg *graph.Node, feats [3]*graph.Node) *graph.Node {
	return AggregationFuse(ctx, cfg, yImg, AggregationInputs(ctx, cfg, feats))
}

// AggregationInputs is the part of the aggregation module that works at the
// features' own resolutions: u[i-1] = D_i(IGDN_i(f_x^i)) on the 1/16 grid,
// with SemanticWidths[1] channels. ctx is the module's scope. The tiled
// encoder runs it on image tiles and AggregationFuse on latent-grid tiles.
func AggregationInputs(ctx *context.Context, cfg Config, feats [3]*graph.Node) (u [3]*graph.Node) {
	e1, e2 := cfg.SemanticWidths[0], cfg.SemanticWidths[1]
	for i := 3; i >= 1; i-- {
		hctx := ctx.Inf("hffb%d", i)
		h := nn.IGDN(hctx.In("igdn"), feats[i-1])
		steps := 4 - i
		for k := 1; k <= steps; k++ {
			if k == steps {
				h = nn.Convolution(hctx.Inf("down%d", k), h, e2).Stride(2).Done()
			} else {
				h = nn.Relu(nn.Convolution(hctx.Inf("down%d", k), h, e1).Stride(2).BatchNorm().Done())
			}
		}
		u[i-1] = h
	}
	return u
}

// AggregationFuse is the rest of the module, all on the 1/16 grid: from
// y_img and the HFFB inputs u (AggregationInputs) to y_sem.
func AggregationFuse(ctx *context.Context, cfg Config, yImg *graph.Node, u [3]*graph.Node) *graph.Node {
	e2 := cfg.SemanticWidths[1]
	h := nn.Relu(nn.Convolution(ctx.In("in"), yImg, e2).BatchNorm().Done())
	block := 0
	nbs := func(ctx *context.Context, h *graph.Node) *graph.Node {
		for k := range cfg.HFFBBlocks {
			d := nbDilations[block%len(nbDilations)]
			block++
			h = nn.NonBottleneck1D(ctx.Inf("nb%d", k), h, d, cfg.Dropout)
		}
		return h
	}
	h = nbs(ctx.In("stage4"), h)
	for i := 3; i >= 1; i-- {
		h = nbs(ctx.Inf("hffb%d", i), graph.Add(h, u[i-1]))
	}
	return nn.Convolution(ctx.In("out"), h, cfg.MSemantic).Done()
}

// semanticEncoder is the "aggregation off" ablation: an ERFNet-style encoder on the
// image with as many non-bt-1D blocks as the aggregation module. Scopes: "down1".."down4"
// (conv3x3/2 + bn), "nb2_<k>" (1/4 scale), "nb4_<k>" (1/16 grid), "out".
func semanticEncoder(ctx *context.Context, cfg Config, x *graph.Node) *graph.Node {
	e1, e2 := cfg.SemanticWidths[0], cfg.SemanticWidths[1]
	down := func(name string, h *graph.Node, out int) *graph.Node {
		return nn.Relu(nn.Convolution(ctx.In(name), h, out).Stride(2).BatchNorm().Done())
	}
	h := down("down1", x, min(16, e1))
	h = down("down2", h, e1)
	for k := range cfg.HFFBBlocks {
		h = nn.NonBottleneck1D(ctx.Inf("nb2_%d", k), h, 1, cfg.Dropout)
	}
	h = down("down3", h, e2)
	h = down("down4", h, e2)
	for k := range 3 * cfg.HFFBBlocks {
		h = nn.NonBottleneck1D(ctx.Inf("nb4_%d", k), h, nbDilations[k%len(nbDilations)], cfg.Dropout)
	}
	return nn.Convolution(ctx.In("out"), h, cfg.MSemantic).Done()
}
