package metrics

import (
	"fmt"
	"image"
	"math"
	"sync"
)

// SSIM and MS-SSIM constants (Wang et al. 2003/2004, as used by
// pytorch_msssim and scikit-image).
const (
	windowSize  = 11
	windowSigma = 1.5
	k1, k2      = 0.01, 0.03
	c1          = (k1 * DataRange) * (k1 * DataRange)
	c2          = (k2 * DataRange) * (k2 * DataRange)

	// MinSSIMSide is the smallest width or height SSIM accepts: one window.
	MinSSIMSide = windowSize
	// MinMSSSIMSide is the smallest width or height MS-SSIM accepts: after
	// four halvings the coarsest scale must still hold one window.
	MinMSSSIMSide = 161
)

// MSSSIMWeights are the per-scale exponents of MS-SSIM, finest scale first.
var MSSSIMWeights = [...]float64{0.0448, 0.2856, 0.3001, 0.2363, 0.1333}

// gaussWindow is the normalized 11-tap Gaussian, centred on tap 5.
var gaussWindow = func() (g [windowSize]float64) {
	var sum float64
	for i := range g {
		d := float64(i - windowSize/2)
		g[i] = math.Exp(-d * d / (2 * windowSigma * windowSigma))
		sum += g[i]
	}
	for i := range g {
		g[i] /= sum
	}
	return g
}()

// SSIM returns single-scale SSIM averaged over R, G and B (see the package
// documentation for the exact definition).
func SSIM(ref, dist image.Image) (float64, error) {
	p, err := newPair(ref, dist)
	if err != nil {
		return 0, err
	}
	return p.ssim()
}

// MSSSIM returns 5-scale MS-SSIM averaged over R, G and B (see the package
// documentation for the exact definition).
func MSSSIM(ref, dist image.Image) (float64, error) {
	p, err := newPair(ref, dist)
	if err != nil {
		return 0, err
	}
	return p.averaged("MS-SSIM", MinMSSSIMSide, func(x, y []float64) float64 {
		ms, _ := msssimChannel(x, y, p.w, p.h)
		return ms
	})
}

func (p pair) ssim() (float64, error) {
	return p.averaged("SSIM", MinSSIMSide, func(x, y []float64) float64 {
		s, _ := ssimStats(x, y, p.w, p.h)
		return s
	})
}

// averaged is f's mean over the channels, for images of at least minSide
// pixels per side.
func (p pair) averaged(name string, minSide int, f func(x, y []float64) float64) (float64, error) {
	if p.w < minSide || p.h < minSide {
		return 0, fmt.Errorf("%w for %s: %dx%d, need at least %d per side", ErrTooSmall, name, p.w, p.h, minSide)
	}
	return p.perChannel(f), nil
}

// perChannel runs f on the three channel planes concurrently and averages.
func (p pair) perChannel(f func(x, y []float64) float64) float64 {
	r := p.perChannel2(func(x, y []float64) (float64, float64) { return f(x, y), 0 })
	return r[0]
}

// perChannel2 runs f, which returns two values, on the three channel planes
// concurrently and averages each value over the channels.
func (p pair) perChannel2(f func(x, y []float64) (float64, float64)) [2]float64 {
	var res [3][2]float64
	var wg sync.WaitGroup
	for c := 0; c < 3; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[c][0], res[c][1] = f(plane(p.a, c, p.w, p.h), plane(p.b, c, p.w, p.h))
		}()
	}
	wg.Wait()
	return [2]float64{(res[0][0] + res[1][0] + res[2][0]) / 3, (res[0][1] + res[1][1] + res[2][1]) / 3}
}

// msssimChannel returns MS-SSIM of one channel and, as a by-product, its
// single-scale SSIM (the finest scale's SSIM mean).
func msssimChannel(x, y []float64, w, h int) (msssim, ssim0 float64) {
	result := 1.0
	for level, weight := range MSSSIMWeights {
		ssim, cs := ssimStats(x, y, w, h)
		if level == 0 {
			ssim0 = ssim
		}
		if level == len(MSSSIMWeights)-1 {
			result *= math.Pow(math.Max(ssim, 0), weight)
			break
		}
		result *= math.Pow(math.Max(cs, 0), weight)
		x, _, _ = downsample(x, w, h)
		y, w, h = downsample(y, w, h)
	}
	return result, ssim0
}

// downsample averages 2×2 blocks. An odd side gets one zero row or column in
// front, counted in the average, as torch's avg_pool2d(2, padding=1) does.
func downsample(x []float64, w, h int) ([]float64, int, int) {
	pw, ph := w%2, h%2
	ow, oh := (w+pw)/2, (h+ph)/2
	out := make([]float64, ow*oh)
	for j := 0; j < oh; j++ {
		for i := 0; i < ow; i++ {
			var s float64
			for dy := 0; dy < 2; dy++ {
				yy := 2*j + dy - ph
				if yy < 0 {
					continue
				}
				for dx := 0; dx < 2; dx++ {
					if xx := 2*i + dx - pw; xx >= 0 {
						s += x[yy*w+xx]
					}
				}
			}
			out[j*ow+i] = s / 4
		}
	}
	return out, ow, oh
}

// ssimStats returns the means of the SSIM map and of the contrast-structure
// map over all positions where the window fits ("valid" filtering). The
// Gaussian is applied separably: each input row is filtered along x into a
// ring of the last 11 rows of five quantities (x, y, x², y², xy); once the
// ring is full, filtering down the ring gives one output row.
func ssimStats(x, y []float64, w, h int) (ssimMean, csMean float64) {
	g := &gaussWindow
	ow, oh := w-windowSize+1, h-windowSize+1
	var ring [5][windowSize][]float64
	for k := range ring {
		for t := range ring[k] {
			ring[k][t] = make([]float64, ow)
		}
	}
	xx := make([]float64, w)
	yy := make([]float64, w)
	xy := make([]float64, w)
	var acc [5][]float64
	for k := range acc {
		acc[k] = make([]float64, ow)
	}
	var sumSSIM, sumCS float64
	for r := 0; r < h; r++ {
		xr, yr := x[r*w:][:w], y[r*w:][:w]
		for i := range xr {
			xx[i], yy[i], xy[i] = xr[i]*xr[i], yr[i]*yr[i], xr[i]*yr[i]
		}
		for k, src := range [5][]float64{xr, yr, xx, yy, xy} {
			dst := ring[k][r%windowSize]
			for i := range dst {
				// The window is symmetric: pair taps to halve the multiplies.
				s := src[i:][:windowSize]
				dst[i] = g[0]*(s[0]+s[10]) + g[1]*(s[1]+s[9]) + g[2]*(s[2]+s[8]) +
					g[3]*(s[3]+s[7]) + g[4]*(s[4]+s[6]) + g[5]*s[5]
			}
		}
		j := r - (windowSize - 1) // output row completed by input row r
		if j < 0 {
			continue
		}
		for k := range acc {
			a := acc[k]
			row := func(t int) []float64 { return ring[k][(j+t)%windowSize] }
			for i, v := range row(windowSize / 2) {
				a[i] = g[windowSize/2] * v
			}
			for t := 0; t < windowSize/2; t++ {
				gt, top, bot := g[t], row(t), row(windowSize-1-t)
				for i := range a {
					a[i] += gt * (top[i] + bot[i])
				}
			}
		}
		mx, my, exx, eyy, exy := acc[0], acc[1], acc[2], acc[3], acc[4]
		for i := range mx {
			mxy := mx[i] * my[i]
			mxx, myy := mx[i]*mx[i], my[i]*my[i]
			cs := (2*(exy[i]-mxy) + c2) / ((exx[i] - mxx) + (eyy[i] - myy) + c2)
			sumCS += cs
			sumSSIM += (2*mxy + c1) / (mxx + myy + c1) * cs
		}
	}
	n := float64(ow * oh)
	return sumSSIM / n, sumCS / n
}
