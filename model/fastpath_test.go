package model

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
)

// TestTrainingGraphOnFastPath runs the tiny model's loss and every
// gradient on semcpu's kernels and on simplego's own executors: the values
// must agree within float32 tolerance, and no convolution or matrix
// product may have left the fast path.
func TestTrainingGraphOnFastPath(t *testing.T) {
	if on, why := backend.FastPath(); !on {
		t.Fatalf("semcpu fast path is off: %s", why)
	}
	for _, transposed := range []bool{false, true} {
		t.Run(map[bool]string{false: "sub-pixel", true: "transposed"}[transposed], func(t *testing.T) {
			cfg := mustConfig(t, "tiny")
			cfg.TransposedSynthesis = transposed
			trainingGraphOnFastPath(t, cfg)
		})
	}
}

func trainingGraphOnFastPath(t *testing.T, cfg Config) {
	const b, h, w = 2, 64, 64
	run := func() []*tensors.Tensor {
		ctx := newContext(t, 11)
		exec := context.MustNewExec(backend.MustNew(), ctx, func(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
			out := Forward(ctx, cfg, images, true)
			loss := Loss(cfg, testWeights, out, images, labels).Total
			var vars []*graph.Node
			ctx.EnumerateVariables(func(v *context.Variable) {
				if v.Trainable && v.InUseByGraph(images.Graph()) {
					vars = append(vars, v.ValueGraph(images.Graph()))
				}
			})
			return append([]*graph.Node{loss}, graph.Gradient(loss, vars...)...)
		})
		defer exec.Finalize()
		res, err := exec.Exec(gradientImages(b, h, w), stripeLabels(b, h, w, cfg.Classes))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	fast0, fb0 := backend.FastPathStats()
	fast := run()
	fast1, fb1 := backend.FastPathStats()
	if fb1 != fb0 || fast1 == fast0 {
		t.Errorf("training step: %d fast and %d fallback convolution/matmul executions, want all fast",
			fast1-fast0, fb1-fb0)
	}
	restore := backend.SetFastPath(false)
	slow := run()
	restore()
	if len(fast) != len(slow) {
		t.Fatalf("%d outputs vs %d", len(fast), len(slow))
	}
	for i := range fast {
		f, s := tensors.MustCopyFlatData[float32](fast[i]), tensors.MustCopyFlatData[float32](slow[i])
		scale := 0.0
		for _, v := range s {
			scale = max(scale, math.Abs(float64(v)))
		}
		// Some gradients are rounding noise around 0 (biases followed by
		// batch norm), hence the absolute floor; sums over whole batches in
		// another order (the entropy bottleneck's parameters) differ by a
		// few parts per thousand.
		for j := range f {
			if d := math.Abs(float64(f[j] - s[j])); d > 5e-3*scale+1e-5 || math.IsNaN(float64(f[j])) {
				t.Fatalf("output %d (0 = loss), element %d: fast %g, simplego %g (scale %g)", i, j, f[j], s[j], scale)
			}
		}
	}
}
