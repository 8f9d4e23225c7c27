package backend

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/backend/backendtest"
	"github.com/semcodec/semcodec/blas"
)

func TestFastPathInstalled(t *testing.T) {
	on, reason := FastPath()
	if !on {
		t.Fatalf("semcpu fast path is off: %s", reason)
	}
	t.Logf("fast path: %s; matmul: %s", reason, blas.Current())
}

// runBoth executes fn on semcpu with the fast kernels and with simplego's
// own executors, and returns both results (flattened) and the number of
// fallbacks seen on the fast run.
func runBoth(t *testing.T, fn func(inputs []*graph.Node) []*graph.Node, inputs ...*tensors.Tensor) (fast, slow [][]float32, fallbacks int64) {
	t.Helper()
	be, err := NewSemCPU("")
	if err != nil {
		t.Fatal(err)
	}
	defer be.Finalize()
	exec := func() [][]float32 {
		args := make([]any, len(inputs))
		for i, in := range inputs {
			args[i] = in
		}
		e := graph.MustNewExec(be, fn)
		defer e.Finalize()
		outs := e.MustExec(args...)
		res := make([][]float32, len(outs))
		for i, o := range outs {
			res[i] = tensors.MustCopyFlatData[float32](o)
		}
		return res
	}
	_, fb0 := FastPathStats()
	fast = exec()
	_, fb1 := FastPathStats()
	restore := SetFastPath(false)
	slow = exec()
	restore()
	return fast, slow, fb1 - fb0
}

func assertClose(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	scale := 0.0
	for _, w := range want {
		scale = max(scale, math.Abs(float64(w)))
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-4*max(scale, 1) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s: element %d = %g, simplego gives %g (scale %g)", what, i, got[i], want[i], scale)
		}
	}
}

var nhwc = backends.ConvolveAxesConfig{
	InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
	KernelSpatial: []int{0, 1}, KernelInputChannels: 2, KernelOutputChannels: 3,
	OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
}

// TestConvKernelsMatchSimplego checks forward values and both gradients
// (which GoMLX builds as two more convolutions: one with input dilation
// for strided layers, one with swapped batch/channel axes) against
// simplego's own convolution, and that none of them left the fast path.
func TestConvKernelsMatchSimplego(t *testing.T) {
	cases := []struct {
		x, k             [4]int
		stride, dilation int
	}{
		{[4]int{2, 9, 8, 3}, [4]int{5, 5, 3, 4}, 2, 1},
		{[4]int{2, 8, 8, 4}, [4]int{5, 5, 4, 3}, 2, 1},
		{[4]int{1, 7, 9, 2}, [4]int{3, 3, 2, 5}, 1, 1},
		{[4]int{3, 6, 5, 3}, [4]int{1, 1, 3, 4}, 1, 1},
		{[4]int{2, 9, 10, 2}, [4]int{3, 1, 2, 3}, 1, 2},
		{[4]int{1, 9, 11, 2}, [4]int{1, 3, 2, 2}, 1, 4},
		{[4]int{1, 5, 6, 2}, [4]int{1, 1, 2, 3}, 2, 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("x%v_k%v_s%d_d%d", c.x, c.k, c.stride, c.dilation), func(t *testing.T) {
			rng := rand.New(rand.NewSource(3))
			ph, pw := (c.k[0]-1)*c.dilation/2, (c.k[1]-1)*c.dilation/2
			x, k := backendtest.RandN32(rng, c.x[:]...), backendtest.RandN32(rng, c.k[:]...)
			fn := func(in []*graph.Node) []*graph.Node {
				y := graph.ConvGeneral(in[0], in[1], nhwc, []int{c.stride, c.stride}, [][2]int{{ph, ph}, {pw, pw}},
					nil, []int{c.dilation, c.dilation}, 1, 1)
				// A fixed, non-uniform weighting so every output gradient differs.
				w := graph.Sin(graph.Iota(y.Graph(), y.Shape(), 3))
				loss := graph.ReduceAllSum(graph.Mul(y, w))
				g := graph.Gradient(loss, in[0], in[1])
				return []*graph.Node{y, g[0], g[1]}
			}
			fast, slow, fb := runBoth(t, fn, x, k)
			for i, what := range []string{"forward", "d/dx", "d/dkernel"} {
				assertClose(t, what, fast[i], slow[i])
			}
			if fb != 0 {
				t.Errorf("%d convolution/dot executions left the fast path", fb)
			}
		})
	}
}

func TestDotKernelsMatchSimplego(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	cases := []struct {
		name     string
		a, b     []int
		ac, ab   []int
		bc, bb   []int
		fallback bool
	}{
		{"MK.KN", []int{7, 5}, []int{5, 3}, []int{1}, nil, []int{0}, nil, false},
		{"KM.KN", []int{5, 7}, []int{5, 3}, []int{0}, nil, []int{0}, nil, false},
		{"MK.NK", []int{7, 5}, []int{3, 5}, []int{1}, nil, []int{1}, nil, false},
		{"batched", []int{2, 7, 5}, []int{2, 5, 3}, []int{2}, []int{0}, []int{1}, []int{0}, false},
		{"permuted", []int{5, 2, 7}, []int{3, 2, 5}, []int{0}, []int{1}, []int{2}, []int{1}, false},
		{"two contracting", []int{4, 3, 6}, []int{3, 4, 2}, []int{0, 1}, nil, []int{1, 0}, nil, false},
		{"large", []int{300, 200}, []int{200, 150}, []int{1}, nil, []int{0}, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, b := backendtest.RandN32(rng, c.a...), backendtest.RandN32(rng, c.b...)
			fn := func(in []*graph.Node) []*graph.Node {
				return []*graph.Node{graph.DotGeneral(in[0], c.ac, c.ab, in[1], c.bc, c.bb)}
			}
			fast, slow, fb := runBoth(t, fn, a, b)
			assertClose(t, "dot", fast[0], slow[0])
			if fb != 0 {
				t.Errorf("%d executions left the fast path", fb)
			}
		})
	}
}

func TestElementwiseKernelsMatchSimplego(t *testing.T) {
	before := elementwiseCalls.Load()
	defer func() {
		if elementwiseCalls.Load() == before {
			t.Errorf("no elementwise kernel ran")
		}
	}()
	rng := rand.New(rand.NewSource(7))
	binary := []struct{ a, b []int }{
		{[]int{2, 3, 4, 5}, []int{2, 3, 4, 5}},
		{[]int{2, 3, 4, 5}, []int{1, 1, 1, 5}},
		{[]int{1, 1, 1, 5}, []int{2, 3, 4, 5}},
		{[]int{2, 3, 4, 5}, []int{1, 3, 1, 5}},
		{[]int{4, 1}, []int{1, 5}},
		{[]int{8, 64, 64, 16}, []int{1, 1, 1, 16}}, // large: split over goroutines
		{[]int{8, 64, 64, 16}, []int{8, 64, 64, 1}},
		{[]int{300, 400}, []int{300, 400}},
	}
	ops := map[string]func(a, b *graph.Node) *graph.Node{
		"add": graph.Add, "sub": graph.Sub, "mul": graph.Mul, "div": graph.Div, "max": graph.Max, "min": graph.Min,
	}
	for _, c := range binary {
		for name, op := range ops {
			t.Run(fmt.Sprintf("%s%v%v", name, c.a, c.b), func(t *testing.T) {
				a, b := backendtest.RandN32(rng, c.a...), backendtest.RandN32(rng, c.b...)
				fn := func(in []*graph.Node) []*graph.Node {
					// Exp makes the operands intermediate (owned) buffers, so
					// the in-place path runs too.
					x, y := graph.Exp(in[0]), graph.Exp(in[1])
					return []*graph.Node{op(x, y), op(in[0], y)}
				}
				fast, slow, _ := runBoth(t, fn, a, b)
				assertClose(t, "owned", fast[0], slow[0])
				assertClose(t, "parameter", fast[1], slow[1])
			})
		}
	}
	reductions := []struct {
		dims, axes []int
	}{
		{[]int{2, 3, 4, 5}, []int{0, 1, 2}},
		{[]int{2, 3, 4, 5}, []int{3}},
		{[]int{2, 3, 4, 5}, []int{2, 3}},
		{[]int{2, 3, 4, 5}, []int{1}},
		{[]int{2, 3, 4, 5}, []int{0, 1, 2, 3}},
		{[]int{8, 64, 64, 16}, []int{0, 1, 2}},
		{[]int{8, 64, 64, 16}, []int{3}},
		{[]int{8, 64, 64, 16}, []int{0, 1, 2, 3}},
	}
	for _, c := range reductions {
		t.Run(fmt.Sprintf("reduce%v%v", c.dims, c.axes), func(t *testing.T) {
			x := backendtest.RandN32(rng, c.dims...)
			fn := func(in []*graph.Node) []*graph.Node {
				return []*graph.Node{graph.ReduceSum(in[0], c.axes...), graph.ReduceMax(in[0], c.axes...)}
			}
			fast, slow, _ := runBoth(t, fn, x)
			assertClose(t, "sum", fast[0], slow[0])
			assertClose(t, "max", fast[1], slow[1])
		})
	}
	for _, dims := range [][]int{{3, 5}, {8, 64, 64, 16}} {
		t.Run(fmt.Sprintf("unary%v", dims), func(t *testing.T) {
			x := backendtest.RandN32(rng, dims...)
			fn := func(in []*graph.Node) []*graph.Node {
				e := graph.Exp(in[0]) // an owned intermediate: the in-place path
				return []*graph.Node{graph.Sign(in[0]), graph.Neg(in[0]), graph.Abs(in[0]), graph.Sqrt(e),
					graph.Sqrt(graph.Abs(in[0])), graph.Neg(e)}
			}
			fast, slow, _ := runBoth(t, fn, x)
			for i := range fast {
				assertClose(t, fmt.Sprint("unary ", i), fast[i], slow[i])
			}
		})
	}
	transposes := []struct{ dims, perm []int }{
		{[]int{2, 3, 4, 5}, []int{0, 3, 1, 2}},
		{[]int{2, 3, 4, 5}, []int{3, 2, 1, 0}},
		{[]int{8, 64, 64, 16}, []int{0, 1, 3, 2}},
		{[]int{8, 64, 64, 16}, []int{3, 0, 1, 2}},
		{[]int{16, 64, 64, 8}, []int{1, 0, 2, 3}},
	}
	for _, c := range transposes {
		t.Run(fmt.Sprintf("transpose%v%v", c.dims, c.perm), func(t *testing.T) {
			x := backendtest.RandN32(rng, c.dims...)
			fn := func(in []*graph.Node) []*graph.Node {
				return []*graph.Node{graph.TransposeAllAxes(in[0], c.perm...)}
			}
			fast, slow, _ := runBoth(t, fn, x)
			assertClose(t, "transpose", fast[0], slow[0])
		})
	}
}

// TestDilatedInputConvMatchesSimplego covers input dilation directly: at
// stride 1 (by output phases) and with strides or kernel dilation (by
// scatter-adding each input pixel's shares).
func TestDilatedInputConvMatchesSimplego(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	cases := []struct {
		x, k               [4]int
		stride, idil, kdil []int
		pads               [][2]int
	}{
		{[4]int{2, 5, 6, 3}, [4]int{5, 5, 3, 4}, []int{1, 1}, []int{2, 2}, []int{1, 1}, [][2]int{{2, 3}, {2, 3}}},
		{[4]int{1, 4, 5, 2}, [4]int{3, 5, 2, 3}, []int{1, 1}, []int{3, 2}, []int{1, 1}, [][2]int{{1, 0}, {3, 2}}},
		{[4]int{2, 5, 6, 3}, [4]int{3, 3, 3, 2}, []int{2, 1}, []int{2, 2}, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}},
		{[4]int{1, 6, 5, 2}, [4]int{3, 3, 2, 2}, []int{1, 1}, []int{2, 2}, []int{2, 1}, [][2]int{{2, 2}, {1, 1}}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("x%v_k%v_s%v_id%v_kd%v", c.x, c.k, c.stride, c.idil, c.kdil), func(t *testing.T) {
			x, k := backendtest.RandN32(rng, c.x[:]...), backendtest.RandN32(rng, c.k[:]...)
			fn := func(in []*graph.Node) []*graph.Node {
				return []*graph.Node{graph.ConvGeneral(in[0], in[1], nhwc, c.stride, c.pads, c.idil, c.kdil, 1, 1)}
			}
			fast, slow, fb := runBoth(t, fn, x, k)
			assertClose(t, "forward", fast[0], slow[0])
			if fb != 0 {
				t.Errorf("%d executions left the fast path", fb)
			}
		})
	}
}
