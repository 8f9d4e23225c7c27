package blas

import "sync"

// Blocking for the pure-Go kernel. The micro-tile is small because Go keeps
// scalar accumulators in the 15 usable XMM registers: 2x4 = 8 accumulators plus
// operands fits without spills, larger tiles spill and run ~2x slower.
const (
	mr = 2    // micro-tile rows
	nr = 4    // micro-tile columns
	kc = 256  // depth of a packed panel
	mc = 128  // rows of A packed at once (multiple of mr); mc*kc floats stay in L2
	nc = 1024 // columns of B packed at once (multiple of nr)
)

type scratch struct{ a, b []float32 }

// Packed panels are sized to the product so small calls do not allocate the
// full 1.1 MB blocks.
var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// goSgemm is the single-threaded pure-Go path. Arguments are already validated.
func goSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	scaleC(m, n, beta, c, ldc)
	if alpha == 0 || k == 0 {
		return
	}
	s := scratchPool.Get().(*scratch)
	defer scratchPool.Put(s)
	// Vector-matrix products are memory-bound: packing would double the traffic
	// and the 2x4 tile would be half empty.
	if m == 1 {
		x, incx := a, 1
		if transA {
			incx = lda
		}
		vecMat(k, n, alpha, x, incx, b, ldb, transB, c, 1, s)
		return
	}
	if n == 1 { // C^T = op(B)^T op(A)^T
		x, incx := b, ldb
		if transB {
			incx = 1
		}
		vecMat(k, m, alpha, x, incx, a, lda, !transA, c, ldc, s)
		return
	}
	s.a = grow(s.a, roundUp(min(mc, m), mr)*min(kc, k))
	s.b = grow(s.b, min(kc, k)*roundUp(min(nc, n), nr))
	for jc := 0; jc < n; jc += nc {
		nb := min(nc, n-jc)
		for pc := 0; pc < k; pc += kc {
			kb := min(kc, k-pc)
			packB(transB, kb, nb, b, ldb, pc, jc, s.b)
			for ic := 0; ic < m; ic += mc {
				mb := min(mc, m-ic)
				packA(transA, mb, kb, alpha, a, lda, ic, pc, s.a)
				macroKernel(mb, nb, kb, s.a, s.b, c[ic*ldc+jc:], ldc)
			}
		}
	}
}

// scaleC sets C = beta*C; beta == 0 overwrites (C may hold NaN).
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// packA copies alpha*op(A)[ic:ic+mb, pc:pc+kb] into strips of mr rows;
// strip s holds element (i, p) at s*kb*mr + p*mr + i, zero-padded to mr rows.
func packA(transA bool, mb, kb int, alpha float32, a []float32, lda, ic, pc int, dst []float32) {
	for s := 0; s < mb; s += mr {
		rows := min(mr, mb-s)
		d := dst[s*kb : s*kb+mr*kb]
		if rows < mr {
			clear(d)
		}
		for i := range rows {
			if transA {
				// op(A)[r][p] = a[p*lda + r]: strided reads.
				col := ic + s + i
				for p := range kb {
					d[p*mr+i] = alpha * a[(pc+p)*lda+col]
				}
			} else {
				row := a[(ic+s+i)*lda+pc : (ic+s+i)*lda+pc+kb]
				for p, v := range row {
					d[p*mr+i] = alpha * v
				}
			}
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into strips of nr columns;
// strip s holds element (p, j) at s*kb*nr + p*nr + j, zero-padded to nr columns.
func packB(transB bool, kb, nb int, b []float32, ldb, pc, jc int, dst []float32) {
	for s := 0; s < nb; s += nr {
		cols := min(nr, nb-s)
		d := dst[s*kb : s*kb+nr*kb]
		if !transB && cols == nr {
			for p := range kb {
				src := b[(pc+p)*ldb+jc+s : (pc+p)*ldb+jc+s+nr]
				dd := d[p*nr : p*nr+nr]
				copy(dd, src)
			}
			continue
		}
		if cols < nr {
			clear(d)
		}
		for j := range cols {
			if transB {
				col := b[(jc+s+j)*ldb+pc : (jc+s+j)*ldb+pc+kb]
				for p, v := range col {
					d[p*nr+j] = v
				}
			} else {
				for p := range kb {
					d[p*nr+j] = b[(pc+p)*ldb+jc+s+j]
				}
			}
		}
	}
}

// macroKernel adds packed A (mb x kb) times packed B (kb x nb) into C.
func macroKernel(mb, nb, kb int, pa, pb []float32, c []float32, ldc int) {
	var t [mr * nr]float32
	for jr := 0; jr < nb; jr += nr {
		bs := pb[jr*kb : jr*kb+nr*kb]
		cols := min(nr, nb-jr)
		for ir := 0; ir < mb; ir += mr {
			kernel(pa[ir*kb:ir*kb+mr*kb], bs, &t)
			rows := min(mr, mb-ir)
			if rows == mr && cols == nr {
				r0 := c[ir*ldc+jr : ir*ldc+jr+nr]
				r1 := c[(ir+1)*ldc+jr : (ir+1)*ldc+jr+nr]
				r0[0] += t[0]
				r0[1] += t[1]
				r0[2] += t[2]
				r0[3] += t[3]
				r1[0] += t[4]
				r1[1] += t[5]
				r1[2] += t[6]
				r1[3] += t[7]
				continue
			}
			for i := range rows {
				row := c[(ir+i)*ldc+jr : (ir+i)*ldc+jr+cols]
				for j := range row {
					row[j] += t[i*nr+j]
				}
			}
		}
	}
}

// kernel computes the 2x4 tile t = sum_p a[p*2+i]*b[p*4+j]. The k loop is
// unrolled 4x: Go does not unroll, and loop overhead otherwise halves throughput.
func kernel(a, b []float32, t *[mr * nr]float32) {
	var c00, c01, c02, c03, c10, c11, c12, c13 float32
	for len(a) >= 8 && len(b) >= 16 {
		a0, a1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a0, a1 = a[2], a[3]
		b0, b1, b2, b3 = b[4], b[5], b[6], b[7]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a0, a1 = a[4], a[5]
		b0, b1, b2, b3 = b[8], b[9], b[10], b[11]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a0, a1 = a[6], a[7]
		b0, b1, b2, b3 = b[12], b[13], b[14], b[15]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[8:]
		b = b[16:]
	}
	for len(a) >= 2 && len(b) >= 4 {
		a0, a1 := a[0], a[1]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a = a[2:]
		b = b[4:]
	}
	*t = [mr * nr]float32{c00, c01, c02, c03, c10, c11, c12, c13}
}

// vecMat adds alpha * x^T op(M) to y, where x has k elements (stride incx),
// op(M) is k x n (transM: M stored n x k) and y has n elements (stride incy).
func vecMat(k, n int, alpha float32, x []float32, incx int, mat []float32, ldm int, transM bool, y []float32, incy int, s *scratch) {
	if transM {
		// Column j of op(M) is contiguous: one dot product per output.
		xv := x[:k]
		if incx != 1 {
			s.a = grow(s.a, k)
			for p := range k {
				s.a[p] = x[p*incx]
			}
			xv = s.a
		}
		for j := range n {
			y[j*incy] += alpha * dot(xv, mat[j*ldm:j*ldm+k])
		}
		return
	}
	// Row p of op(M) is contiguous: y += (alpha*x[p]) * row, on a contiguous y.
	yv := y[:n]
	if incy != 1 {
		s.b = grow(s.b, n)
		for j := range n {
			s.b[j] = y[j*incy]
		}
		yv = s.b
	}
	for p := range k {
		axpy(alpha*x[p*incx], mat[p*ldm:p*ldm+n], yv)
	}
	if incy != 1 {
		for j, v := range yv {
			y[j*incy] = v
		}
	}
}

// dot uses four partial sums so the adds do not wait on each other.
func dot(x, y []float32) float32 {
	var s0, s1, s2, s3 float32
	y = y[:len(x)]
	for len(x) >= 4 && len(y) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		s0 += v * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy computes y += s*x; len(x) == len(y).
func axpy(s float32, x, y []float32) {
	y = y[:len(x)]
	for len(x) >= 4 && len(y) >= 4 {
		y[0] += s * x[0]
		y[1] += s * x[1]
		y[2] += s * x[2]
		y[3] += s * x[3]
		x, y = x[4:], y[4:]
	}
	for i, v := range x {
		y[i] += s * v
	}
}
