package entropy

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// logistic is a stand-in for a learned channel density.
func logistic(x, mu, s float64) float64 { return 1 / (1 + math.Exp(-(x-mu)/s)) }

func TestFactorizedChannelFromCDF(t *testing.T) {
	cdf := []float64{0.1, 0.3, 0.8, 0.95}
	ch, err := FactorizedChannelFromCDF(-1, cdf)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.2, 0.5, 0.15}
	for i := range want {
		if math.Abs(ch.PMF[i]-want[i]) > 1e-12 {
			t.Errorf("PMF = %v, want %v", ch.PMF, want)
			break
		}
	}
	if ch.Start != -1 || math.Abs(ch.TailMass-0.15) > 1e-12 {
		t.Errorf("start %d tail %v", ch.Start, ch.TailMass)
	}
	// Float noise: a point slightly below its predecessor gives 0, not < 0.
	ch, err = FactorizedChannelFromCDF(0, []float64{0, 0.5, 0.5 - 1e-17, 1})
	if err != nil || ch.PMF[1] != 0 {
		t.Errorf("noisy CDF: %v, %v", ch.PMF, err)
	}
	for _, bad := range [][]float64{nil, {0.5}, {0, math.NaN()}, {-0.1, 1}, {0, 1.5}} {
		if _, err := FactorizedChannelFromCDF(0, bad); !errors.Is(err, ErrTable) {
			t.Errorf("FactorizedChannelFromCDF(%v): err = %v", bad, err)
		}
	}
}

// TestBuildFactorized builds per-channel tables from logistic densities
// evaluated the way the model does, and codes a latent with them.
func TestBuildFactorized(t *testing.T) {
	const channels = 8
	rng := rand.New(rand.NewPCG(13, 14))
	var chans []FactorizedChannel
	for c := range channels {
		s := 0.3 + float64(c)
		lo, hi := -math.Ceil(8*s), math.Ceil(8*s) // the quantile range
		cdf := make([]float64, 0, int(hi-lo)+2)
		for v := lo; v <= hi+1; v++ {
			cdf = append(cdf, logistic(v-0.5, 0, s))
		}
		ch, err := FactorizedChannelFromCDF(int32(lo), cdf)
		if err != nil {
			t.Fatal(err)
		}
		chans = append(chans, ch)
	}
	tab, err := BuildFactorized(chans)
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != channels {
		t.Fatalf("%d tables", tab.Len())
	}
	for c, ch := range chans {
		got := tab.CDF(c)
		if got.Offset != ch.Start || got.NumSymbols() != len(ch.PMF) {
			t.Errorf("channel %d: offset %d, %d symbols", c, got.Offset, got.NumSymbols())
		}
	}
	// z laid out channel by channel, as the codec does.
	var symbols, indexes []int32
	for c := range channels {
		for range 500 {
			indexes = append(indexes, int32(c))
			symbols = append(symbols, sample(rng, tab, c))
		}
	}
	symbols[3] = 1 << 20 // an outlier goes through the escape
	roundTrip(t, symbols, indexes, tab)

	chans[3].PMF = slices.Clone(chans[3].PMF)
	chans[3].PMF[0] = math.NaN()
	if _, err := BuildFactorized(chans); !errors.Is(err, ErrTable) {
		t.Errorf("NaN pmf: err = %v", err)
	}
}
