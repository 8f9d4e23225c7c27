package nn

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

func TestErfc(t *testing.T) {
	var xs []float32
	for x := -4.0; x <= 9; x += 0.37 {
		xs = append(xs, float32(x))
	}
	out := graph.MustExecOnce(layersBackend(), Erfc, xs)
	for i, got := range flat32(out) {
		want := math.Erfc(float64(xs[i]))
		if rel := math.Abs(float64(got)-want) / want; rel > 1e-5 {
			t.Errorf("Erfc(%g) = %g, want %g (relative error %g)", xs[i], got, want, rel)
		}
	}
}

func gaussianLikelihood64(y, s float64) float64 {
	s = max(s, ScaleLowerBound)
	phi := func(t float64) float64 { return 0.5 * math.Erfc(-t/math.Sqrt2) }
	v := math.Abs(y)
	return max(phi((0.5-v)/s)-phi((-0.5-v)/s), LikelihoodLowerBound)
}

func TestGaussianLikelihood(t *testing.T) {
	var ys, ss []float32
	for _, y := range []float32{0, 0.3, -1, 2, -5, 12, 30} {
		for _, s := range []float32{0.01, 0.11, 0.7, 3, 20} {
			ys, ss = append(ys, y), append(ss, s)
		}
	}
	out := graph.MustExecOnce(layersBackend(), GaussianLikelihood, ys, ss)
	for i, got := range flat32(out) {
		want := gaussianLikelihood64(float64(ys[i]), float64(ss[i]))
		if rel := math.Abs(float64(got)-want) / want; rel > 1e-4 {
			t.Errorf("likelihood(y=%g, s=%g) = %g, want %g", ys[i], ss[i], got, want)
		}
	}
}

// TestGaussianLikelihoodGradient compares the graph gradient of log-likelihood with
// central differences of the float64 formula, away from the bounds.
func TestGaussianLikelihoodGradient(t *testing.T) {
	ys := []float32{0.2, -1.3, 2.6, 0.9}
	ss := []float32{0.5, 1.2, 2.0, 0.3}
	out := graph.MustExecOnceN(layersBackend(), func(y, s *graph.Node) []*graph.Node {
		loss := graph.ReduceAllSum(graph.Log(GaussianLikelihood(y, s)))
		return graph.Gradient(loss, y, s)
	}, ys, ss)
	const h = 1e-4
	for i := range ys {
		y, s := float64(ys[i]), float64(ss[i])
		dy := (math.Log(gaussianLikelihood64(y+h, s)) - math.Log(gaussianLikelihood64(y-h, s))) / (2 * h)
		ds := (math.Log(gaussianLikelihood64(y, s+h)) - math.Log(gaussianLikelihood64(y, s-h))) / (2 * h)
		if gy := float64(flat32(out[0])[i]); math.Abs(gy-dy) > 1e-3*max(1, math.Abs(dy)) {
			t.Errorf("d/dy at (%g, %g) = %g, want %g", y, s, gy, dy)
		}
		if gs := float64(flat32(out[1])[i]); math.Abs(gs-ds) > 1e-3*max(1, math.Abs(ds)) {
			t.Errorf("d/ds at (%g, %g) = %g, want %g", y, s, gs, ds)
		}
	}
}

// TestEntropyBottleneckIsADistribution checks that the initial density's bin
// probabilities over a wide integer range sum to one in every channel.
func TestEntropyBottleneckIsADistribution(t *testing.T) {
	const c, lo, hi = 3, -300, 300
	var z []float32
	for v := lo; v <= hi; v++ {
		z = append(z, float32(v))
	}
	ctx := layersContext(t)
	out := context.MustExecOnce(layersBackend(), ctx, func(ctx *context.Context, v *graph.Node) *graph.Node {
		n := v.Shape().Dimensions[0]
		zz := graph.BroadcastToDims(graph.Reshape(v, 1, 1, n, 1), 1, 1, n, c)
		lik := NewEntropyBottleneck(ctx.In("eb"), c, []int{3, 3, 3, 3}).Likelihood(zz)
		return graph.ReduceSum(graph.Reshape(lik, n, c), 0)
	}, z)
	for ch, sum := range flat32(out) {
		if math.Abs(float64(sum)-1) > 1e-3 {
			t.Errorf("channel %d: probabilities sum to %g", ch, sum)
		}
	}
	for _, name := range []string{"matrix0", "matrix4", "bias0", "bias4", "factor0", "factor3"} {
		if ctx.GetVariableByScopeAndName("/eb", name) == nil {
			t.Errorf("missing variable /eb/%s", name)
		}
	}
	if ctx.GetVariableByScopeAndName("/eb", "factor4") != nil {
		t.Error("the last layer has a factor")
	}
}

// TestEntropyBottleneckAuxLoss: the aux loss trains the quantiles only, and gradient
// descent on it (sign steps, as Adam takes) moves the quantiles to the tail-mass targets.
func TestEntropyBottleneckAuxLoss(t *testing.T) {
	ctx := layersContext(t)
	const c = 2
	step := context.MustNewExec(layersBackend(), ctx, func(ctx *context.Context, lr *graph.Node) []*graph.Node {
		g := lr.Graph()
		eb := NewEntropyBottleneck(ctx.In("eb"), c, []int{3, 3, 3, 3})
		loss := eb.AuxLoss(g, lr.DType())
		qVar := ctx.GetVariableByScopeAndName("/eb", EntropyBottleneckQuantilesName)
		mVar := ctx.GetVariableByScopeAndName("/eb", "matrix1")
		grads := graph.Gradient(loss, qVar.ValueGraph(g), mVar.ValueGraph(g))
		qVar.SetValueGraph(graph.Sub(qVar.ValueGraph(g), graph.Mul(lr, graph.Sign(grads[0]))))
		return []*graph.Node{loss, graph.ReduceAllMax(graph.Abs(grads[1]))}
	})
	var first, last float32
	for i := range 300 {
		res, err := step.Exec(float32(1))
		if err != nil {
			t.Fatal(err)
		}
		if g := res[1].Value().(float32); g != 0 {
			t.Fatalf("the aux loss has gradient %g on matrix1", g)
		}
		if i == 0 {
			first = res[0].Value().(float32)
		}
		last = res[0].Value().(float32)
	}
	if !(last < first/10) {
		t.Errorf("aux loss went from %g to %g", first, last)
	}
}

func TestQuantize(t *testing.T) {
	x := []float32{-1.5, -0.5, -0.49, 0.49, 0.5, 2.5, 3.2}
	want := []float32{-1, 0, 0, 0, 1, 3, 3}
	for _, training := range []bool{false, true} {
		ctx := layersContext(t)
		out := context.MustExecOnce(layersBackend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
			ctx.SetTraining(x.Graph(), training)
			return Quantize(ctx, x)
		}, x)
		for i, v := range flat32(out) {
			if !training && v != want[i] {
				t.Errorf("Quantize(%g) = %g, want %g", x[i], v, want[i])
			}
			if training && (math.Abs(float64(v-x[i])) > 0.5 || v == x[i]) {
				t.Errorf("training Quantize(%g) = %g, want x + U(-1/2, 1/2)", x[i], v)
			}
		}
	}
	// The diagnostic ParamUnquantized passes the input through at inference.
	ctx := layersContext(t)
	ctx.SetParam(ParamUnquantized, true)
	out := context.MustExecOnce(layersBackend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.In("sub").SetTraining(x.Graph(), false)
		return Quantize(ctx.In("sub"), x)
	}, x)
	for i, v := range flat32(out) {
		if v != x[i] {
			t.Errorf("unquantized Quantize(%g) = %g", x[i], v)
		}
	}
}
