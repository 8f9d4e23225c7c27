package model

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
)

func variableTiny(t *testing.T) Config {
	cfg := mustConfig(t, "tiny")
	cfg.GainLambdas = []float64{0.0035, testWeights.Lambda, 0.05}
	return cfg
}

func TestRateWeights(t *testing.T) {
	cfg := variableTiny(t)
	for _, c := range []struct {
		q    float64
		want []float32
	}{{1, []float32{1, 0, 0}}, {2.25, []float32{0, 0.75, 0.25}}, {3, []float32{0, 0, 1}}} {
		w, err := RateWeights(cfg, c.q)
		if err != nil || len(w) != 3 || w[0] != c.want[0] || w[1] != c.want[1] || w[2] != c.want[2] {
			t.Errorf("RateWeights(%g) = %v, %v; want %v", c.q, w, err, c.want)
		}
	}
	for _, q := range []float64{0, 0.99, 3.01, math.NaN()} {
		if _, err := RateWeights(cfg, q); err == nil {
			t.Errorf("RateWeights(%g) accepted", q)
		}
	}
	if _, err := RateWeights(mustConfig(t, "tiny"), 1); err == nil {
		t.Error("RateWeights accepted a fixed-rate configuration")
	}
	bad := variableTiny(t)
	bad.GainLambdas = []float64{0.013, 0.0035}
	if bad.Validate() == nil {
		t.Error("decreasing gain_lambdas validated")
	}
}

// TestGainLevels: before any training, the level whose λ is the
// configuration's has unit gains and so reproduces the fixed-rate network's
// latent, and the others scale it by sqrt(λ_i/λ).
func TestGainLevels(t *testing.T) {
	cfg := variableTiny(t)
	fixed := mustConfig(t, "tiny")
	be := backend.MustNew()
	ctx := newContext(t, 3)
	ctx.SetParam(ParamGainReference, testWeights.Lambda)
	const h, w = 64, 64
	exec := context.MustNewExec(be, ctx, func(ctx *context.Context, images *graph.Node) []*graph.Node {
		g := images.Graph()
		rate := graph.Const(g, [][]float32{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}})
		out := ForwardRate(ctx, cfg, images, rate, false)
		ref := Forward(ctx.Reuse(), fixed, images, false)
		return []*graph.Node{
			graph.ReduceSum(graph.Abs(out.Y), 1, 2, 3),
			graph.ReduceSum(graph.Abs(ref.Y), 1, 2, 3),
			out.Lambda,
		}
	})
	img := gradientImages(1, h, w)[0]
	res, err := exec.Exec([][][][]float32{img, img, img})
	if err != nil {
		t.Fatal(err)
	}
	gained, plain := res[0].Value().([]float32), res[1].Value().([]float32)
	for i, l := range cfg.GainLambdas {
		want := math.Sqrt(l / testWeights.Lambda)
		if got := float64(gained[i] / plain[i]); math.Abs(got-want) > 1e-5*want {
			t.Errorf("level %d scales |y| by %g, want %g", i, got, want)
		}
	}
	lams := res[2].Value().([]float32)
	for i, l := range cfg.GainLambdas {
		if math.Abs(float64(lams[i])-l) > 1e-6*l {
			t.Errorf("λ of level %d = %g, want %g", i, lams[i], l)
		}
	}
}
