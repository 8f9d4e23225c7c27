package fixedpoint

import (
	"fmt"
	"runtime"
	"sync"
)

// HyperSynthesis is the quantized hyper-synthesis transform. It is immutable
// after construction and safe for concurrent use.
type HyperSynthesis struct {
	nh, m         int
	up1, up2, out *qconv
}

// NewHyperSynthesis quantizes the three convolutions of the path: up1 and up2
// map Nh to 4·Nh channels, out maps Nh to M channels.
func NewHyperSynthesis(up1, up2, out Conv) (*HyperSynthesis, error) {
	nh := up1.In
	if up1.Out != 4*nh || up2.In != nh || up2.Out != 4*nh || out.In != nh {
		return nil, fmt.Errorf("%w: channels up1 %d->%d, up2 %d->%d, out %d->%d (want Nh->4Nh, Nh->4Nh, Nh->M)",
			ErrShape, up1.In, up1.Out, up2.In, up2.Out, out.In, out.Out)
	}
	h := &HyperSynthesis{nh: nh, m: out.Out}
	var err error
	if h.up1, err = quantize("up1", up1); err != nil {
		return nil, err
	}
	if h.up2, err = quantize("up2", up2); err != nil {
		return nil, err
	}
	if h.out, err = quantize("out", out); err != nil {
		return nil, err
	}
	return h, nil
}

// InputChannels returns Nh, the channel count of z.
func (h *HyperSynthesis) InputChannels() int { return h.nh }

// OutputChannels returns M, the channel count of the scales (and of y).
func (h *HyperSynthesis) OutputChannels() int { return h.m }

// Scales maps the quantized hyper-latent z, laid out [height, width, Nh]
// (HWC, one image), to the Gaussian scales of y, laid out
// [4·height, 4·width, M], in Q16 and at least ScaleMin. Values of z beyond
// ±MaxInput are clamped. The work is spread over GOMAXPROCS goroutines; the
// result does not depend on their number.
func (h *HyperSynthesis) Scales(z []int32, height, width int) ([]int32, error) {
	return h.ScalesWorkers(z, height, width, runtime.GOMAXPROCS(0))
}

// ScalesWorkers is Scales with an explicit number of goroutines (at least 1).
func (h *HyperSynthesis) ScalesWorkers(z []int32, height, width, workers int) ([]int32, error) {
	if height <= 0 || width <= 0 || height > MaxGridSide || width > MaxGridSide {
		return nil, fmt.Errorf("%w: z grid %dx%d (limit %d per side)", ErrShape, height, width, MaxGridSide)
	}
	if int64(height)*int64(width)*16*int64(max(h.m, h.nh)) > MaxOutputLen {
		return nil, fmt.Errorf("%w: z grid %dx%d gives more than %d outputs", ErrShape, height, width, MaxOutputLen)
	}
	if len(z) != height*width*h.nh {
		return nil, fmt.Errorf("%w: %d z values for a %dx%dx%d grid", ErrShape, len(z), height, width, h.nh)
	}
	workers = max(workers, 1)
	act := make([]int32, len(z))
	for i, v := range z {
		act[i] = int32(max(-MaxInput, min(MaxInput, v))) << FracBits
	}
	act = h.upsample(h.up1, act, height, width, workers)
	height, width = 2*height, 2*width
	act = h.upsample(h.up2, act, height, width, workers)
	height, width = 2*height, 2*width

	m := h.m
	scales := make([]int32, height*width*m)
	parallelRows(height, workers, func(y0, y1 int) {
		h.out.rows(act, height, width, y0, y1, h.out.newScratch(), func(y, x, o int, v int32) {
			scales[(y*width+x)*m+o] = max(v, ScaleMin)
		})
	})
	return scales, nil
}

// upsample runs one "up" layer: conv to 4·Nh channels, then depth-to-space,
// with conv channel (dy·2+dx)·Nh + c going to pixel (2y+dy, 2x+dx), channel c
// (as nn.DepthToSpace), and ReLU.
func (h *HyperSynthesis) upsample(q *qconv, act []int32, height, width, workers int) []int32 {
	c := h.nh
	w2 := 2 * width
	next := make([]int32, 4*height*width*c)
	parallelRows(height, workers, func(y0, y1 int) {
		q.rows(act, height, width, y0, y1, q.newScratch(), func(y, x, o int, v int32) {
			sub, ch := o/c, o%c
			dy, dx := sub>>1, sub&1
			next[((2*y+dy)*w2+2*x+dx)*c+ch] = v
		})
	})
	return next
}

// parallelRows splits rows [0, n) into contiguous bands, one per worker.
func parallelRows(n, workers int, f func(y0, y1 int)) {
	workers = min(workers, n)
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for i := range workers {
		y0, y1 := i*n/workers, (i+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(y0, y1)
		}()
	}
	wg.Wait()
}

// ToFloat converts a Q16 value to float64 (exact).
func ToFloat(q int32) float64 { return float64(q) / One }
