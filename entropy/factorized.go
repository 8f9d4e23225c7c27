package entropy

import (
	"fmt"
	"math"
)

// Factorized prior (the entropy model of the hyper-latent z): each channel
// has its own learned density, which the model evaluates once, after
// training, at the integers of the channel's quantile range around its
// median; those numbers become one frozen CDF per channel (CompressAI's
// EntropyBottleneck.update). Symbols are coded relative to the median, so
// table c codes round(z−median_c) of channel c.

// FactorizedChannel is one channel's discretized density.
type FactorizedChannel struct {
	// Start is the value (relative to the median) of PMF[0]: CompressAI's
	// offset, −ceil(median − lower quantile).
	Start int32
	// PMF[i] is the probability of the value Start+i.
	PMF []float64
	// TailMass is the probability of all values outside the range.
	TailMass float64
}

// FactorizedChannelFromCDF builds a channel from its learned CDF evaluated at
// the half-integers bounding each value: cdf[j] = F(Start+j−½) for
// j = 0..n, where n is the number of values. Value Start+i gets
// cdf[i+1]−cdf[i] and the tails get cdf[0] + 1−cdf[n]. Small negative
// differences from float noise are clamped to zero.
func FactorizedChannelFromCDF(start int32, cdf []float64) (FactorizedChannel, error) {
	if len(cdf) < 2 {
		return FactorizedChannel{}, fmt.Errorf("%w: need at least 2 CDF points, have %d", ErrTable, len(cdf))
	}
	for j, v := range cdf {
		if !(v >= 0 && v <= 1) {
			return FactorizedChannel{}, fmt.Errorf("%w: CDF point %d is %v, want [0, 1]", ErrTable, j, v)
		}
	}
	n := len(cdf) - 1
	pmf := make([]float64, n)
	for i := range pmf {
		pmf[i] = math.Max(0, cdf[i+1]-cdf[i])
	}
	tail := math.Min(1, cdf[0]+(1-cdf[n]))
	return FactorizedChannel{Start: start, PMF: pmf, TailMass: tail}, nil
}

// BuildFactorized quantizes one CDF per channel with NewCDF; table c is
// channel c. The result is what the model file stores (MarshalBinary), so
// encoder and decoder never rebuild it from floats.
func BuildFactorized(channels []FactorizedChannel) (*Tables, error) {
	cdfs := make([]CDF, len(channels))
	for c, ch := range channels {
		cdf, err := NewCDF(ch.Start, ch.PMF, ch.TailMass)
		if err != nil {
			return nil, fmt.Errorf("%w (channel %d)", err, c)
		}
		cdfs[c] = cdf
	}
	return NewTables(cdfs)
}
