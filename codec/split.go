package codec

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/model"
)

// The aggregation's dilated blocks see 20+ latent cells (320+ px) around
// each y_sem element, while everything at pixel resolution sees under 2
// cells. So with aggregation the tiled encoder cuts model.Analysis in two:
// stage A runs on image tiles with a small margin and stops once every
// branch is on the 1/16 grid; stage B finishes y_sem on tiles of the latent
// grid, 256x cheaper per element. Both are model's own functions
// (BaseNetwork, AggregationInputs, AggregationFuse); TestTiledMatchesUntiled
// checks the two stages against model.Analysis.

// splitAnalysis reports whether the configuration uses stages A and B.
func splitAnalysis(cfg model.Config) bool { return cfg.Semantic && cfg.Aggregation }

// stageAChannels is the width of stage A's output: y_img and the three HFFB
// inputs u3, u2, u1 brought to the 1/16 grid.
func stageAChannels(cfg model.Config) int { return cfg.MImage + 3*cfg.SemanticWidths[1] }

// stageA: x [1,H,W,3] -> [y_img, u3, u2, u1] [1,H/16,W/16,stageAChannels].
func stageA(ctx *context.Context, cfg model.Config, x *graph.Node) *graph.Node {
	yImg, feats := model.BaseNetwork(ctx.In(model.ScopeAnalysis), cfg, x)
	u := model.AggregationInputs(ctx.In(model.ScopeAggregation), cfg, feats)
	return graph.Concatenate([]*graph.Node{yImg, u[2], u[1], u[0]}, 3)
}

// stageB: stage A's output -> y = [y_img, y_sem].
func stageB(ctx *context.Context, cfg model.Config, a *graph.Node) *graph.Node {
	e2 := cfg.SemanticWidths[1]
	channels := func(from, to int) *graph.Node {
		return graph.Slice(a, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(), graph.AxisRange(from, to))
	}
	yImg := channels(0, cfg.MImage)
	var u [3]*graph.Node
	for i := 3; i >= 1; i-- {
		off := cfg.MImage + (3-i)*e2
		u[i-1] = channels(off, off+e2)
	}
	ySem := model.AggregationFuse(ctx.In(model.ScopeAggregation), cfg, yImg, u)
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
