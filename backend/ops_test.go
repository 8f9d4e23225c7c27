package backend

import (
	"math/rand"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/backend/backendtest"
)

var semcpu = sync.OnceValue(func() backends.Backend {
	b, err := NewSemCPU("")
	if err != nil {
		panic(err)
	}
	return b
})

// refPad is XLA's Pad on a row-major array: interior padding first, then
// edge padding, negative edges cropping.
func refPad(x []float64, dims []int, fill float64, cfg []backends.PadAxis) ([]float64, []int) {
	for axis := range cfg {
		c := cfg[axis]
		outer, inner := 1, 1
		for _, d := range dims[:axis] {
			outer *= d
		}
		for _, d := range dims[axis+1:] {
			inner *= d
		}
		n := dims[axis]
		// Positions of the axis after interior padding, then shifted by Start.
		grown := n
		if n > 0 {
			grown = n + (n-1)*c.Interior
		}
		m := grown + c.Start + c.End
		out := make([]float64, outer*m*inner)
		for i := range out {
			out[i] = fill
		}
		for o := range outer {
			for j := range n {
				p := j*(c.Interior+1) + c.Start
				if p < 0 || p >= m {
					continue
				}
				copy(out[(o*m+p)*inner:(o*m+p+1)*inner], x[(o*n+j)*inner:(o*n+j+1)*inner])
			}
		}
		x = out
		dims = slices.Clone(dims)
		dims[axis] = m
	}
	return x, dims
}

func iota(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = float64(i + 1)
	}
	return x
}

func TestPad(t *testing.T) {
	for _, c := range []struct {
		name string
		dims []int
		cfg  []backends.PadAxis
	}{
		{"edges", []int{2, 3}, []backends.PadAxis{{Start: 1, End: 2}, {Start: 0, End: 1}}},
		{"interior", []int{3, 4}, []backends.PadAxis{{Interior: 1}, {Interior: 2}}},
		{"all at once", []int{3, 4}, []backends.PadAxis{{Start: 1, End: -1, Interior: 1}, {Start: -1, End: 2, Interior: 2}}},
		{"crop only", []int{4, 5}, []backends.PadAxis{{Start: -1, End: -2}, {Start: -4}}},
		{"crop into interior", []int{3}, []backends.PadAxis{{Start: -2, End: -1, Interior: 2}}},
		{"size-1 axis", []int{1, 3}, []backends.PadAxis{{Start: 1, Interior: 3}, {}}},
		{"fewer axes than rank", []int{2, 2, 3}, []backends.PadAxis{{Start: 1}}},
		{"last axis only", []int{2, 2, 3}, []backends.PadAxis{{}, {}, {Start: 2, End: 1, Interior: 1}}},
		{"no-op", []int{2, 3}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := 1
			for _, d := range c.dims {
				n *= d
			}
			x := iota(n)
			want, wantDims := refPad(x, c.dims, -7, c.cfg)
			got := graph.MustExecOnce(semcpu(), func(x *graph.Node) *graph.Node {
				return graph.Pad(x, graph.Const(x.Graph(), -7.0), c.cfg...)
			}, tensors.FromFlatDataAndDimensions(x, c.dims...))
			if !slices.Equal(got.Shape().Dimensions, wantDims) {
				t.Fatalf("shape %s, want %v", got.Shape(), wantDims)
			}
			if g := tensors.MustCopyFlatData[float64](got); !slices.Equal(g, want) {
				t.Fatalf("got %v\nwant %v", g, want)
			}
		})
	}
}

func TestPadRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(g *graph.Graph) *graph.Node
		want string
	}{
		{"negative interior", func(g *graph.Graph) *graph.Node {
			x := graph.Zeros(g, shapes.Make(dtypes.Float32, 3))
			return graph.Pad(x, graph.Const(g, float32(0)), backends.PadAxis{Interior: -1})
		}, "interior"},
		{"over-crop", func(g *graph.Graph) *graph.Node {
			x := graph.Zeros(g, shapes.Make(dtypes.Float32, 3))
			return graph.Pad(x, graph.Const(g, float32(0)), backends.PadAxis{Start: -4})
		}, "cannot remove"},
		{"fill not scalar", func(g *graph.Graph) *graph.Node {
			x := graph.Zeros(g, shapes.Make(dtypes.Float32, 3))
			return graph.Pad(x, graph.Zeros(g, shapes.Make(dtypes.Float32, 1)), backends.PadAxis{Start: 1})
		}, "scalar"},
		{"reverse axis twice", func(g *graph.Graph) *graph.Node {
			return graph.Reverse(graph.Zeros(g, shapes.Make(dtypes.Float32, 3, 2)), 0, 0)
		}, "twice"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := graph.ExecOnce(semcpu(), c.fn)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestReverse(t *testing.T) {
	dims := []int{2, 3, 4}
	x := iota(24)
	at := func(i, j, k int) float64 { return x[(i*3+j)*4+k] }
	for _, axes := range [][]int{{0}, {1}, {2}, {0, 2}, {2, 1, 0}, {}} {
		got := tensors.MustCopyFlatData[float64](graph.MustExecOnce(semcpu(), func(x *graph.Node) *graph.Node {
			return graph.Reverse(x, axes...)
		}, tensors.FromFlatDataAndDimensions(x, dims...)))
		for i := range 2 {
			for j := range 3 {
				for k := range 4 {
					src := [3]int{i, j, k}
					for _, a := range axes {
						src[a] = dims[a] - 1 - src[a]
					}
					if g, w := got[(i*3+j)*4+k], at(src[0], src[1], src[2]); g != w {
						t.Fatalf("axes %v at (%d,%d,%d): %v, want %v", axes, i, j, k, g, w)
					}
				}
			}
		}
	}
	// An axis longer than reverseBySlices is gathered.
	long := iota(2 * (reverseBySlices + 3))
	gotLong := tensors.MustCopyFlatData[float64](graph.MustExecOnce(semcpu(), func(x *graph.Node) *graph.Node {
		return graph.Reverse(x, 1)
	}, tensors.FromFlatDataAndDimensions(long, 2, reverseBySlices+3)))
	for i, g := range gotLong {
		n := reverseBySlices + 3
		if w := long[(i/n)*n+n-1-i%n]; g != w {
			t.Fatalf("long axis, element %d: %v, want %v", i, g, w)
		}
	}
	// Integer tensors and size-1 axes take the same path.
	got := graph.MustExecOnce(semcpu(), func(x *graph.Node) *graph.Node { return graph.Reverse(x, 0, 1) },
		tensors.FromValue([][]int32{{1, 2, 3}}))
	if v := got.Value().([][]int32); !slices.Equal(v[0], []int32{3, 2, 1}) {
		t.Fatalf("int32 reverse: %v", v)
	}
}

// The gradients GoMLX derives for Slice, pooling and Convolve are where
// simplego used to fail: they emit Pad (with interior and negative edges),
// Reverse, and ConvGeneral with empty stride lists. Check them against
// finite differences on semcpu.
func TestGradientsThroughComposedOps(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range []struct {
		name   string
		dims   [][]int
		fn     func(in []*graph.Node) *graph.Node
		coords int
	}{
		{"strided slice", [][]int{{7, 9}, {3, 4}}, func(in []*graph.Node) *graph.Node {
			s := graph.Slice(in[0], graph.AxisRange(1, 7).Stride(2), graph.AxisRange(0, 8).Stride(2))
			return graph.ReduceAllSum(graph.Mul(graph.Sin(s), in[1]))
		}, 0},
		{"mean pool", [][]int{{2, 7, 8, 3}, {2, 4, 4, 3}}, func(in []*graph.Node) *graph.Node {
			p := graph.MeanPool(in[0]).Window(2).Strides(2).PadSame().Done()
			return graph.ReduceAllSum(graph.Mul(graph.Sin(p), in[1]))
		}, 0},
		{"convolve, default strides", [][]int{{2, 6, 7, 3}, {3, 3, 3, 4}, {2, 6, 7, 4}}, func(in []*graph.Node) *graph.Node {
			y := graph.Convolve(in[0], in[1]).PadSame().Done()
			return graph.ReduceAllSum(graph.Mul(graph.Sin(y), in[2]))
		}, 0},
		{"convolve, stride 2, 5x5", [][]int{{1, 9, 8, 2}, {5, 5, 2, 3}, {1, 5, 4, 3}}, func(in []*graph.Node) *graph.Node {
			y := graph.Convolve(in[0], in[1]).Strides(2).PadSame().Done()
			return graph.ReduceAllSum(graph.Mul(graph.Sin(y), in[2]))
		}, 0},
		{"convolve, dilation 2", [][]int{{1, 8, 8, 2}, {3, 3, 2, 2}, {1, 8, 8, 2}}, func(in []*graph.Node) *graph.Node {
			y := graph.Convolve(in[0], in[1]).Dilations(2).PadSame().Done()
			return graph.ReduceAllSum(graph.Mul(graph.Sin(y), in[2]))
		}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			inputs := make([]*tensors.Tensor, len(c.dims))
			for i, d := range c.dims {
				inputs[i] = backendtest.RandN(rng, d...)
			}
			backendtest.GradCheck(t, semcpu(), c.fn, inputs, &backendtest.Options{MaxCoords: 24})
		})
	}
}

// TestDeterminism: the same graph run twice gives bit-identical results.
func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	x, k := backendtest.RandN(rng, 2, 12, 10, 4), backendtest.RandN(rng, 3, 3, 4, 6)
	exec := graph.MustNewExec(semcpu(), func(x, k *graph.Node) []*graph.Node {
		x, k = graph.ConvertDType(x, dtypes.Float32), graph.ConvertDType(k, dtypes.Float32)
		y := graph.Convolve(x, k).Strides(2).PadSame().Done()
		loss := graph.ReduceAllSum(graph.Mul(y, y))
		return append([]*graph.Node{y}, graph.Gradient(loss, x, k)...)
	})
	first := exec.MustExec(x, k)
	second := exec.MustExec(x, k)
	for i := range first {
		a, b := tensors.MustCopyFlatData[float32](first[i]), tensors.MustCopyFlatData[float32](second[i])
		if !slices.Equal(a, b) {
			t.Fatalf("output %d differs between runs", i)
		}
	}
}

// TestNoDeadlockOnParallelBranches runs several independent DotGeneral
// chains in one graph: simplego's default mode hung on this on 2 cores.
// The watchdog only turns a hang into a failure; it measures nothing.
func TestNoDeadlockOnParallelBranches(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	a, w := backendtest.RandN(rng, 256, 192), backendtest.RandN(rng, 192, 192)
	exec := graph.MustNewExec(semcpu(), func(a, w *graph.Node) *graph.Node {
		var outs []*graph.Node
		for i := range 8 {
			h := graph.AddScalar(a, float64(i))
			for range 3 {
				h = graph.Tanh(graph.Dot(h, w))
			}
			outs = append(outs, graph.ReduceAllSum(h))
		}
		return graph.Stack(outs, 0)
	})
	done := make(chan error, 1)
	go func() { _, err := exec.Exec(a, w); done <- err }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("execution hung (worker-pool deadlock?)")
	}
}
