// Package bdrate computes Bjøntegaard delta metrics between two
// rate-distortion curves: the average rate difference at equal quality
// (BD-rate) and the average quality difference at equal rate (BD-PSNR).
//
// The method is the classic one of G. Bjøntegaard, "Calculation of average
// PSNR differences between RD-curves", ITU-T VCEG-M33 (2001): each curve is
// fitted by a cubic polynomial (least squares when it has more than four
// points), quality as a function of log10(rate) for BD-PSNR and log10(rate)
// as a function of quality for BD-rate, and the difference of the two fits is
// averaged over the interval where both curves have data. Nothing here
// depends on the quality measure: pass MS-SSIM in dB for a BD-MS-SSIM.
package bdrate

import (
	"errors"
	"fmt"
	"math"
)

// MinPoints is the number of points a curve needs: a cubic has four
// coefficients.
const MinPoints = 4

// Errors returned for curves that cannot be compared.
var (
	// ErrTooFewPoints means a curve has fewer than MinPoints points with
	// distinct rates and distinct qualities.
	ErrTooFewPoints = errors.New("bdrate: bd-rate needs at least 4 points with distinct values per curve")
	// ErrNoOverlap means the two curves share no interval of rate (for
	// BD-PSNR) or of quality (for BD-rate).
	ErrNoOverlap = errors.New("bdrate: rate-distortion curves do not overlap")
	// ErrBadPoint means a rate is not positive or a value is not finite.
	ErrBadPoint = errors.New("bdrate: bad rate-distortion point")
)

// Point is one operating point of a codec: Rate in any positive unit (bpp)
// and Quality in any unit (PSNR dB, MS-SSIM dB), higher is better.
type Point struct {
	Rate, Quality float64
}

// Rate returns the Bjøntegaard delta rate of test against ref, in percent:
// the average rate change at equal quality over the overlapping quality
// interval. Negative means test needs fewer bits.
func Rate(ref, test []Point) (float64, error) {
	rx, ry, err := split(ref, true)
	if err != nil {
		return 0, fmt.Errorf("reference curve: %w", err)
	}
	tx, ty, err := split(test, true)
	if err != nil {
		return 0, fmt.Errorf("test curve: %w", err)
	}
	// Fit log-rate as a function of quality.
	d, err := averageGap(ry, rx, ty, tx)
	if err != nil {
		return 0, err
	}
	return (math.Pow(10, d) - 1) * 100, nil
}

// PSNR returns the Bjøntegaard delta quality of test against ref (in the
// quality's unit, dB for PSNR): the average quality change at equal rate over
// the overlapping log-rate interval. Positive means test is better.
func PSNR(ref, test []Point) (float64, error) {
	rx, ry, err := split(ref, false)
	if err != nil {
		return 0, fmt.Errorf("reference curve: %w", err)
	}
	tx, ty, err := split(test, false)
	if err != nil {
		return 0, fmt.Errorf("test curve: %w", err)
	}
	return averageGap(rx, ry, tx, ty)
}

// split validates pts and returns log10(rate) and quality as separate slices.
// byQuality selects which coordinate must have distinct values for the fit.
func split(pts []Point, byQuality bool) (logRate, quality []float64, err error) {
	logRate = make([]float64, len(pts))
	quality = make([]float64, len(pts))
	for i, p := range pts {
		if !(p.Rate > 0) || math.IsInf(p.Rate, 0) || math.IsNaN(p.Quality) || math.IsInf(p.Quality, 0) {
			return nil, nil, fmt.Errorf("%w: rate %v, quality %v", ErrBadPoint, p.Rate, p.Quality)
		}
		logRate[i] = math.Log10(p.Rate)
		quality[i] = p.Quality
	}
	abscissa := logRate
	if byQuality {
		abscissa = quality
	}
	if distinct(abscissa) < MinPoints {
		return nil, nil, ErrTooFewPoints
	}
	return logRate, quality, nil
}

func distinct(v []float64) int {
	seen := make(map[float64]bool, len(v))
	for _, x := range v {
		seen[x] = true
	}
	return len(seen)
}

// averageGap fits y over x for both curves and returns the mean of
// fitTest - fitRef over the overlap of their x ranges.
func averageGap(refX, refY, testX, testY []float64) (float64, error) {
	lo := math.Max(minOf(refX), minOf(testX))
	hi := math.Min(maxOf(refX), maxOf(testX))
	if !(hi > lo) {
		return 0, ErrNoOverlap
	}
	pr, err := fitCubic(refX, refY)
	if err != nil {
		return 0, err
	}
	pt, err := fitCubic(testX, testY)
	if err != nil {
		return 0, err
	}
	return (pt.integral(lo, hi) - pr.integral(lo, hi)) / (hi - lo), nil
}

func minOf(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		m = math.Min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}
