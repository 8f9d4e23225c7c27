package backendtest

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/backend"
)

// recorder is a testing.TB that only records failures.
type recorder struct {
	testing.TB
	failed []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.failed = append(r.failed, fmt.Sprintf(format, a...))
	panic("fatal")
}

func TestGradCheckTellsRightFromWrong(t *testing.T) {
	be := backend.MustNew()
	rng := rand.New(rand.NewSource(1))
	x := []*tensors.Tensor{RandN(rng, 3, 4)}
	right := func(in []*graph.Node) *graph.Node { return graph.ReduceAllSum(graph.Sin(in[0])) }
	wrong := func(in []*graph.Node) *graph.Node {
		// Right value, gradient off by 1%.
		y := graph.IdentityWithCustomGradient(in[0], func(_, v *graph.Node) *graph.Node { return graph.MulScalar(v, 1.01) })
		return graph.ReduceAllSum(graph.Sin(y))
	}
	r := &recorder{TB: t}
	GradCheck(r, be, right, x, nil)
	if len(r.failed) != 0 {
		t.Fatalf("correct gradient flagged: %v", r.failed)
	}
	GradCheck(r, be, wrong, x, nil)
	if len(r.failed) != 12 {
		t.Fatalf("wrong gradient: %d of 12 elements flagged", len(r.failed))
	}
}
