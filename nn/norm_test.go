package nn

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestBatchNormTrainingAndRunningStats checks one training step (batch statistics,
// running-average update) and then inference with the running statistics.
func TestBatchNormTrainingAndRunningStats(t *testing.T) {
	ctx := layersContext(t)
	const c = 2
	x := rampInput(3, 4, 5, c)
	out := context.MustExecOnce(layersBackend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), true)
		return BatchNorm(ctx.In("bn"), x)
	}, x)
	in, y := flat32(x), flat32(out)
	n := len(in) / c
	for ch := range c {
		var mean, sq, ymean, ysq float64
		for p := range n {
			v, w := float64(in[p*c+ch]), float64(y[p*c+ch])
			mean += v
			sq += v * v
			ymean += w
			ysq += w * w
		}
		mean /= float64(n)
		variance := sq/float64(n) - mean*mean
		ymean /= float64(n)
		yvar := ysq/float64(n) - ymean*ymean
		if math.Abs(ymean) > 1e-5 || math.Abs(yvar-variance/(variance+BatchNormEpsilon)) > 1e-4 {
			t.Errorf("channel %d: normalized mean %g, variance %g", ch, ymean, yvar)
		}
		gotMean := float64(variableValue(t, ctx, "/bn", BatchNormMeanName)[ch])
		gotVar := float64(variableValue(t, ctx, "/bn", BatchNormVarianceName)[ch])
		m := BatchNormMomentum
		wantVar := m + (1-m)*variance*float64(n)/float64(n-1)
		if math.Abs(gotMean-(1-m)*mean) > 1e-6 || math.Abs(gotVar-wantVar) > 1e-5 {
			t.Errorf("channel %d: running mean %g, variance %g; want %g, %g", ch, gotMean, gotVar, (1-m)*mean, wantVar)
		}
	}

	// Inference uses the running statistics.
	inf := context.MustExecOnce(layersBackend(), ctx.Reuse(), func(ctx *context.Context, x *graph.Node) *graph.Node {
		return BatchNorm(ctx.In("bn"), x)
	}, x)
	mean := variableValue(t, ctx, "/bn", BatchNormMeanName)
	variance := variableValue(t, ctx, "/bn", BatchNormVarianceName)
	for i, v := range flat32(inf) {
		ch := i % c
		want := (float64(in[i]) - float64(mean[ch])) / math.Sqrt(float64(variance[ch])+BatchNormEpsilon)
		if math.Abs(float64(v)-want) > 1e-5 {
			t.Fatalf("inference value %d = %g, want %g", i, v, want)
		}
	}
}

// TestFoldBatchNorm compares an inference-mode conv+BN with the folded convolution.
func TestFoldBatchNorm(t *testing.T) {
	ctx := layersContext(t)
	x := rampInput(2, 5, 4, 3)
	// One training step moves the running statistics and the BN output away from trivial.
	context.MustExecOnce(layersBackend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), true)
		return Convolution(ctx.In("conv"), x, 4).BatchNorm().Done()
	}, x)
	ctx.GetVariableByScopeAndName("/conv/bn", BatchNormScaleName).MustSetValue(
		tensors.FromValue([]float32{0.5, 2, -1, 1.5}))
	ctx.GetVariableByScopeAndName("/conv/bn", BatchNormOffsetName).MustSetValue(
		tensors.FromValue([]float32{0.1, -0.2, 0.3, 0}))
	want := context.MustExecOnce(layersBackend(), ctx.Reuse(), func(ctx *context.Context, x *graph.Node) *graph.Node {
		return Convolution(ctx.In("conv"), x, 4).BatchNorm().Done()
	}, x)
	fw, fb, err := FoldBatchNorm(
		variableValue(t, ctx, "/conv", WeightsName), variableValue(t, ctx, "/conv", BiasesName),
		variableValue(t, ctx, "/conv/bn", BatchNormScaleName), variableValue(t, ctx, "/conv/bn", BatchNormOffsetName),
		variableValue(t, ctx, "/conv/bn", BatchNormMeanName), variableValue(t, ctx, "/conv/bn", BatchNormVarianceName))
	if err != nil {
		t.Fatal(err)
	}
	got := graph.MustExecOnce(layersBackend(), func(x, w, b *graph.Node) *graph.Node {
		return graph.Add(Conv(x, graph.Reshape(w, 3, 3, 3, 4), [2]int{1, 1}, [2]int{1, 1}), graph.Reshape(b, 1, 1, 1, 4))
	}, x, fw, fb)
	for i, v := range flat32(got) {
		if d := math.Abs(float64(v - flat32(want)[i])); d > 1e-4 {
			t.Fatalf("folded output %d = %g, want %g", i, v, flat32(want)[i])
		}
	}
	if _, _, err := FoldBatchNorm(fw, fb[:2], fb, fb, fb, fb); err == nil {
		t.Error("FoldBatchNorm accepted inconsistent sizes")
	}
	if _, _, err := FoldBatchNorm(fw, nil, fb, fb, fb, []float32{1, -1, 1, 1}); err == nil {
		t.Error("FoldBatchNorm accepted a negative variance")
	}
}
