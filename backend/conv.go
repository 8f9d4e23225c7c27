package backend

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/gomlx/backends/simplego"

	"github.com/semcodec/semcodec/blas"
)

// patchGeom describes a patch matrix: one row per position of the row
// grid (n images of oh x ow), one column block of c values per tap of the
// kh x kw grid. The source pixel of (row oy, tap ty) is oy*rowStep +
// ty*tapStep - pad (and likewise for x) in an h x w input with c channels.
type patchGeom struct {
	n, h, w, c         int
	oh, ow, kh, kw     int
	rowStepY, rowStepX int
	tapStepY, tapStepX int
	padY, padX         int
}

func (g patchGeom) rows() int { return g.n * g.oh * g.ow }
func (g patchGeom) cols() int { return g.kh * g.kw * g.c }

// pack writes rows [r0, r1) of the patch matrix into dst (row length cols()).
func (g patchGeom) pack(dst, x []float32, r0, r1 int) {
	cols := g.cols()
	tapRow := g.kw * g.c
	for r := r0; r < r1; r++ {
		d := dst[(r-r0)*cols : (r-r0+1)*cols]
		img, pos := r/(g.oh*g.ow), r%(g.oh*g.ow)
		oy, ox := pos/g.ow, pos%g.ow
		x0 := ox*g.rowStepX - g.padX
		contiguous := g.tapStepX == 1 && x0 >= 0 && x0+g.kw <= g.w
		for ty := range g.kh {
			dt := d[ty*tapRow : (ty+1)*tapRow]
			yy := oy*g.rowStepY + ty*g.tapStepY - g.padY
			if yy < 0 || yy >= g.h {
				clear(dt)
				continue
			}
			line := x[(img*g.h+yy)*g.w*g.c : (img*g.h+yy+1)*g.w*g.c]
			if contiguous {
				copy(dt, line[x0*g.c:(x0+g.kw)*g.c])
				continue
			}
			for tx := range g.kw {
				xx := x0 + tx*g.tapStepX
				if xx < 0 || xx >= g.w {
					clear(dt[tx*g.c : (tx+1)*g.c])
				} else {
					copy(dt[tx*g.c:(tx+1)*g.c], line[xx*g.c:(xx+1)*g.c])
				}
			}
		}
	}
}

// chunkRows picks how many patch rows one worker packs at a time: about
// 4 MB of patches, and at least a few dozen rows so the sgemm stays
// efficient.
func chunkRows(cols, rows int) int {
	return min(rows, max(32, (1<<20)/max(cols, 1)))
}

// parallelChunks calls fn(worker, r0, r1) over [0, rows) in chunks of
// size chunk, on up to GOMAXPROCS goroutines.
func parallelChunks(rows, chunk int, fn func(worker, r0, r1 int)) int {
	nChunks := (rows + chunk - 1) / chunk
	workers := min(runtime.GOMAXPROCS(0), nChunks)
	if workers <= 1 {
		for r := 0; r < rows; r += chunk {
			fn(0, r, min(rows, r+chunk))
		}
		return 1
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= nChunks {
					return
				}
				fn(wk, i*chunk, min(rows, (i+1)*chunk))
			}
		}()
	}
	wg.Wait()
	return workers
}

// convFast runs a float32 2-D ConvGeneral as packed sgemm work. Three
// layouts cover a model's convolutions and GoMLX's gradients of them:
//
//   - NHWC input and output, any kernel layout, no input dilation: patches
//     are packed row by row straight into the sgemm operand (convGather);
//   - the same with input dilation (the input gradient of a strided
//     convolution): one sgemm per image gives each input pixel's share of
//     every tap, added back at its place (convScatter), so no multiply
//     touches the injected zeros;
//   - the kernel gradient, which GoMLX writes as a convolution with batch
//     and channel axes swapped: patchesᵀ · v, accumulated over chunks of
//     rows (convKernelGrad).
//
// Anything else goes to simplego's own executor.
func convFast(be *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, _ []bool) (*simplego.Buffer, bool) {
	nd := (*nodeMirror)(unsafe.Pointer(node))
	p := paramsOf[convParams](nd.data, convType)
	if p == nil || len(inputs) != 2 || p.channelGroupCount > 1 || p.batchGroupCount > 1 ||
		len(p.axes.InputSpatial) != 2 || nd.shape.Rank() != 4 {
		return nil, false
	}
	x, ok1 := float32Data(be, inputs[0])
	k, ok2 := float32Data(be, inputs[1])
	xs, err1 := be.BufferShape(inputs[0])
	ks, err2 := be.BufferShape(inputs[1])
	if !ok1 || !ok2 || err1 != nil || err2 != nil {
		return nil, false
	}
	ax := p.axes
	stride, idil, kdil := orOnes(p.strides), orOnes(p.inputDilations), orOnes(p.kernelDilations)
	pads := p.paddings
	if len(pads) != 2 {
		pads = make([][2]int, 2)
	}
	xd, kd, od := xs.Dimensions, ks.Dimensions, nd.shape.Dimensions

	switch {
	case isNHWC(ax.InputBatch, ax.InputSpatial, ax.InputChannels) &&
		isNHWC(ax.OutputBatch, ax.OutputSpatial, ax.OutputChannels):
		perm := []int{ax.KernelSpatial[0], ax.KernelSpatial[1], ax.KernelInputChannels, ax.KernelOutputChannels}
		kh, kw, ci, co := kd[perm[0]], kd[perm[1]], kd[perm[2]], kd[perm[3]]
		if ci != xd[3] || co != od[3] || od[0] != xd[0] {
			return nil, false
		}
		w := k
		if !isIdentity(perm) {
			w = getScratch(len(k))
			defer putScratch(w)
			permute(w, k, kd, perm)
		}
		out := be.NewBuffer(nd.shape)
		o, _ := float32Data(be, out)
		if idil[0] == 1 && idil[1] == 1 {
			g := patchGeom{n: xd[0], h: xd[1], w: xd[2], c: ci, oh: od[1], ow: od[2], kh: kh, kw: kw,
				rowStepY: stride[0], rowStepX: stride[1], tapStepY: kdil[0], tapStepX: kdil[1],
				padY: pads[0][0], padX: pads[1][0]}
			convGather(o, x, w, g, co)
		} else if stride[0] == 1 && stride[1] == 1 && kdil[0] == 1 && kdil[1] == 1 {
			convPhases(o, x, w, xd, od, kh, kw, idil, pads)
		} else {
			convScatter(o, x, w, xd, od, kh, kw, stride, idil, kdil, pads)
		}
		return out, true

	case ax.InputBatch == 3 && ax.InputChannels == 0 && slices.Equal(ax.InputSpatial, []int{1, 2}) &&
		ax.KernelInputChannels == 0 && ax.KernelOutputChannels == 3 && slices.Equal(ax.KernelSpatial, []int{1, 2}) &&
		ax.OutputBatch == 2 && ax.OutputChannels == 3 && slices.Equal(ax.OutputSpatial, []int{0, 1}) &&
		idil[0] == 1 && idil[1] == 1:
		// The kernel gradient: x [B,H,W,C], v [B,OH,OW,CO] -> [KH,KW,C,CO].
		if kd[0] != xd[0] || od[2] != xd[3] || od[3] != kd[3] {
			return nil, false
		}
		g := patchGeom{n: xd[0], h: xd[1], w: xd[2], c: xd[3], oh: kd[1], ow: kd[2], kh: od[0], kw: od[1],
			rowStepY: kdil[0], rowStepX: kdil[1], tapStepY: stride[0], tapStepX: stride[1],
			padY: pads[0][0], padX: pads[1][0]}
		out := be.NewBuffer(nd.shape)
		o, _ := float32Data(be, out)
		convKernelGrad(o, x, k, g, kd[3])
		return out, true
	}
	return nil, false
}

func isNHWC(batch int, spatial []int, channels int) bool {
	return batch == 0 && channels == 3 && slices.Equal(spatial, []int{1, 2})
}

func orOnes(s []int) []int {
	if len(s) == 2 {
		return s
	}
	return []int{1, 1}
}

// convGather: out [rows, co] = patches [rows, cols] · w [cols, co].
func convGather(out, x, w []float32, g patchGeom, co int) {
	rows, cols := g.rows(), g.cols()
	if g.kh == 1 && g.kw == 1 && g.rowStepY == 1 && g.rowStepX == 1 && g.padY == 0 && g.padX == 0 &&
		g.oh == g.h && g.ow == g.w {
		blas.Sgemm(false, false, rows, co, cols, 1, x, cols, w, co, 0, out, co)
		return
	}
	chunk := chunkRows(cols, rows)
	parallelChunks(rows, chunk, func(_, r0, r1 int) {
		buf := getScratch((r1 - r0) * cols)
		g.pack(buf, x, r0, r1)
		blas.SgemmSerial(false, false, r1-r0, co, cols, 1, buf, cols, w, co, 0, out[r0*co:r1*co], co)
		putScratch(buf)
	})
}

// convKernelGrad: out [cols, co] = patchesᵀ · v, where v is [rows, co];
// each worker sums its chunks into its own partial, then the partials are
// added.
func convKernelGrad(out, x, v []float32, g patchGeom, co int) {
	rows, cols := g.rows(), g.cols()
	chunk := chunkRows(cols, rows)
	workers := min(runtime.GOMAXPROCS(0), (rows+chunk-1)/chunk)
	partials := make([][]float32, workers)
	partials[0] = out
	clear(out)
	for i := 1; i < workers; i++ {
		partials[i] = getScratch(len(out))
		clear(partials[i])
	}
	parallelChunks(rows, chunk, func(wk, r0, r1 int) {
		buf := getScratch((r1 - r0) * cols)
		g.pack(buf, x, r0, r1)
		blas.SgemmSerial(true, false, cols, co, r1-r0, 1, buf, cols, v[r0*co:r1*co], co, 1, partials[wk], co)
		putScratch(buf)
	})
	for _, p := range partials[1:] {
		for i, f := range p {
			out[i] += f
		}
		putScratch(p)
	}
}

// convPhases handles input dilation (iy, ix) at stride 1, which is how
// GoMLX writes the input gradient of a strided convolution. Output pixels
// of one phase (oy mod iy, ox mod ix) all see the input through the same
// taps, so each phase is an ordinary stride-1 convolution of x with a
// sub-kernel: gathered, multiplied and copied into place, with no product
// of an injected zero and no scatter-add.
func convPhases(out, x, w []float32, xd, od []int, kh, kw int, idil []int, pads [][2]int) {
	n, h, wd, ci := xd[0], xd[1], xd[2], xd[3]
	oh, ow, co := od[1], od[2], od[3]
	// taps lists the kernel taps that land on input samples for output
	// phase r along one axis, and the input offset of the first.
	taps := func(r, k, dil, pad int) (list []int, first int) {
		for t := range k {
			if ((r+t-pad)%dil+dil)%dil == 0 {
				if list == nil {
					first = (r + t - pad) / dil
					if r+t-pad < 0 {
						first = -((pad - r - t) / dil)
					}
				}
				list = append(list, t)
			}
		}
		return list, first
	}
	for ry := range min(idil[0], oh) {
		ty, offY := taps(ry, kh, idil[0], pads[0][0])
		ohP := (oh - ry + idil[0] - 1) / idil[0]
		for rx := range min(idil[1], ow) {
			tx, offX := taps(rx, kw, idil[1], pads[1][0])
			owP := (ow - rx + idil[1] - 1) / idil[1]
			rows := n * ohP * owP
			tmp := getScratch(rows * co)
			if len(ty) == 0 || len(tx) == 0 {
				clear(tmp)
			} else {
				sub := getScratch(len(ty) * len(tx) * ci * co)
				for a, t := range ty {
					for b, u := range tx {
						copy(sub[(a*len(tx)+b)*ci*co:(a*len(tx)+b+1)*ci*co], w[(t*kw+u)*ci*co:(t*kw+u+1)*ci*co])
					}
				}
				g := patchGeom{n: n, h: h, w: wd, c: ci, oh: ohP, ow: owP, kh: len(ty), kw: len(tx),
					rowStepY: 1, rowStepX: 1, tapStepY: 1, tapStepX: 1, padY: -offY, padX: -offX}
				convGather(tmp, x, sub, g, co)
				putScratch(sub)
			}
			for img := range n {
				for j := range ohP {
					oy := ry + j*idil[0]
					for i := range owP {
						ox := rx + i*idil[1]
						r := (img*ohP+j)*owP + i
						copy(out[((img*oh+oy)*ow+ox)*co:((img*oh+oy)*ow+ox+1)*co], tmp[r*co:(r+1)*co])
					}
				}
			}
			putScratch(tmp)
		}
	}
}

// convScatter handles input dilation (a transposed convolution): for each
// image, shares [h*w, kh*kw*co] = x · wᵀ-by-tap, then each input pixel's
// share of tap (ty, tx) is added to the output pixel that tap reaches.
// Images are spread over the workers, so no two write the same output.
func convScatter(out, x, w []float32, xd, od []int, kh, kw int, stride, idil, kdil []int, pads [][2]int) {
	n, h, wd, ci := xd[0], xd[1], xd[2], xd[3]
	oh, ow, co := od[1], od[2], od[3]
	taps := kh * kw
	// wt [ci, taps*co] from w [taps, ci, co].
	wt := getScratch(len(w))
	defer putScratch(wt)
	permute(wt, w, []int{taps, ci, co}, []int{1, 0, 2})
	clear(out)
	share := taps * co
	rowsPerChunk := max(1, min(h, (1<<18)/max(1, wd*share))) // about 1 MB of shares: stays in L2
	image := func(img int, serial bool) {
		buf := getScratch(rowsPerChunk * wd * share)
		defer putScratch(buf)
		o := out[img*oh*ow*co : (img+1)*oh*ow*co]
		for y0 := 0; y0 < h; y0 += rowsPerChunk {
			y1 := min(h, y0+rowsPerChunk)
			m := (y1 - y0) * wd
			src := x[(img*h+y0)*wd*ci : (img*h+y1)*wd*ci]
			if serial {
				blas.SgemmSerial(false, false, m, share, ci, 1, src, ci, wt, share, 0, buf[:m*share], share)
			} else {
				blas.Sgemm(false, false, m, share, ci, 1, src, ci, wt, share, 0, buf[:m*share], share)
			}
			for iy := y0; iy < y1; iy++ {
				for ty := range kh {
					num := iy*idil[0] + pads[0][0] - ty*kdil[0]
					if num < 0 || num%stride[0] != 0 || num/stride[0] >= oh {
						continue
					}
					oy := num / stride[0]
					for ix := range wd {
						s := buf[((iy-y0)*wd+ix)*share:]
						for tx := range kw {
							numx := ix*idil[1] + pads[1][0] - tx*kdil[1]
							if numx < 0 || numx%stride[1] != 0 || numx/stride[1] >= ow {
								continue
							}
							ox := numx / stride[1]
							dst := o[(oy*ow+ox)*co : (oy*ow+ox+1)*co]
							src := s[(ty*kw+tx)*co : (ty*kw+tx+1)*co]
							for c, v := range src {
								dst[c] += v
							}
						}
					}
				}
			}
		}
	}
	if n >= runtime.GOMAXPROCS(0) {
		parallelChunks(n, 1, func(_, i0, _ int) { image(i0, true) })
		return
	}
	for img := range n {
		image(img, false)
	}
}
