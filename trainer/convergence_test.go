package trainer

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
)

// trainableSnapshot copies every trainable variable's value.
func trainableSnapshot(t *testing.T, st *Stepper) map[string][]float32 {
	t.Helper()
	snap := map[string][]float32{}
	for v := range st.ctx.IterVariables() {
		if !v.Trainable {
			continue
		}
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		snap[v.ScopeAndName()] = tensors.MustCopyFlatData[float32](val)
	}
	return snap
}

func distance(a, b map[string][]float32) float64 {
	var s float64
	for k, va := range a {
		for i, x := range va {
			d := float64(x - b[k][i])
			s += d * d
		}
	}
	return math.Sqrt(s)
}

// A learning-rate change reaches the very next update: with the rate cut
// tenfold at step 2, step 2 moves the weights a tenth as far as without
// the cut (both runs see the same gradients, and Adam's step is
// proportional to the rate).
func TestLearningRateChangeReachesUpdate(t *testing.T) {
	move := func(decayFraction float64) float64 {
		opts := tinyOptions(t, t.TempDir(), 2)
		opts.LearningRate, opts.DecayFraction = 1e-3, decayFraction
		st, batcher := newStepperOn(t, 2, opts)
		var before map[string][]float32
		for step := int64(1); step <= 2; step++ {
			b, err := batcher.Batch(int(step - 1))
			if err != nil {
				t.Fatal(err)
			}
			if step == 2 { // variables get their values in step 1
				before = trainableSnapshot(t, st)
			}
			if _, err := st.Step(step, b); err != nil {
				t.Fatal(err)
			}
		}
		return distance(before, trainableSnapshot(t, st))
	}
	full, cut := move(-1), move(0.5) // negative: no decay phase
	if r := cut / full; math.Abs(r-0.1) > 0.01 {
		t.Errorf("step 2 moved the weights %.4g at the decayed rate and %.4g at the full rate: ratio %.3f, want 0.1", cut, full, r)
	}
}

// A tiny network fits one crop: the gradients, optimizer and loss work
// together. The floor is well below what the test measured (24.3 dB after
// 150 steps, from 5.5 dB at the first).
func TestTinyFitsOneCrop(t *testing.T) {
	opts := tinyOptions(t, t.TempDir(), 150)
	opts.Batch, opts.LearningRate = 1, 3e-3
	opts.Config.Semantic, opts.Config.Enhancement = false, false
	opts.Lambda = 0.05
	st, batcher := newStepperOn(t, 1, opts)
	b, err := batcher.Batch(0)
	if err != nil {
		t.Fatal(err)
	}
	var first, last StepLog
	for step := int64(1); step <= int64(opts.Steps); step++ {
		log, err := st.Step(step, b)
		if err != nil {
			t.Fatal(err)
		}
		if step == 1 {
			first = log
		}
		last = log
	}
	t.Logf("PSNR %.2f dB at step 1, %.2f dB at step %d (bpp %.3f)", first.PSNR, last.PSNR, opts.Steps, last.BPP)
	if last.PSNR < 18 {
		t.Errorf("after %d steps on one crop the PSNR is %.2f dB, want at least 18", opts.Steps, last.PSNR)
	}
}

// The main optimizer is textbook Adam: the first step of a parameter with
// gradient g is lr·g/(|g|+ε) with ε = 1e-8 (bias correction makes m̂ = g and
// v̂ = g²). With GoMLX's default ε = 1e-7 a gradient of 1e-7 would move it
// half as far.
func TestAdamFirstStep(t *testing.T) {
	opt, err := newAdam(1e-3)
	if err != nil {
		t.Fatal(err)
	}
	ctx := mlctx.New()
	const g = 1e-7
	exec, err := mlctx.NewExec(testBackend(t), ctx, func(ctx *mlctx.Context, x *graph.Node) *graph.Node {
		w := ctx.VariableWithValue("w", []float32{0, 0})
		grad := graph.Mul(graph.OnesLike(w.ValueGraph(x.Graph())), x)
		opt.UpdateGraphWithGradients(ctx, []*graph.Node{grad}, dtypes.Float32)
		return w.ValueGraph(x.Graph())
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Exec(float32(g)); err != nil {
		t.Fatal(err)
	}
	v, err := ctx.GetVariable("w").Value()
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](v)[0]
	want := -1e-3 * g / (g + 1e-8)
	if math.Abs(float64(got)-want) > 1e-3*math.Abs(want) {
		t.Errorf("first Adam step %g, want %g (lr·g/(|g|+1e-8))", got, want)
	}
}
