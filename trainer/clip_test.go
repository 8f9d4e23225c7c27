package trainer

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// clipGlobalNorm must scale every gradient by the same factor, so the joint
// norm is maxNorm, and leave gradients already within it alone.
func TestClipGlobalNorm(t *testing.T) {
	be := testBackend(t)
	run := func(maxNorm float64, a, b []float32) ([]float32, []float32) {
		t.Helper()
		out := graph.MustExecOnceN(be, func(x, y *graph.Node) []*graph.Node {
			return clipGlobalNorm([]*graph.Node{x, y}, maxNorm)
		}, tensors.FromFlatDataAndDimensions(a, 2, 1), tensors.FromFlatDataAndDimensions(b, 1, 1, 1))
		return tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
	}
	// ‖(3, 4, 12)‖ = 13.
	a, b := run(1, []float32{3, 4}, []float32{12})
	want := []float32{3.0 / 13, 4.0 / 13, 12.0 / 13}
	for i, got := range append(a, b...) {
		if math.Abs(float64(got-want[i])) > 1e-6 {
			t.Errorf("clipped to norm 1: element %d = %v, want %v", i, got, want[i])
		}
	}
	a, b = run(20, []float32{3, 4}, []float32{12})
	if a[0] != 3 || a[1] != 4 || b[0] != 12 {
		t.Errorf("norm 13 under a cap of 20 changed: %v %v", a, b)
	}
	a, b = run(1, []float32{0, 0}, []float32{0})
	if a[0] != 0 || a[1] != 0 || b[0] != 0 {
		t.Errorf("zero gradients became %v %v", a, b)
	}
}
