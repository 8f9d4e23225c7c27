package nn

import (
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"semcodec/backend/backendtest"
)

func TestLinearForward(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	x, w := backendtest.RandN(rng, 2, 3, 5), backendtest.RandN(rng, 5, 4)
	got := graph.MustExecOnce(opsBackend(), Linear, x, w)
	if !got.Shape().Equal(shapes.Make(dtypes.Float64, 2, 3, 4)) {
		t.Fatalf("shape %s", got.Shape())
	}
	xd, wd, gd := tensors.MustCopyFlatData[float64](x), tensors.MustCopyFlatData[float64](w), tensors.MustCopyFlatData[float64](got)
	for m := range 6 {
		for n := range 4 {
			var want float64
			for k := range 5 {
				want += xd[m*5+k] * wd[k*4+n]
			}
			if math.Abs(gd[m*4+n]-want) > 1e-12 {
				t.Fatalf("[%d,%d]: %v, want %v", m, n, gd[m*4+n], want)
			}
		}
	}
}

func TestLinearGradient(t *testing.T) {
	for _, dims := range [][]int{{7}, {6, 5}, {2, 3, 5}} {
		rng := rand.New(rand.NewSource(5))
		k := dims[len(dims)-1]
		outDims := append(append([]int{}, dims[:len(dims)-1]...), 3)
		inputs := []*tensors.Tensor{backendtest.RandN(rng, dims...), backendtest.RandN(rng, k, 3), backendtest.RandN(rng, outDims...)}
		backendtest.GradCheck(t, opsBackend(), func(in []*graph.Node) *graph.Node {
			return graph.ReduceAllSum(graph.Mul(graph.Tanh(Linear(in[0], in[1])), in[2]))
		}, inputs, nil)
	}
}

// TestLinearGradientOfSharedInput uses the same x in two products and
// twice in one gradient graph, which exercises the bookkeeping that routes
// each output's gradient to its own inputs.
func TestLinearGradientOfSharedInput(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	inputs := []*tensors.Tensor{backendtest.RandN(rng, 4, 3), backendtest.RandN(rng, 3, 3), backendtest.RandN(rng, 3, 2)}
	backendtest.GradCheck(t, opsBackend(), func(in []*graph.Node) *graph.Node {
		h := Linear(in[0], in[1])
		h = Linear(graph.Add(h, in[0]), in[1])
		return graph.ReduceAllSum(graph.Square(Linear(h, in[2])))
	}, inputs, nil)
}

func TestLinearRejectsBadShapes(t *testing.T) {
	_, err := graph.ExecOnce(opsBackend(), func(g *graph.Graph) *graph.Node {
		return Linear(graph.Zeros(g, shapes.Make(dtypes.Float32, 2, 3)), graph.Zeros(g, shapes.Make(dtypes.Float32, 4, 2)))
	})
	if err == nil || !strings.Contains(err.Error(), "semcodec: nn.Linear") {
		t.Fatalf("error %v", err)
	}
}
