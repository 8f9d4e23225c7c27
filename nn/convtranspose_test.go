package nn

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/backend/backendtest"
)

// naiveConvTranspose: y[o] = Σ over input pixels i and taps t with
// s·i = o + t − a of x[i]·K[t], on NHWC float64 data.
func naiveConvTranspose(x []float64, xd [4]int, k []float64, kd [4]int, s int) []float64 {
	b, h, w, ci := xd[0], xd[1], xd[2], xd[3]
	kk, co := kd[0], kd[3]
	a := (kk - 1) / 2
	oh, ow := s*h, s*w
	y := make([]float64, b*oh*ow*co)
	for n := range b {
		for oy := range oh {
			for ox := range ow {
				for ty := range kk {
					for tx := range kk {
						py, px := oy+ty-a, ox+tx-a
						if py < 0 || px < 0 || py%s != 0 || px%s != 0 || py/s >= h || px/s >= w {
							continue
						}
						for c := range ci {
							xv := x[((n*h+py/s)*w+px/s)*ci+c]
							for o := range co {
								y[((n*oh+oy)*ow+ox)*co+o] += xv * k[((ty*kk+tx)*ci+c)*co+o]
							}
						}
					}
				}
			}
		}
	}
	return y
}

func TestConvTranspose(t *testing.T) {
	for _, c := range []struct {
		x, k [4]int
		s    int
	}{
		{[4]int{2, 3, 4, 2}, [4]int{5, 5, 2, 3}, 2},
		{[4]int{1, 4, 3, 3}, [4]int{3, 3, 3, 2}, 2},
		{[4]int{1, 3, 3, 2}, [4]int{5, 5, 2, 2}, 3},
		{[4]int{1, 4, 4, 2}, [4]int{3, 3, 2, 2}, 1},
	} {
		t.Run(fmt.Sprintf("x%v_k%v_s%d", c.x, c.k, c.s), func(t *testing.T) {
			rng := rand.New(rand.NewSource(5))
			x, k := backendtest.RandN(rng, c.x[:]...), backendtest.RandN(rng, c.k[:]...)
			got := tensors.MustCopyFlatData[float64](graph.MustExecOnce(opsBackend(), func(x, k *graph.Node) *graph.Node {
				return ConvTranspose(x, k, c.s)
			}, x, k))
			want := naiveConvTranspose(tensors.MustCopyFlatData[float64](x), c.x, tensors.MustCopyFlatData[float64](k), c.k, c.s)
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-10 {
					t.Fatalf("element %d: %v, want %v", i, got[i], want[i])
				}
			}
			v := backendtest.RandN(rng, c.x[0], c.s*c.x[1], c.s*c.x[2], c.k[3])
			backendtest.GradCheck(t, opsBackend(), func(in []*graph.Node) *graph.Node {
				return graph.ReduceAllSum(graph.Mul(graph.Sin(ConvTranspose(in[0], in[1], c.s)), in[2]))
			}, []*tensors.Tensor{x, k, v}, &backendtest.Options{MaxCoords: 24})
		})
	}
}

// The same x and kernel feed two transposed convolutions in one gradient
// graph: withCustomGradient must route each output's gradient to its own
// inputs.
func TestConvTransposeGradientOfSharedInputs(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	inputs := []*tensors.Tensor{backendtest.RandN(rng, 1, 2, 2, 2), backendtest.RandN(rng, 3, 3, 2, 2)}
	backendtest.GradCheck(t, opsBackend(), func(in []*graph.Node) *graph.Node {
		h := ConvTranspose(in[0], in[1], 2)
		h = ConvTranspose(graph.Add(h, graph.Reshape(graph.ReduceSum(h, 1, 2), 1, 1, 1, 2)), in[1], 1)
		up := ConvTranspose(in[0], in[1], 2)
		return graph.ReduceAllSum(graph.Mul(graph.Square(h), up))
	}, inputs, nil)
}
