package nn

import (
	"math/rand"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/backend/backendtest"
)

// opsBackend is shared by the package's tests: building a backend is cheap
// but each one keeps its own buffer pools.
var opsBackend = sync.OnceValue(func() backends.Backend { return backend.MustNew() })

// naiveConv is the textbook loop for Conv's contract, in float64.
func naiveConv(x []float64, xd [4]int, k []float64, kd [4]int, s, d [2]int) (out []float64, od [4]int) {
	b, h, w, cin := xd[0], xd[1], xd[2], xd[3]
	kh, kw, cout := kd[0], kd[1], kd[3]
	s[0], s[1], d[0], d[1] = max(s[0], 1), max(s[1], 1), max(d[0], 1), max(d[1], 1)
	ho, wo := (h+s[0]-1)/s[0], (w+s[1]-1)/s[1]
	ph, pw := (kh-1)*d[0]/2, (kw-1)*d[1]/2
	out = make([]float64, b*ho*wo*cout)
	for bi := range b {
		for y := range ho {
			for xx := range wo {
				for co := range cout {
					var sum float64
					for i := range kh {
						for j := range kw {
							iy, ix := y*s[0]-ph+i*d[0], xx*s[1]-pw+j*d[1]
							if iy < 0 || iy >= h || ix < 0 || ix >= w {
								continue
							}
							for ci := range cin {
								sum += x[((bi*h+iy)*w+ix)*cin+ci] * k[((i*kw+j)*cin+ci)*cout+co]
							}
						}
					}
					out[((bi*ho+y)*wo+xx)*cout+co] = sum
				}
			}
		}
	}
	return out, [4]int{b, ho, wo, cout}
}

// TestConvDeterministic runs one graph of convolutions and a transposed
// convolution (forward and gradients) twice on the default backend and
// wants bit-identical results.
func TestConvDeterministic(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	x := backendtest.RandN(rng, 2, 17, 13, 8)
	k1 := backendtest.RandN(rng, 3, 3, 8, 16)
	k2 := backendtest.RandN(rng, 5, 5, 16, 8)
	w := backendtest.RandN(rng, 3, 3, 8, 4)
	exec := graph.MustNewExec(opsBackend(), func(in []*graph.Node) []*graph.Node {
		h := graph.Tanh(Conv(in[0], in[1], [2]int{1, 1}, [2]int{1, 1}))
		h = Conv(h, in[2], [2]int{2, 2}, [2]int{1, 1})
		y := ConvTranspose(h, in[3], 2)
		loss := graph.ReduceAllSum(graph.Mul(y, y))
		return append([]*graph.Node{y}, graph.Gradient(loss, in[1], in[2], in[3])...)
	})
	f32 := func(t *tensors.Tensor) *tensors.Tensor {
		d := tensors.MustCopyFlatData[float64](t)
		o := make([]float32, len(d))
		for i, v := range d {
			o[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(o, t.Shape().Dimensions...)
	}
	args := []any{f32(x), f32(k1), f32(k2), f32(w)}
	first := exec.MustExec(args...)
	for run := range 2 {
		again := exec.MustExec(args...)
		for i := range first {
			a, b := tensors.MustCopyFlatData[float32](first[i]), tensors.MustCopyFlatData[float32](again[i])
			for j := range a {
				if a[j] != b[j] {
					t.Fatalf("run %d, output %d element %d: %v then %v", run+2, i, j, a[j], b[j])
				}
			}
		}
	}
}
