package weights

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFloat16RoundTripAll checks every half-precision bit pattern survives
// widening and narrowing unchanged (NaNs stay NaN).
func TestFloat16RoundTripAll(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := float16ToFloat32(uint16(h))
		back := float32ToFloat16(f)
		if isNaN16(uint16(h)) {
			if !math.IsNaN(float64(f)) || !isNaN16(back) {
				t.Fatalf("NaN %#04x -> %v -> %#04x", h, f, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x", h, f, back)
		}
	}
}

func isNaN16(h uint16) bool { return h&0x7c00 == 0x7c00 && h&0x3ff != 0 }

// nearestHalf is an independent reference: the finite half value nearest to
// x (ties to even mantissa), found by searching all positive patterns.
func nearestHalf(x float64, table []float64) uint16 {
	sign := uint16(0)
	if math.Signbit(x) {
		sign, x = 0x8000, -x
	}
	// Values at or beyond 65520 (halfway between max and the next power) overflow.
	if x >= 65520 {
		return sign | 0x7c00
	}
	lo, hi := 0, 0x7bff
	for lo < hi { // first pattern whose value >= x
		mid := (lo + hi) / 2
		if table[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	best := lo
	if lo > 0 {
		dLo, dHi := x-table[lo-1], table[lo]-x
		if dLo < dHi || (dLo == dHi && (lo-1)&1 == 0) {
			best = lo - 1
		}
	}
	return sign | uint16(best)
}

func TestFloat32ToFloat16Rounding(t *testing.T) {
	table := make([]float64, 0x7c00)
	for h := range table {
		table[h] = float64(float16ToFloat32(uint16(h)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(f float32) {
		t.Helper()
		got := float32ToFloat16(f)
		want := nearestHalf(float64(f), table)
		if got != want {
			t.Fatalf("float32ToFloat16(%g) = %#04x, want %#04x", f, got, want)
		}
	}
	// Exact midpoints between neighbouring halves exercise ties-to-even.
	for h := 0; h < 0x7bff; h++ {
		check(float32((table[h] + table[h+1]) / 2))
		check(-float32((table[h] + table[h+1]) / 2))
	}
	for range 200000 {
		e := rng.IntN(50) - 35
		f := float32(math.Ldexp(rng.Float64(), e))
		if rng.IntN(2) == 0 {
			f = -f
		}
		check(f)
	}
	for _, f := range []float32{0, 65504, 65519.99, 65520, 1e10, math.SmallestNonzeroFloat32, 5.9604645e-08, 2.9802322e-08, 2.9802326e-08} {
		check(f)
	}
	if got := float32ToFloat16(float32(math.Inf(-1))); got != 0xfc00 {
		t.Errorf("-Inf -> %#04x", got)
	}
	if got := float32ToFloat16(float32(math.NaN())); !isNaN16(got) {
		t.Errorf("NaN -> %#04x", got)
	}
}
