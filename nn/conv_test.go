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

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/backend/backendtest"
	"github.com/semcodec/semcodec/internal/cputime"
)

type convCase struct {
	name     string
	x, k     [4]int // x [B,H,W,Cin], kernel [kh,kw,Cin,Cout]
	stride   [2]int
	dilation [2]int
}

var convCases = []convCase{
	{"3x3", [4]int{2, 7, 9, 3}, [4]int{3, 3, 3, 4}, [2]int{1, 1}, [2]int{1, 1}},
	{"3x3/s2/odd", [4]int{2, 7, 9, 3}, [4]int{3, 3, 3, 4}, [2]int{2, 2}, [2]int{1, 1}},
	{"5x5/s2", [4]int{2, 9, 8, 2}, [4]int{5, 5, 2, 3}, [2]int{2, 2}, [2]int{1, 1}},
	{"5x5", [4]int{1, 6, 7, 2}, [4]int{5, 5, 2, 3}, [2]int{1, 1}, [2]int{1, 1}},
	{"1x1", [4]int{2, 5, 4, 3}, [4]int{1, 1, 3, 5}, [2]int{1, 1}, [2]int{1, 1}},
	{"1x1/s2", [4]int{1, 5, 4, 3}, [4]int{1, 1, 3, 2}, [2]int{2, 2}, [2]int{1, 1}},
	{"3x1/d2", [4]int{2, 8, 6, 2}, [4]int{3, 1, 2, 3}, [2]int{1, 1}, [2]int{2, 2}},
	{"1x3/d4", [4]int{1, 6, 11, 2}, [4]int{1, 3, 2, 3}, [2]int{1, 1}, [2]int{4, 4}},
	{"3x3/d2", [4]int{1, 9, 9, 2}, [4]int{3, 3, 2, 2}, [2]int{1, 1}, [2]int{2, 2}},
	{"3x3/s2/d2", [4]int{1, 9, 10, 2}, [4]int{3, 3, 2, 3}, [2]int{2, 2}, [2]int{2, 2}},
	{"3x5/s(2,3)/d(2,1)", [4]int{1, 9, 10, 2}, [4]int{3, 5, 2, 3}, [2]int{2, 3}, [2]int{2, 1}},
	{"3x3/s4", [4]int{1, 9, 10, 2}, [4]int{3, 3, 2, 2}, [2]int{4, 4}, [2]int{1, 1}},
	{"zero stride means 1", [4]int{1, 5, 5, 2}, [4]int{3, 3, 2, 2}, [2]int{}, [2]int{}},
}

func TestConvForwardMatchesNaive(t *testing.T) {
	be := opsBackend()
	for _, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			x, k := backendtest.RandN(rng, c.x[:]...), backendtest.RandN(rng, c.k[:]...)
			got := graph.MustExecOnce(be, func(x, k *graph.Node) *graph.Node {
				return Conv(x, k, c.stride, c.dilation)
			}, x, k)
			want, wd := naiveConv(tensors.MustCopyFlatData[float64](x), c.x, tensors.MustCopyFlatData[float64](k), c.k,
				c.stride, c.dilation)
			if !got.Shape().Equal(shapes.Make(dtypes.Float64, wd[:]...)) {
				t.Fatalf("shape %s, want %v", got.Shape(), wd)
			}
			for i, g := range tensors.MustCopyFlatData[float64](got) {
				if math.Abs(g-want[i]) > 1e-10 {
					t.Fatalf("element %d: %v, want %v", i, g, want[i])
				}
			}
		})
	}
}

// TestConvMatchesConvolve checks float32 Conv against GoMLX's own
// convolution (strides set explicitly, see the project notes).
func TestConvMatchesConvolve(t *testing.T) {
	be := opsBackend()
	rng := rand.New(rand.NewSource(2))
	x := backendtest.RandN(rng, 2, 11, 10, 4)
	k := backendtest.RandN(rng, 3, 3, 4, 5)
	for _, s := range []int{1, 2} {
		out := graph.MustExecOnceN(be, func(x, k *graph.Node) (*graph.Node, *graph.Node) {
			x, k = graph.ConvertDType(x, dtypes.Float32), graph.ConvertDType(k, dtypes.Float32)
			return Conv(x, k, [2]int{s, s}, [2]int{1, 1}), graph.Convolve(x, k).Strides(s).PadSame().Done()
		}, x, k)
		if !out[0].Shape().Equal(out[1].Shape()) {
			t.Fatalf("stride %d: shape %s, Convolve gives %s", s, out[0].Shape(), out[1].Shape())
		}
		a, b := tensors.MustCopyFlatData[float32](out[0]), tensors.MustCopyFlatData[float32](out[1])
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4 {
				t.Fatalf("stride %d element %d: %v, Convolve gives %v", s, i, a[i], b[i])
			}
		}
	}
}

// TestConvGradient checks both custom gradients against finite differences.
// The loss is a random weighting of a nonlinear function of the output, so
// that every output element gets its own incoming gradient.
func TestConvGradient(t *testing.T) {
	be := opsBackend()
	for _, c := range convCases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(3))
			sh, sw := max(c.stride[0], 1), max(c.stride[1], 1)
			inputs := []*tensors.Tensor{
				backendtest.RandN(rng, c.x[:]...),
				backendtest.RandN(rng, c.k[:]...),
				backendtest.RandN(rng, c.x[0], (c.x[1]+sh-1)/sh, (c.x[2]+sw-1)/sw, c.k[3]),
			}
			backendtest.GradCheck(t, be, func(in []*graph.Node) *graph.Node {
				y := Conv(in[0], in[1], c.stride, c.dilation)
				return graph.ReduceAllSum(graph.Mul(graph.Sin(y), in[2]))
			}, inputs, &backendtest.Options{MaxCoords: 24})
		})
	}
}

func TestConvRejectsBadShapes(t *testing.T) {
	for _, c := range []struct {
		name   string
		x, k   []int
		stride [2]int
		want   string
	}{
		{"even kernel", []int{1, 4, 4, 2}, []int{2, 2, 2, 1}, [2]int{1, 1}, "odd"},
		{"channel mismatch", []int{1, 4, 4, 3}, []int{3, 3, 2, 1}, [2]int{1, 1}, "channels"},
		{"rank", []int{4, 4, 2}, []int{3, 3, 2, 1}, [2]int{1, 1}, "want x"},
		{"negative stride", []int{1, 4, 4, 2}, []int{3, 3, 2, 1}, [2]int{-1, 1}, "negative"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := graph.ExecOnce(opsBackend(), func(g *graph.Graph) *graph.Node {
				x := graph.Zeros(g, shapes.Make(dtypes.Float32, c.x...))
				k := graph.Zeros(g, shapes.Make(dtypes.Float32, c.k...))
				return Conv(x, k, c.stride, [2]int{1, 1})
			})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "nn") {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

// benchConv times conv on x [8,64,64,64] and a [k,k,64,64] kernel on the
// default backend (semcpu unless $GOMLX_BACKEND says otherwise) and reports
// GFLOP/s, counting 2·M·K·N per product and three products for a training
// step (forward, input gradient, kernel gradient). GFLOP/cpu-s divides by
// the process's CPU time instead of wall time.
func benchConv(b *testing.B, k, stride int, withGrad bool, conv func(x, k *graph.Node, s int) *graph.Node) {
	const batch, size, cin, cout = 8, 64, 64, 64
	be := backend.MustNew()
	rng := rand.New(rand.NewSource(1))
	f32 := func(dims ...int) *tensors.Tensor {
		d := tensors.MustCopyFlatData[float64](backendtest.RandN(rng, dims...))
		o := make([]float32, len(d))
		for i, v := range d {
			o[i] = float32(v)
		}
		return tensors.FromFlatDataAndDimensions(o, dims...)
	}
	x, w := f32(batch, size, size, cin), f32(k, k, cin, cout)
	exec := graph.MustNewExec(be, func(x, w *graph.Node) []*graph.Node {
		y := conv(x, w, stride)
		if !withGrad {
			return []*graph.Node{y}
		}
		return graph.Gradient(graph.ReduceAllSum(graph.Mul(y, y)), x, w)
	})
	for _, o := range exec.MustExec(x, w) { // compile outside the timing
		o.FinalizeAll()
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Process()
	for range b.N {
		for _, o := range exec.MustExec(x, w) {
			o.FinalizeAll()
		}
	}
	out := size / stride
	flops := 2 * float64(batch*out*out) * float64(k*k*cin) * float64(cout)
	if withGrad {
		flops *= 3
	}
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cputime.Process() - cpu0; cpu > 0 {
		b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
	}
}

// BenchmarkConv: Conv forward and training step (forward + both
// gradients), 3x3 and strided 5x5, and GoMLX's native graph.Convolve
// forward for comparison (its training step takes minutes on simplego).
func BenchmarkConv(b *testing.B) {
	ours := func(x, w *graph.Node, s int) *graph.Node { return Conv(x, w, [2]int{s, s}, [2]int{1, 1}) }
	native := func(x, w *graph.Node, s int) *graph.Node { return graph.Convolve(x, w).Strides(s).PadSame().Done() }
	b.Run("forward/3x3", func(b *testing.B) { benchConv(b, 3, 1, false, ours) })
	b.Run("train/3x3", func(b *testing.B) { benchConv(b, 3, 1, true, ours) })
	b.Run("forward/5x5s2", func(b *testing.B) { benchConv(b, 5, 2, false, ours) })
	b.Run("train/5x5s2", func(b *testing.B) { benchConv(b, 5, 2, true, ours) })
	b.Run("forward/3x3/Convolve", func(b *testing.B) { benchConv(b, 3, 1, false, native) })
}
