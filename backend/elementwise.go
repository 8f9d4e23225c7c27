package backend

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
)

// Once convolutions are sgemm work, simplego's elementwise ops are the
// next largest cost: they walk broadcasts and reductions one element at a
// time through an index iterator, on one core. These kernels cover the
// float32 shapes a conv net produces (same-shape operands, a per-channel
// vector, a scalar; sums over leading or trailing axes) with plain loops
// split over GOMAXPROCS; anything else goes to simplego.

func elementwiseKernels() map[backends.OpType]fastKernel {
	m := map[backends.OpType]fastKernel{}
	for _, op := range []backends.OpType{backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul,
		backends.OpTypeDiv, backends.OpTypeMax, backends.OpTypeMin} {
		m[op] = func(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, bool) {
			return binaryFast(op, be, node, in, owned)
		}
	}
	for _, op := range []backends.OpType{backends.OpTypeReduceSum, backends.OpTypeReduceMax} {
		m[op] = func(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, _ []bool) (*simplego.Buffer, bool) {
			return reduceFast(op, be, node, in)
		}
	}
	for _, op := range []backends.OpType{backends.OpTypeSign, backends.OpTypeNeg, backends.OpTypeAbs, backends.OpTypeSqrt} {
		m[op] = func(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, bool) {
			return unaryFast(op, be, node, in, owned)
		}
	}
	m[backends.OpTypeTranspose] = func(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, _ []bool) (*simplego.Buffer, bool) {
		return transposeFast(be, node, in)
	}
	return m
}

// elementwiseCalls counts executions of these kernels (for tests).
var elementwiseCalls atomic.Int64

// minParallel is the element count below which splitting over goroutines
// costs more than it saves.
const minParallel = 1 << 15

// parallelRange calls fn on [lo, hi) pieces of [0, n), spread over
// GOMAXPROCS goroutines when n is large enough.
func parallelRange(n, minPiece int, fn func(lo, hi int)) {
	procs := runtime.GOMAXPROCS(0)
	if procs <= 1 || n < 2*minPiece {
		fn(0, n)
		return
	}
	pieces := min(procs, n/minPiece)
	var wg sync.WaitGroup
	for p := 1; p < pieces; p++ {
		wg.Go(func() { fn(p*n/pieces, (p+1)*n/pieces) })
	}
	fn(0, n/pieces)
	wg.Wait()
}

// binaryFast: out = a op b, where each operand has out's rank and either
// out's dimension or 1 on each axis. Axes are merged into runs of equal
// broadcast pattern; the innermost run is a plain loop with each operand
// stepping by 1 or 0.
func binaryFast(op backends.OpType, be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer,
	owned []bool) (*simplego.Buffer, bool) {
	nd := (*nodeMirror)(unsafe.Pointer(node))
	if nd.shape.DType != dtypes.Float32 || len(in) != 2 {
		return nil, false
	}
	a, ok1 := float32Data(be, in[0])
	b, ok2 := float32Data(be, in[1])
	sa, err1 := be.BufferShape(in[0])
	sb, err2 := be.BufferShape(in[1])
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return nil, false
	}
	dims := nd.shape.Dimensions
	if sa.Rank() != len(dims) && sa.Size() != 1 || sb.Rank() != len(dims) && sb.Size() != 1 {
		return nil, false
	}
	// Merge axes: each run has a size and whether a and b are broadcast on it.
	type run struct {
		size       int
		bcA, bcB   bool
		strA, strB int
	}
	var runs []run
	for i, d := range dims {
		if d == 1 {
			continue
		}
		bcA := sa.Size() == 1 || sa.Dimensions[i] == 1
		bcB := sb.Size() == 1 || sb.Dimensions[i] == 1
		if !bcA && sa.Dimensions[i] != d || !bcB && sb.Dimensions[i] != d {
			return nil, false
		}
		if l := len(runs) - 1; l >= 0 && runs[l].bcA == bcA && runs[l].bcB == bcB {
			runs[l].size *= d
			continue
		}
		runs = append(runs, run{size: d, bcA: bcA, bcB: bcB})
	}
	if len(runs) > 3 {
		return nil, false
	}
	strA, strB := 1, 1
	for i := len(runs) - 1; i >= 0; i-- {
		if !runs[i].bcA {
			runs[i].strA = strA
			strA *= runs[i].size
		}
		if !runs[i].bcB {
			runs[i].strB = strB
			strB *= runs[i].size
		}
	}
	var out *simplego.Buffer
	switch {
	case owned[0] && sa.Equal(nd.shape):
		out, in[0] = in[0], nil
	case owned[1] && sb.Equal(nd.shape):
		out, in[1] = in[1], nil
	default:
		out = be.NewBuffer(nd.shape)
	}
	o, _ := float32Data(be, out)
	if len(runs) == 0 {
		binaryLoop(op, o[:1], a, b, 0, 0)
		return out, true
	}
	inner := runs[len(runs)-1]
	innerA, innerB := inner.strA, inner.strB // 0 or 1
	outer := runs[:len(runs)-1]
	nOuter := 1
	for _, r := range outer {
		nOuter *= r.size
	}
	if nOuter == 1 {
		parallelRange(inner.size, minParallel, func(lo, hi int) {
			binaryLoop(op, o[lo:hi], a[lo*innerA:], b[lo*innerB:], innerA, innerB)
		})
		return out, true
	}
	minRows := max(1, minParallel/inner.size)
	parallelRange(nOuter, minRows, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			// Offsets of outer row r in a and b.
			offA, offB, rem := 0, 0, r
			for i := len(outer) - 1; i >= 0; i-- {
				idx := rem % outer[i].size
				rem /= outer[i].size
				offA += idx * outer[i].strA
				offB += idx * outer[i].strB
			}
			binaryLoop(op, o[r*inner.size:(r+1)*inner.size], a[offA:], b[offB:], innerA, innerB)
		}
	})
	return out, true
}

// binaryLoop sets o[i] = a[i*sa] op b[i*sb], with sa, sb in {0, 1}.
func binaryLoop(op backends.OpType, o, a, b []float32, sa, sb int) {
	n := len(o)
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch op {
		case backends.OpTypeAdd:
			for i := range o {
				o[i] = a[i] + b[i]
			}
		case backends.OpTypeSub:
			for i := range o {
				o[i] = a[i] - b[i]
			}
		case backends.OpTypeMul:
			for i := range o {
				o[i] = a[i] * b[i]
			}
		case backends.OpTypeDiv:
			for i := range o {
				o[i] = a[i] / b[i]
			}
		case backends.OpTypeMax:
			for i := range o {
				o[i] = fmax(a[i], b[i])
			}
		case backends.OpTypeMin:
			for i := range o {
				o[i] = fmin(a[i], b[i])
			}
		}
	case sa == 1:
		a, s := a[:n], b[0]
		switch op {
		case backends.OpTypeAdd:
			for i := range o {
				o[i] = a[i] + s
			}
		case backends.OpTypeSub:
			for i := range o {
				o[i] = a[i] - s
			}
		case backends.OpTypeMul:
			for i := range o {
				o[i] = a[i] * s
			}
		case backends.OpTypeDiv:
			for i := range o {
				o[i] = a[i] / s
			}
		case backends.OpTypeMax:
			for i := range o {
				o[i] = fmax(a[i], s)
			}
		case backends.OpTypeMin:
			for i := range o {
				o[i] = fmin(a[i], s)
			}
		}
	case sb == 1:
		s, b := a[0], b[:n]
		switch op {
		case backends.OpTypeAdd:
			for i := range o {
				o[i] = s + b[i]
			}
		case backends.OpTypeSub:
			for i := range o {
				o[i] = s - b[i]
			}
		case backends.OpTypeMul:
			for i := range o {
				o[i] = s * b[i]
			}
		case backends.OpTypeDiv:
			for i := range o {
				o[i] = s / b[i]
			}
		case backends.OpTypeMax:
			for i := range o {
				o[i] = fmax(s, b[i])
			}
		case backends.OpTypeMin:
			for i := range o {
				o[i] = fmin(s, b[i])
			}
		}
	default:
		var v float32
		x, y := a[0], b[0]
		switch op {
		case backends.OpTypeAdd:
			v = x + y
		case backends.OpTypeSub:
			v = x - y
		case backends.OpTypeMul:
			v = x * y
		case backends.OpTypeDiv:
			v = x / y
		case backends.OpTypeMax:
			v = fmax(x, y)
		case backends.OpTypeMin:
			v = fmin(x, y)
		}
		for i := range o {
			o[i] = v
		}
	}
}

// unaryFast runs Sign, Neg, Abs and Sqrt on float32, in place when the
// input buffer is no longer needed. Sign is branch-free: on noise-like
// data simplego's branching loop mispredicts every other element.
func unaryFast(op backends.OpType, be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer,
	owned []bool) (*simplego.Buffer, bool) {
	nd := (*nodeMirror)(unsafe.Pointer(node))
	if nd.shape.DType != dtypes.Float32 || len(in) != 1 {
		return nil, false
	}
	x, ok := float32Data(be, in[0])
	if !ok || len(x) != nd.shape.Size() {
		return nil, false
	}
	var out *simplego.Buffer
	if owned[0] {
		out, in[0] = in[0], nil
	} else {
		out = be.NewBuffer(nd.shape)
	}
	o, _ := float32Data(be, out)
	parallelRange(len(x), minParallel, func(lo, hi int) {
		o, x := o[lo:hi], x[lo:hi]
		switch op {
		case backends.OpTypeSign:
			for i, v := range x {
				o[i] = float32(b2i(v > 0) - b2i(v < 0))
			}
		case backends.OpTypeNeg:
			for i, v := range x {
				o[i] = -v
			}
		case backends.OpTypeAbs:
			for i, v := range x {
				o[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
			}
		case backends.OpTypeSqrt:
			for i, v := range x {
				o[i] = float32(math.Sqrt(float64(v)))
			}
		}
	})
	return out, true
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// fmax and fmin propagate NaN, as simplego (and XLA) do.
func fmax(a, b float32) float32 {
	if a >= b || a != a {
		return a
	}
	return b
}

func fmin(a, b float32) float32 {
	if a <= b || a != a {
		return a
	}
	return b
}

// reduceFast sums (or maxes) over the axes in the node's data when, after
// merging, the operand is [R] (everything), [K, R] (trailing axes) or
// [R, K] (leading axes).
func reduceFast(op backends.OpType, be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer) (*simplego.Buffer, bool) {
	nd := (*nodeMirror)(unsafe.Pointer(node))
	axes, ok := nd.data.([]int)
	if !ok || nd.shape.DType != dtypes.Float32 || len(in) != 1 || len(axes) == 0 {
		return nil, false
	}
	x, ok := float32Data(be, in[0])
	sx, err := be.BufferShape(in[0])
	if !ok || err != nil || len(x) == 0 {
		return nil, false
	}
	reduced := make([]bool, sx.Rank())
	for _, a := range axes {
		if a < 0 || a >= sx.Rank() {
			return nil, false
		}
		reduced[a] = true
	}
	type run struct {
		size    int
		reduced bool
	}
	var runs []run
	for i, d := range sx.Dimensions {
		if d == 1 {
			continue
		}
		if l := len(runs) - 1; l >= 0 && runs[l].reduced == reduced[i] {
			runs[l].size *= d
			continue
		}
		runs = append(runs, run{d, reduced[i]})
	}
	out := be.NewBuffer(nd.shape)
	o, _ := float32Data(be, out)
	isMax := op == backends.OpTypeReduceMax
	switch {
	case len(runs) == 0: // every axis has size 1
		copy(o, x)
	case len(runs) == 1 && !runs[0].reduced:
		copy(o, x)
	case len(runs) == 1 || len(runs) == 2 && !runs[0].reduced: // [R] or [K, R]
		k, r := 1, runs[len(runs)-1].size
		if len(runs) == 2 {
			k = runs[0].size
		}
		if k == 1 {
			o[0] = reduceAll(x, isMax)
			break
		}
		parallelRange(k, max(1, minParallel/r), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				o[i] = reduceSlice(x[i*r:(i+1)*r], isMax)
			}
		})
	case len(runs) == 2: // [R, K]
		r, k := runs[0].size, runs[1].size
		reduceRows(o, x, r, k, isMax)
	default:
		be.BufferFinalize(out)
		return nil, false
	}
	return out, true
}

func reduceSlice(x []float32, isMax bool) float32 {
	if isMax {
		m := x[0]
		for _, v := range x[1:] {
			m = fmax(m, v)
		}
		return m
	}
	// Four accumulators: faster, and a little more accurate than one.
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// reduceAll reduces a whole slice, in pieces on several goroutines.
func reduceAll(x []float32, isMax bool) float32 {
	var mu sync.Mutex
	var parts []float32
	parallelRange(len(x), minParallel, func(lo, hi int) {
		v := reduceSlice(x[lo:hi], isMax)
		mu.Lock()
		parts = append(parts, v)
		mu.Unlock()
	})
	return reduceSlice(parts, isMax)
}

// reduceRows reduces x [r, k] over its rows into o [k]: each goroutine
// reduces a band of rows into its own partial.
func reduceRows(o, x []float32, r, k int, isMax bool) {
	var mu sync.Mutex
	first := true
	parallelRange(r, max(1, minParallel/k), func(lo, hi int) {
		part := make([]float32, k)
		copy(part, x[lo*k:(lo+1)*k])
		for i := lo + 1; i < hi; i++ {
			row := x[i*k : (i+1)*k]
			if isMax {
				for j, v := range row {
					part[j] = fmax(part[j], v)
				}
			} else {
				for j, v := range row {
					part[j] += v
				}
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if first {
			copy(o, part)
			first = false
			return
		}
		for j, v := range part {
			if isMax {
				o[j] = fmax(o[j], v)
			} else {
				o[j] += v
			}
		}
	})
}

// transposeFast runs a float32 Transpose with permute, split over the
// leading output axis.
func transposeFast(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer) (*simplego.Buffer, bool) {
	nd := (*nodeMirror)(unsafe.Pointer(node))
	perm, ok := nd.data.([]int)
	if !ok || nd.shape.DType != dtypes.Float32 || len(in) != 1 {
		return nil, false
	}
	x, ok := float32Data(be, in[0])
	sx, err := be.BufferShape(in[0])
	if !ok || err != nil || len(perm) != sx.Rank() || len(perm) == 0 {
		return nil, false
	}
	out := be.NewBuffer(nd.shape)
	o, _ := float32Data(be, out)
	dims := sx.Dimensions
	lead := dims[perm[0]]
	if lead <= 1 || len(x) < 2*minParallel {
		permute(o, x, dims, perm)
		return out, true
	}
	// Each piece transposes a slab of the leading output axis.
	stride := 1
	for a := perm[0] + 1; a < len(dims); a++ {
		stride *= dims[a]
	}
	slab := len(x) / lead
	parallelRange(lead, max(1, minParallel/slab), func(lo, hi int) {
		subDims := append([]int(nil), dims...)
		subDims[perm[0]] = hi - lo
		permuteStrided(o[lo*slab:hi*slab], x[lo*stride:], dims, subDims, perm)
	})
	return out, true
}

// permuteStrided is permute over a window (subDims) of a larger source
// tensor (dims) that starts at src[0].
func permuteStrided(dst, src []float32, dims, subDims, perm []int) {
	rank := len(dims)
	srcStrides := make([]int, rank)
	s := 1
	for a := rank - 1; a >= 0; a-- {
		srcStrides[a] = s
		s *= dims[a]
	}
	outDims := make([]int, rank)
	step := make([]int, rank)
	for i, a := range perm {
		outDims[i], step[i] = subDims[a], srcStrides[a]
	}
	permuteSteps(dst, src, outDims, step)
}
