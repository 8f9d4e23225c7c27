package codec

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"semcodec/model"
	"semcodec/nn"
)

// The aggregation's dilated blocks see 20+ latent cells (320+ px) around
// each y_sem element, while everything at pixel resolution sees under 2
// cells. So with aggregation the tiled encoder cuts model.Analysis in two:
// stage A runs on image tiles with a small margin and stops once every
// branch is on the 1/16 grid; stage B finishes y_sem on tiles of the latent
// grid, 256x cheaper per element. Both mirror model.baseNetwork and
// model.aggregation layer for layer, in the same variable scopes;
// TestTiledMatchesUntiled checks them against model.Analysis.

// splitAnalysis reports whether the configuration uses stages A and B.
func splitAnalysis(cfg model.Config) bool { return cfg.Semantic && cfg.Aggregation }

// stageAChannels is the width of stage A's output: y_img and the three HFFB
// inputs u3, u2, u1 brought to the 1/16 grid.
func stageAChannels(cfg model.Config) int { return cfg.MImage + 3*cfg.SemanticWidths[1] }

// stageA: x [1,H,W,3] -> [y_img, u3, u2, u1] [1,H/16,W/16,stageAChannels].
func stageA(ctx *context.Context, cfg model.Config, x *graph.Node) *graph.Node {
	actx := ctx.In(model.ScopeAnalysis)
	var feats [3]*graph.Node
	h := x
	for i := 1; i <= 3; i++ {
		h = nn.Convolution(actx.Inf("conv%d", i), h, cfg.N).Kernel(5, 5).Stride(2).Done()
		h = nn.GDN(actx.Inf("gdn%d", i), h)
		feats[i-1] = h
	}
	yImg := nn.Convolution(actx.In("conv4"), h, cfg.MImage).Kernel(5, 5).Stride(2).Done()
	gctx := ctx.In(model.ScopeAggregation)
	e1, e2 := cfg.SemanticWidths[0], cfg.SemanticWidths[1]
	parts := []*graph.Node{yImg}
	for i := 3; i >= 1; i-- {
		hctx := gctx.Inf("hffb%d", i)
		u := nn.IGDN(hctx.In("igdn"), feats[i-1])
		steps := 4 - i
		for k := 1; k <= steps; k++ {
			if k == steps {
				u = nn.Convolution(hctx.Inf("down%d", k), u, e2).Stride(2).Done()
			} else {
				u = nn.Relu(nn.Convolution(hctx.Inf("down%d", k), u, e1).Stride(2).BatchNorm().Done())
			}
		}
		parts = append(parts, u)
	}
	return graph.Concatenate(parts, 3)
}

// stageB: stage A's output -> y = [y_img, y_sem].
func stageB(ctx *context.Context, cfg model.Config, a *graph.Node) *graph.Node {
	e2 := cfg.SemanticWidths[1]
	yImg := graph.Slice(a, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(0, cfg.MImage))
	gctx := ctx.In(model.ScopeAggregation)
	h := nn.Relu(nn.Convolution(gctx.In("in"), yImg, e2).BatchNorm().Done())
	block := 0
	nbs := func(ctx *context.Context, h *graph.Node) *graph.Node {
		for k := range cfg.HFFBBlocks {
			d := []int{1, 2, 4, 8}[block%4]
			block++
			h = nn.NonBottleneck1D(ctx.Inf("nb%d", k), h, d, cfg.Dropout)
		}
		return h
	}
	h = nbs(gctx.In("stage4"), h)
	for i := 3; i >= 1; i-- {
		off := cfg.MImage + (3-i)*e2
		u := graph.Slice(a, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(off, off+e2))
		h = nbs(gctx.Inf("hffb%d", i), graph.Add(h, u))
	}
	ySem := nn.Convolution(gctx.In("out"), h, cfg.MSemantic).Done()
	return model.JoinLatents(cfg, yImg, ySem)
}

// Margins in latent cells. Stage A: 30 px for the 5x5/2 convolutions (the
// HFFB paths see less), plus one cell for "same" padding shifts.
const stageAMargin = 3

// stageBMargin: in, the non-bt-1D blocks (1+d cells each), out, one spare.
func stageBMargin(cfg model.Config) int {
	r := 2
	for k := range 4 * cfg.HFFBBlocks {
		r += 1 + []int{1, 2, 4, 8}[k%4]
	}
	return r + 1
}
