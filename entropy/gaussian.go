package entropy

import (
	_ "embed"
	"fmt"
	"math"
	"math/bits"
	"sync"
)

// Gaussian conditional (the entropy model of the latent y): y is coded with
// a zero-mean Gaussian whose scale the hyperprior predicts. Scales are
// rounded to the nearest entry, in the log domain, of a fixed table of
// NumGaussianScales scales, log-spaced from GaussianScaleMin to
// GaussianScaleMax, and each entry has a precomputed CDF, as in CompressAI's
// GaussianConditional (which rounds up instead; see GaussianIndex).
const (
	NumGaussianScales = 64
	GaussianScaleMin  = 0.11
	GaussianScaleMax  = 256
	// GaussianTailMass is the probability left outside each Gaussian CDF's
	// range (coded through the escape): the range of scale s is
	// ±ceil(s·k) with k = 6.1094..., the two-sided 1e-9 quantile.
	GaussianTailMass = 1e-9
)

// gaussianScalesQ16 is the scale table in Q16 fixed point:
// round(65536·exp(ln 0.11 + i·(ln 256 − ln 0.11)/63)). The integers are the
// definition; the float64 scales are derived from them exactly, so float and
// fixed-point index mappings agree.
var gaussianScalesQ16 = [NumGaussianScales]uint32{
	7209, 8153, 9221, 10428, 11793, 13338, 15084, 17060,
	19293, 21820, 24677, 27908, 31563, 35696, 40370, 45657,
	51635, 58397, 66043, 74691, 84472, 95533, 108043, 122191,
	138191, 156287, 176752, 199897, 226073, 255677, 289157, 327021,
	369843, 418272, 473044, 534987, 605042, 684270, 773872, 875208,
	989814, 1119426, 1266011, 1431791, 1619278, 1831317, 2071121, 2342327,
	2649047, 2995930, 3388236, 3831913, 4333688, 4901169, 5542960, 6268790,
	7089666, 8018032, 9067964, 10255381, 11598287, 13117040, 14834670, 16777216,
}

// GaussianScaleQ16 returns entry i of the scale table in Q16 fixed point
// (scale·65536, exact). It panics if i is out of range.
func GaussianScaleQ16(i int) uint32 { return gaussianScalesQ16[i] }

// GaussianScale returns entry i of the scale table, exactly
// GaussianScaleQ16(i)/65536. It panics if i is out of range.
func GaussianScale(i int) float64 { return float64(gaussianScalesQ16[i]) / (1 << 16) }

// gaussianBounds[i] is the square of the geometric mean of table scales i
// and i+1 in Q32 (GaussianScaleQ16(i)·GaussianScaleQ16(i+1), below 2^49):
// the boundary, in the log domain, between the two entries.
var gaussianBounds = func() (b [NumGaussianScales - 1]uint64) {
	for i := range b {
		b[i] = uint64(gaussianScalesQ16[i]) * uint64(gaussianScalesQ16[i+1])
	}
	return b
}()

// GaussianIndex maps a predicted scale to the index of the table scale
// nearest to it in the log domain: scale s picks entry i when it lies between
// the geometric means of entry i with its neighbours (a scale exactly on a
// boundary takes the lower entry). Scales below the table map to 0, scales
// above it to the last entry, NaN to the last, widest entry. For any scale
// exactly representable in Q16 it agrees with GaussianIndexQ16.
//
// CompressAI instead rounds up to the next entry. With this 64-entry table
// that costs a low-rate model 2-5% over its likelihood estimate on Kodak,
// nearly all of it from small scales, where even a 6% wider Gaussian moves
// visible mass off zero; the nearest entry measures within 0.5%.
func GaussianIndex(scale float64) int {
	if scale != scale {
		return NumGaussianScales - 1
	}
	if scale <= 0 {
		return 0
	}
	// scale² in Q32 is exact for every Q16 scale below the last bound, so
	// the comparison agrees with the integer one; larger values (or +Inf)
	// pass every bound either way.
	v := scale * scale * (1 << 32)
	return searchBounds(func(i int) bool { return v <= float64(gaussianBounds[i]) })
}

// searchBounds returns the smallest i with below(i), or the last entry.
func searchBounds(below func(i int) bool) int {
	lo, hi := 0, NumGaussianScales-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if below(m) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// GaussianIndexQ16 is GaussianIndex for a scale in Q16 fixed point
// (scale·65536), with integer comparisons only, so encoder and decoder agree
// bit for bit whatever the machine.
func GaussianIndexQ16(scaleQ16 int64) int { return GaussianIndexFixed(scaleQ16, 16) }

// GaussianIndexFixed is GaussianIndex for a scale with fracBits fractional
// bits (scale·2^fracBits), with integer comparisons only. fracBits must be at
// most 47; it panics otherwise.
func GaussianIndexFixed(scale int64, fracBits uint) int {
	if fracBits > 47 {
		panic("entropy: GaussianIndexFixed: fracBits > 47")
	}
	if scale <= 0 {
		return 0
	}
	// Compare scale² with the Q32 bounds, both scaled to 2·max(16, fracBits)
	// fractional bits, as exact 128-bit products: scale² < 2^126 and a bound
	// times 2^62 < 2^111.
	var lsh, rsh uint
	if fracBits <= 16 {
		// Past 2^40 the scale is above every entry, and the shift below
		// could overflow.
		if scale > 1<<40 {
			return NumGaussianScales - 1
		}
		lsh = 16 - fracBits
	} else {
		rsh = fracBits - 16
	}
	v := uint64(scale) << lsh
	vHi, vLo := bits.Mul64(v, v)
	return searchBounds(func(i int) bool {
		bHi, bLo := bits.Mul64(gaussianBounds[i], 1<<(2*rsh))
		return vHi < bHi || vHi == bHi && vLo <= bLo
	})
}

// GaussianIndexCeilQ16 maps a Q16 scale to the smallest table entry at or
// above it, else the last: CompressAI's rule, which version 1 of the file
// format used. Decoders keep it to read those files.
func GaussianIndexCeilQ16(scaleQ16 int64) int {
	return searchBounds(func(i int) bool { return scaleQ16 <= int64(gaussianScalesQ16[i]) })
}

// GaussianIndexes maps Q16 scales to table indexes (GaussianIndexQ16) into
// dst, reused when large enough: how a latent's elements pick their tables.
func GaussianIndexes(dst []int32, scalesQ16 []int32) []int32 {
	return gaussianIndexes(dst, scalesQ16, GaussianIndexQ16)
}

// GaussianIndexesCeil is GaussianIndexes with format version 1's rule
// (GaussianIndexCeilQ16).
func GaussianIndexesCeil(dst []int32, scalesQ16 []int32) []int32 {
	return gaussianIndexes(dst, scalesQ16, GaussianIndexCeilQ16)
}

func gaussianIndexes(dst, scales []int32, index func(int64) int) []int32 {
	if cap(dst) < len(scales) {
		dst = make([]int32, len(scales))
	}
	dst = dst[:len(scales)]
	for i, s := range scales {
		dst[i] = int32(index(int64(s)))
	}
	return dst
}

//go:embed gaussian_tables.bin
var gaussianTablesBin []byte

var gaussianTables = sync.OnceValue(func() *Tables {
	t, err := UnmarshalTables(gaussianTablesBin)
	if err != nil {
		panic("entropy: embedded Gaussian tables are corrupt: " + err.Error())
	}
	return t
})

// GaussianTables returns the standard Gaussian conditional tables: table i
// is the CDF of scale GaussianScale(i) with GaussianTailMass, symbol range
// ±ceil(s·k). They are built once by BuildGaussianTables and embedded in
// serialized form, so every machine codes with identical tables even where
// its math library rounds the last bit of erfc differently. The result is
// shared and immutable.
func GaussianTables() *Tables { return gaussianTables() }

// BuildGaussianTables builds one CDF per scale with GaussianCDF. It is the
// recipe of the embedded standard tables (the test suite checks that they
// match) and serves for experiments with other scale sets.
func BuildGaussianTables(scales []float64, tailMass float64) (*Tables, error) {
	cdfs := make([]CDF, len(scales))
	for i, s := range scales {
		c, err := GaussianCDF(s, tailMass)
		if err != nil {
			return nil, err
		}
		cdfs[i] = c
	}
	return NewTables(cdfs)
}

// GaussianCDF quantizes a zero-mean Gaussian of the given scale, discretized
// to integers: value v has mass Φ((v+½)/s) − Φ((v−½)/s), over the range
// ±ceil(s·k) where the two tails beyond ±k·s hold tailMass; the mass beyond
// the range goes to the escape.
func GaussianCDF(scale, tailMass float64) (CDF, error) {
	if !(scale > 0) || math.IsInf(scale, 0) || !(tailMass > 0 && tailMass < 1) {
		return CDF{}, fmt.Errorf("%w: Gaussian scale %v, tail mass %v", ErrTable, scale, tailMass)
	}
	k := GaussianMultiplier(tailMass)
	c := math.Ceil(scale * k)
	if c > (MaxSymbols-1)/2 {
		return CDF{}, fmt.Errorf("%w: Gaussian scale %v needs %v symbols, more than %d", ErrTable, scale, 2*c+1, MaxSymbols)
	}
	center := int(c)
	pmf := make([]float64, 2*center+1)
	inv := 1 / (scale * math.Sqrt2)
	// erf/erfc of |v|±½ keeps the tails accurate (no 1−1 cancellation).
	pmf[center] = math.Erf(0.5 * inv)
	for v := 1; v <= center; v++ {
		p := 0.5 * (math.Erfc((float64(v)-0.5)*inv) - math.Erfc((float64(v)+0.5)*inv))
		pmf[center+v], pmf[center-v] = p, p
	}
	tail := math.Erfc((c + 0.5) * inv)
	return NewCDF(int32(-center), pmf, tail)
}

// GaussianMultiplier returns k with P(|N(0,1)| > k) = tailMass: a Gaussian
// table of scale s and that tail mass spans ±ceil(s·k). By bisection
// (monotone, so it converges to the last bit in a fixed number of steps).
func GaussianMultiplier(tailMass float64) float64 {
	lo, hi := 0.0, 40.0
	for range 200 {
		m := 0.5 * (lo + hi)
		if math.Erfc(m/math.Sqrt2) > tailMass {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// StandardGaussianScales returns the scale table as float64 values, the
// input BuildGaussianTables turns into GaussianTables.
func StandardGaussianScales() []float64 {
	s := make([]float64, NumGaussianScales)
	for i := range s {
		s[i] = GaussianScale(i)
	}
	return s
}
