package backend

import (
	"slices"
	"sync"
	"unsafe"

	"github.com/gomlx/gomlx/backends/simplego"

	"github.com/semcodec/semcodec/blas"
)

// dotFast runs a float32 DotGeneral as one sgemm per batch element; the
// operands are used in place when their axes already come in
// (batch, cross, contracting) or (batch, contracting, cross) order, and
// are transposed into scratch space otherwise.
func dotFast(be *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) (*simplego.Buffer, bool) {
	n := (*nodeMirror)(unsafe.Pointer(node))
	p := paramsOf[dotParams](n.data, dotType)
	if p == nil || len(inputs) != 2 {
		return nil, false
	}
	lhs, ok1 := float32Data(be, inputs[0])
	rhs, ok2 := float32Data(be, inputs[1])
	if !ok1 || !ok2 {
		return nil, false
	}
	lshape, err1 := be.BufferShape(inputs[0])
	rshape, err2 := be.BufferShape(inputs[1])
	if err1 != nil || err2 != nil {
		return nil, false
	}
	nb, m, nn, k := p.batchSize, p.lhsCrossSize, p.rhsCrossSize, p.contractingSize
	if n.shape.Size() != nb*m*nn {
		return nil, false
	}
	a, aKM, freeA := dotOperand(lhs, lshape.Dimensions, p.lhsBatchAxes, p.lhsContractingAxes)
	defer freeA()
	b, bKN, freeB := dotOperand(rhs, rshape.Dimensions, p.rhsBatchAxes, p.rhsContractingAxes)
	defer freeB()
	out := be.NewBuffer(n.shape)
	c, _ := float32Data(be, out)
	lda, ldb := k, k
	if aKM {
		lda = m
	}
	if bKN {
		ldb = nn
	}
	for i := range nb {
		blas.Sgemm(aKM, !bKN, m, nn, k, 1, a[i*m*k:(i+1)*m*k], lda, b[i*nn*k:(i+1)*nn*k], ldb,
			0, c[i*m*nn:(i+1)*m*nn], nn)
	}
	return out, true
}

// dotOperand returns x as [batch, cross, contracting] (kc false) or
// [batch, contracting, cross] (kc true), transposing into scratch space
// only when x is in neither order. free returns the scratch.
func dotOperand(x []float32, dims, batchAxes, contractAxes []int) (mat []float32, kc bool, free func()) {
	rank := len(dims)
	role := make([]int, rank) // 0 cross, 1 contracting, 2 batch
	for _, a := range contractAxes {
		role[a] = 1
	}
	for _, a := range batchAxes {
		role[a] = 2
	}
	var cross []int
	for a := range rank {
		if role[a] == 0 {
			cross = append(cross, a)
		}
	}
	rowsFirst := slices.Concat(batchAxes, cross, contractAxes)
	if isIdentity(rowsFirst) {
		return x, false, func() {}
	}
	if isIdentity(slices.Concat(batchAxes, contractAxes, cross)) {
		return x, true, func() {}
	}
	buf := getScratch(len(x))
	permute(buf, x, dims, rowsFirst)
	return buf, false, func() { putScratch(buf) }
}

func isIdentity(perm []int) bool {
	for i, p := range perm {
		if p != i {
			return false
		}
	}
	return true
}

// permute writes into dst the transpose of src (dims) whose axis i is src
// axis perm[i].
func permute(dst, src []float32, dims, perm []int) {
	permuteStrided(dst, src, dims, dims, perm)
}

// permuteSteps fills dst (row-major over outDims) from src, where output
// axis i advances the source by step[i].
func permuteSteps(dst, src []float32, outDims, step []int) {
	rank := len(outDims)
	if len(dst) == 0 {
		return
	}
	inner, innerStep := outDims[rank-1], step[rank-1]
	idx := make([]int, rank)
	base, o := 0, 0
	for {
		if innerStep == 1 {
			copy(dst[o:o+inner], src[base:base+inner])
		} else {
			for j := range inner {
				dst[o+j] = src[base+j*innerStep]
			}
		}
		o += inner
		// Advance the outer index like an odometer.
		a := rank - 2
		for ; a >= 0; a-- {
			idx[a]++
			base += step[a]
			if idx[a] < outDims[a] {
				break
			}
			base -= step[a] * outDims[a]
			idx[a] = 0
		}
		if a < 0 {
			return
		}
	}
}

// scratch recycles float32 work space between kernel calls.
var scratch sync.Pool

func getScratch(n int) []float32 {
	if p, ok := scratch.Get().(*[]float32); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]float32, n)
}

func putScratch(b []float32) {
	scratch.Put(&b)
}
