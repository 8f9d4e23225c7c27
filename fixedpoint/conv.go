package fixedpoint

import (
	"fmt"
	"math"
)

// Conv holds one float convolution as exported: Weights laid out
// [KH, KW, In, Out] (row-major) and Biases [Out]. Kernels are odd-sized with
// "same" zero padding and stride 1.
type Conv struct {
	Weights         []float32
	Biases          []float32
	KH, KW, In, Out int
}

// qconv is a quantized convolution.
type qconv struct {
	kh, kw, in, out int
	w               []int16 // [kh][kw][in][out], as Conv.Weights
	wb              []int16 // w reordered for rows, see blockWeights
	shift           []uint8 // per output channel: weight = w·2^-shift
	bias            []int64 // per output channel, at scale 2^(FracBits+shift)
}

// quantize converts a float convolution into the fixed-point form.
func quantize(name string, c Conv) (*qconv, error) {
	if c.KH <= 0 || c.KW <= 0 || c.KH%2 == 0 || c.KW%2 == 0 || c.In <= 0 || c.Out <= 0 {
		return nil, fmt.Errorf("%w: %s kernel %dx%d, %d->%d channels", ErrShape, name, c.KH, c.KW, c.In, c.Out)
	}
	taps := int64(c.KH) * int64(c.KW) * int64(c.In)
	if taps > maxTaps || c.Out > 1<<16 {
		return nil, fmt.Errorf("%w: %s has %d taps per output (limit %d)", ErrShape, name, taps, maxTaps)
	}
	if int64(len(c.Weights)) != taps*int64(c.Out) || len(c.Biases) != c.Out {
		return nil, fmt.Errorf("%w: %s has %d weights and %d biases for [%d,%d,%d,%d]",
			ErrShape, name, len(c.Weights), len(c.Biases), c.KH, c.KW, c.In, c.Out)
	}
	q := &qconv{kh: c.KH, kw: c.KW, in: c.In, out: c.Out,
		w: make([]int16, len(c.Weights)), shift: make([]uint8, c.Out), bias: make([]int64, c.Out)}
	maxAbs := make([]float64, c.Out)
	for i, w := range c.Weights {
		v := float64(w)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: %s weight %d is %v", ErrRange, name, i, w)
		}
		maxAbs[i%c.Out] = max(maxAbs[i%c.Out], math.Abs(v))
	}
	for o := range c.Out {
		s := MaxWeightShift
		if maxAbs[o] > 0 {
			// maxAbs = f·2^e with f in [0.5, 1): 2^(15-e) brings it into
			// [2^14, 2^15), the int16 range.
			_, e := math.Frexp(maxAbs[o])
			s = min(15-e, MaxWeightShift)
			if s < 0 {
				return nil, fmt.Errorf("%w: %s output %d has weight magnitude %g (limit 2^15)", ErrRange, name, o, maxAbs[o])
			}
		}
		q.shift[o] = uint8(s)
		b := float64(c.Biases[o])
		if math.IsNaN(b) || math.IsInf(b, 0) {
			return nil, fmt.Errorf("%w: %s bias %d is %v", ErrRange, name, o, b)
		}
		bq := math.Round(math.Ldexp(b, FracBits+s)) // exact: power-of-two scaling
		if math.Abs(bq) > maxBiasAbs {
			return nil, fmt.Errorf("%w: %s bias %d = %g too large for its channel's scale", ErrRange, name, o, b)
		}
		q.bias[o] = int64(bq)
	}
	for i, w := range c.Weights {
		v := math.Round(math.Ldexp(float64(w), int(q.shift[i%c.Out])))
		// Rounding f·2^15 can reach 2^15 exactly; clamp symmetrically.
		q.w[i] = int16(max(-32767, min(32767, v)))
	}
	q.blockWeights()
	return q, nil
}

// block is the number of output channels whose accumulators stay in
// registers together in the inner loop.
const block = 4

// scratch is one worker's buffers for rows.
type scratch struct {
	vals []int64 // the nonzero inputs under the kernel at one pixel
	taps []int32 // their tap numbers, (ky·kw+kx)·in + i
}

func (q *qconv) newScratch() *scratch {
	n := q.kh * q.kw * q.in
	return &scratch{vals: make([]int64, n), taps: make([]int32, n)}
}

// blockWeights lays the weights out for rows: for each group of block output
// channels, [tap][block]; then, for the channels left over, [channel][tap].
func (q *qconv) blockWeights() {
	taps := q.kh * q.kw * q.in
	nb := q.out / block
	q.wb = make([]int16, 0, len(q.w))
	for b := range nb {
		for t := range taps {
			q.wb = append(q.wb, q.w[t*q.out+b*block:t*q.out+(b+1)*block]...)
		}
	}
	for o := nb * block; o < q.out; o++ {
		for t := range taps {
			q.wb = append(q.wb, q.w[t*q.out+o])
		}
	}
}

// rows computes output rows [y0, y1) of the convolution over act [h, w, in]
// (Q16), applies ReLU, and stores each result through store(y, x, o, v).
// Every output element is an exact int64 sum (no overflow is possible, see
// maxTaps), so neither the order of the terms nor the split of rows across
// goroutines can change a result.
func (q *qconv) rows(act []int32, h, w, y0, y1 int, s *scratch, store func(y, x, o int, v int32)) {
	in, out := q.in, q.out
	rh, rw := q.kh/2, q.kw/2
	ntaps := q.kh * q.kw * in
	nb := out / block
	for y := y0; y < y1; y++ {
		for x := range w {
			// Gather the nonzero inputs once per pixel: ReLU outputs and
			// quantized hyper-latents are mostly zero, and a zero adds nothing.
			n := 0
			for ky := range q.kh {
				iy := y + ky - rh
				if iy < 0 || iy >= h {
					continue
				}
				for kx := range q.kw {
					ix := x + kx - rw
					if ix < 0 || ix >= w {
						continue
					}
					base := int32((ky*q.kw + kx) * in)
					for i, v := range act[(iy*w+ix)*in : (iy*w+ix+1)*in] {
						if v != 0 {
							s.vals[n] = int64(v)
							s.taps[n] = base + int32(i)
							n++
						}
					}
				}
			}
			vals, taps := s.vals[:n], s.taps[:n]
			for b := range nb {
				wb := q.wb[b*ntaps*block : (b+1)*ntaps*block]
				o := b * block
				a0, a1, a2, a3 := q.bias[o], q.bias[o+1], q.bias[o+2], q.bias[o+3]
				for k, v := range vals {
					j := int(taps[k]) * block
					ww := wb[j : j+block : j+block]
					a0 += v * int64(ww[0])
					a1 += v * int64(ww[1])
					a2 += v * int64(ww[2])
					a3 += v * int64(ww[3])
				}
				store(y, x, o, requantize(a0, q.shift[o]))
				store(y, x, o+1, requantize(a1, q.shift[o+1]))
				store(y, x, o+2, requantize(a2, q.shift[o+2]))
				store(y, x, o+3, requantize(a3, q.shift[o+3]))
			}
			for o := nb * block; o < out; o++ {
				wo := q.wb[nb*ntaps*block+(o-nb*block)*ntaps:][:ntaps]
				a := q.bias[o]
				for k, v := range vals {
					a += v * int64(wo[taps[k]])
				}
				store(y, x, o, requantize(a, q.shift[o]))
			}
		}
	}
}

// requantize divides the accumulator by 2^shift, rounding half up, applies
// ReLU and saturates to the int32 range.
func requantize(a int64, shift uint8) int32 {
	if shift > 0 {
		a = (a + 1<<(shift-1)) >> shift
	}
	if a <= 0 {
		return 0
	}
	if a > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(a)
}
