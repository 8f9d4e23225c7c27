package entropy

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// updateGolden regenerates golden files instead of comparing with them:
// SEMCODEC_UPDATE_GOLDEN=1 go test ./entropy -run Golden
var updateGolden = os.Getenv("SEMCODEC_UPDATE_GOLDEN") != ""

// TestGaussianTablesGolden checks that the embedded standard tables are what
// BuildGaussianTables makes from the scale table. A math library that rounds
// erfc's last bit differently may break a tie between two symbols the other
// way and move a count; more than a few such moves is a real difference.
func TestGaussianTablesGolden(t *testing.T) {
	built, err := BuildGaussianTables(StandardGaussianScales(), GaussianTailMass)
	if err != nil {
		t.Fatal(err)
	}
	bin, _ := built.MarshalBinary()
	if updateGolden {
		if err := os.WriteFile("gaussian_tables.bin", bin, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote gaussian_tables.bin (%d bytes)", len(bin))
		return
	}
	if bytes.Equal(bin, gaussianTablesBin) {
		return
	}
	emb := GaussianTables()
	if emb.Len() != built.Len() {
		t.Fatalf("embedded set has %d tables, built %d", emb.Len(), built.Len())
	}
	moved := 0
	for i := range built.Len() {
		a, b := emb.CDF(i), built.CDF(i)
		if a.Offset != b.Offset || len(a.Cum) != len(b.Cum) {
			t.Fatalf("table %d: range differs: %d+%d vs %d+%d", i, a.Offset, len(a.Cum), b.Offset, len(b.Cum))
		}
		fa, fb := freqs(a), freqs(b)
		for s := range fa {
			d := int64(fa[s]) - int64(fb[s])
			if d < -1 || d > 1 {
				t.Fatalf("table %d symbol %d: embedded count %d, built %d", i, s, fa[s], fb[s])
			}
			if d != 0 {
				moved++
			}
		}
	}
	if moved > 32 {
		t.Fatalf("%d counts differ from the recipe", moved)
	}
	t.Logf("embedded tables differ from this machine's rebuild in %d entries (float rounding)", moved)
}

func TestGaussianTablesShape(t *testing.T) {
	tab := GaussianTables()
	if tab.Len() != NumGaussianScales {
		t.Fatalf("Len = %d", tab.Len())
	}
	k := GaussianMultiplier(GaussianTailMass)
	if math.Abs(k-6.109410204869) > 1e-9 {
		t.Errorf("multiplier %v, want 6.1094102", k)
	}
	for i := range NumGaussianScales {
		c := tab.CDF(i)
		center := int(math.Ceil(GaussianScale(i) * k))
		if c.Offset != int32(-center) || c.NumSymbols() != 2*center+1 {
			t.Errorf("table %d: offset %d, %d symbols; want ±%d", i, c.Offset, c.NumSymbols(), center)
		}
		// Symmetric, peaked at 0.
		n := c.NumSymbols()
		f := func(s int) uint32 { return c.Cum[s+1] - c.Cum[s] }
		for s := 0; s < n/2; s++ {
			if d := int(f(s)) - int(f(n-1-s)); d < -1 || d > 1 {
				t.Errorf("table %d: asymmetric at ±%d: %d vs %d", i, center-s, f(s), f(n-1-s))
				break
			}
		}
		if f(center) < f(center+1) {
			t.Errorf("table %d: mode is not 0", i)
		}
	}
}

// TestGaussianQuantizationLoss bounds the price of 16-bit quantization: the
// cross-entropy of the true discretized Gaussian under the quantized CDF is
// close to its entropy.
func TestGaussianQuantizationLoss(t *testing.T) {
	tab := GaussianTables()
	for _, i := range []int{0, 8, 16, 24, 32, 40, 48, 56, 63} {
		s := GaussianScale(i)
		c := tab.CDF(i)
		var h, ce float64
		inv := 1 / (s * math.Sqrt2)
		for j := 0; j < c.NumSymbols(); j++ {
			v := math.Abs(float64(int(c.Offset) + j))
			var p float64
			if v == 0 {
				p = math.Erf(0.5 * inv)
			} else {
				p = 0.5 * (math.Erfc((v-0.5)*inv) - math.Erfc((v+0.5)*inv))
			}
			if p == 0 {
				continue
			}
			q := float64(c.Cum[j+1]-c.Cum[j]) / Precision
			h -= p * math.Log2(p)
			ce -= p * math.Log2(q)
		}
		t.Logf("scale %8.3f: entropy %.5f bits, coded %.5f bits (+%.3f%%)", s, h, ce, 100*(ce-h)/h)
		// Absolute slack for tiny-entropy tables, relative for wide ones.
		if ce-h > 1e-3+0.003*h {
			t.Errorf("scale %.3f: entropy %.5f bits, coded %.5f bits", s, h, ce)
		}
	}
}

func TestGaussianIndex(t *testing.T) {
	tests := []struct {
		name  string
		scale float64
		want  int
	}{
		{"zero", 0, 0},
		{"negative", -3, 0},
		{"below min", 0.05, 0},
		{"at min", GaussianScale(0), 0},
		{"just above min", GaussianScale(0) + 1.0/65536, 0},
		{"exact entry", GaussianScale(17), 17},
		{"just above entry", GaussianScale(17) * 1.01, 17},
		{"just below entry", GaussianScale(17) * 0.99, 17},
		{"arithmetic mean", (GaussianScale(30) + GaussianScale(31)) / 2, 31},
		{"geometric mean", math.Sqrt(GaussianScale(30) * GaussianScale(31)), 30},
		{"above geometric mean", math.Sqrt(GaussianScale(30)*GaussianScale(31)) * (1 + 1e-9), 31},
		{"last boundary", math.Sqrt(GaussianScale(62)*GaussianScale(63)) * (1 + 1e-9), 63},
		{"at max", 256, 63},
		{"above max", 1e9, 63},
		{"inf", math.Inf(1), 63},
		{"nan", math.NaN(), 63},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := GaussianIndex(tc.scale); got != tc.want {
				t.Errorf("GaussianIndex(%v) = %d, want %d", tc.scale, got, tc.want)
			}
		})
	}
}

// TestGaussianIndexFixedMatchesFloat checks the integer mapping against the
// float one on every Q16 value around each threshold and a sweep, and the
// other fixed-point formats against Q16.
func TestGaussianIndexFixedMatchesFloat(t *testing.T) {
	check := func(q int64) {
		t.Helper()
		want := GaussianIndex(float64(q) / 65536)
		if got := GaussianIndexQ16(q); got != want {
			t.Fatalf("GaussianIndexQ16(%d) = %d, float gives %d", q, got, want)
		}
		if q > 1<<32 || q < -1<<32 {
			return // the shifted forms below would overflow
		}
		if got := GaussianIndexFixed(q<<8, 24); got != want {
			t.Fatalf("GaussianIndexFixed(%d<<8, 24) = %d, want %d", q, got, want)
		}
		if got := GaussianIndexFixed(q<<31, 47); got != want {
			t.Fatalf("GaussianIndexFixed(%d<<31, 47) = %d, want %d", q, got, want)
		}
	}
	for i := range NumGaussianScales {
		q := int64(GaussianScaleQ16(i))
		for d := int64(-2); d <= 2; d++ {
			check(q + d)
		}
		if i+1 < NumGaussianScales { // around the boundary with the next entry
			g := int64(math.Sqrt(float64(gaussianBounds[i])))
			for d := int64(-2); d <= 2; d++ {
				check(g + d)
			}
		}
	}
	for q := int64(-1000); q < 1<<25; q += 997 {
		check(q)
	}
	check(math.MaxInt64)
	check(math.MinInt64 >> 31)
	// Coarser formats: Q8 value v is Q16 value v<<8.
	for v := int64(0); v < 1<<17; v += 7 {
		if got, want := GaussianIndexFixed(v, 8), GaussianIndexQ16(v<<8); got != want {
			t.Fatalf("GaussianIndexFixed(%d, 8) = %d, want %d", v, got, want)
		}
	}
	if GaussianIndexFixed(math.MaxInt64, 0) != 63 || GaussianIndexFixed(math.MinInt64, 0) != 0 {
		t.Error("extreme integer scales")
	}
}

func TestGaussianScaleTable(t *testing.T) {
	a, b := math.Log(GaussianScaleMin), math.Log(GaussianScaleMax)
	for i := range NumGaussianScales {
		want := math.Exp(a + float64(i)*(b-a)/(NumGaussianScales-1))
		if d := math.Abs(GaussianScale(i) - want); d > 1.0/65536 {
			t.Errorf("scale %d = %v, formula gives %v", i, GaussianScale(i), want)
		}
		if i > 0 && GaussianScaleQ16(i) <= GaussianScaleQ16(i-1) {
			t.Errorf("scale table not increasing at %d", i)
		}
	}
}

func TestGaussianCDFErrors(t *testing.T) {
	for _, tc := range []struct {
		name        string
		scale, tail float64
	}{
		{"zero scale", 0, 1e-9}, {"nan scale", math.NaN(), 1e-9}, {"inf scale", math.Inf(1), 1e-9},
		{"zero tail", 1, 0}, {"tail 1", 1, 1}, {"too wide", 1e5, 1e-9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := GaussianCDF(tc.scale, tc.tail); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestGaussianIndexNearest checks the rule itself: the chosen entry is the
// one nearest the scale in the log domain.
func TestGaussianIndexNearest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		s := math.Exp(math.Log(0.05) + rng.Float64()*(math.Log(400)-math.Log(0.05)))
		got := GaussianIndex(s)
		best, bestD := 0, math.Inf(1)
		for i := range NumGaussianScales {
			if d := math.Abs(math.Log(s / GaussianScale(i))); d < bestD {
				best, bestD = i, d
			}
		}
		if got != best {
			// Only a scale within rounding of a boundary may differ.
			if d := math.Abs(math.Log(s/GaussianScale(got))) - bestD; d > 1e-12 {
				t.Fatalf("GaussianIndex(%v) = %d, nearest entry is %d", s, got, best)
			}
		}
	}
}

func TestGaussianIndexCeilQ16(t *testing.T) {
	for i := range NumGaussianScales {
		q := int64(GaussianScaleQ16(i))
		if got := GaussianIndexCeilQ16(q); got != i {
			t.Errorf("entry %d itself maps to %d", i, got)
		}
		if got, want := GaussianIndexCeilQ16(q+1), min(i+1, NumGaussianScales-1); got != want {
			t.Errorf("entry %d + 1/65536 maps to %d, want %d", i, got, want)
		}
	}
	if GaussianIndexCeilQ16(-5) != 0 || GaussianIndexCeilQ16(math.MaxInt64) != NumGaussianScales-1 {
		t.Error("extreme scales")
	}
}
