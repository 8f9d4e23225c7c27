package entropy

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func freqs(c CDF) []uint32 {
	f := make([]uint32, len(c.Cum)-1)
	for i := range f {
		f[i] = c.Cum[i+1] - c.Cum[i]
	}
	return f
}

func TestNewCDF(t *testing.T) {
	tests := []struct {
		name string
		pmf  []float64
		tail float64
		want []uint32 // frequencies, escape last
	}{
		{"single certain", []float64{1}, 0, []uint32{65535, 1}},
		{"single with tail", []float64{0.75}, 0.25, []uint32{49152, 16384}},
		{"two halves", []float64{0.5, 0.5}, 0, []uint32{32767, 32768, 1}},
		{"zero mass symbol", []float64{1, 0, 0}, 0, []uint32{65533, 1, 1, 1}},
		{"unnormalized", []float64{2e-3, 2e-3}, 0, []uint32{32767, 32768, 1}},
		{"tail only", []float64{0}, 1, []uint32{1, 65535}},
		{"uniform four", []float64{0.25, 0.25, 0.25, 0.25}, 0, []uint32{16383, 16384, 16384, 16384, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewCDF(-3, tc.pmf, tc.tail)
			if err != nil {
				t.Fatal(err)
			}
			if got := freqs(c); !slices.Equal(got, tc.want) {
				t.Errorf("frequencies %v, want %v", got, tc.want)
			}
			if c.Offset != -3 || c.NumSymbols() != len(tc.pmf) {
				t.Errorf("offset %d, %d symbols", c.Offset, c.NumSymbols())
			}
		})
	}
}

func TestNewCDFErrors(t *testing.T) {
	tests := []struct {
		name   string
		offset int32
		pmf    []float64
		tail   float64
	}{
		{"empty", 0, nil, 0.5},
		{"too many", 0, make([]float64, MaxSymbols+1), 1},
		{"nan", 0, []float64{math.NaN(), 0.5}, 0},
		{"negative", 0, []float64{-0.1, 0.5}, 0},
		{"above one", 0, []float64{1.5}, 0},
		{"inf tail", 0, []float64{0.5}, math.Inf(1)},
		{"nan tail", 0, []float64{0.5}, math.NaN()},
		{"all zero", 0, []float64{0, 0}, 0},
		{"range overflows int32", math.MaxInt32, []float64{0.5, 0.5}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCDF(tc.offset, tc.pmf, tc.tail)
			if !errors.Is(err, ErrTable) {
				t.Errorf("err = %v, want ErrTable", err)
			}
		})
	}
	// The largest legal table and a range ending exactly at MaxInt32.
	if _, err := NewCDF(0, make([]float64, MaxSymbols), 1); err != nil {
		t.Errorf("MaxSymbols pmf: %v", err)
	}
	if _, err := NewCDF(math.MaxInt32-1, []float64{0.5, 0.5}, 0); err != nil {
		t.Errorf("range ending at MaxInt32: %v", err)
	}
}

// randomPMF returns n probabilities drawn to cover the shapes the coder
// meets: flat, peaked (geometric), sparse (many zeros).
func randomPMF(rng *rand.Rand, n int) (pmf []float64, tail float64) {
	pmf = make([]float64, n)
	kind := rng.IntN(3)
	r := 0.05 + 0.9*rng.Float64()
	for i := range pmf {
		switch kind {
		case 0:
			pmf[i] = rng.Float64()
		case 1:
			pmf[i] = math.Pow(r, float64(i))
		case 2:
			if rng.IntN(4) == 0 {
				pmf[i] = rng.Float64()
			}
		}
	}
	pmf[rng.IntN(n)] += 0.1 // never all zero
	tail = rng.Float64() * 0.01
	var sum float64
	for _, p := range pmf {
		sum += p
	}
	for i := range pmf {
		pmf[i] *= (1 - tail) / sum
	}
	return pmf, tail
}

// TestNewCDFInvariantsAndOptimality checks on random pmfs that counts are at
// least 1 and sum to Precision, and that no single move of one count between
// two symbols lowers the expected code length by more than rounding noise:
// the greedy correction leaves a (near) local optimum.
func TestNewCDFInvariantsAndOptimality(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(300)
		if trial%50 == 0 {
			n = 1 + rng.IntN(MaxSymbols)
		}
		pmf, tail := randomPMF(rng, n)
		c, err := NewCDF(0, pmf, tail)
		if err != nil {
			t.Fatal(err)
		}
		f := freqs(c)
		var sum uint32
		for _, v := range f {
			if v < 1 {
				t.Fatalf("trial %d: zero count", trial)
			}
			sum += v
		}
		if sum != Precision || len(f) != n+1 {
			t.Fatalf("trial %d: sum %d, %d counts", trial, sum, len(f))
		}
		if n > 300 {
			continue // the pairwise check below is quadratic
		}
		p := append(slices.Clone(pmf), tail)
		for i, pi := range p {
			fi := float64(f[i])
			gain := pi * math.Log2((fi+1)/fi)
			for j, pj := range p {
				if j == i || f[j] == 1 {
					continue
				}
				fj := float64(f[j])
				cost := pj * math.Log2(fj/(fj-1))
				// The integer stand-in for log is within 5% at worst.
				if gain > 1.05*cost+1e-15 {
					t.Fatalf("trial %d (n=%d): moving a count from %d (f=%d) to %d (f=%d) saves %.3g of %.3g bits",
						trial, n, j, f[j], i, f[i], gain-cost, cost)
				}
			}
		}
	}
}

func TestNewCDFDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pmf, tail := randomPMF(rng, 5000)
	a, _ := NewCDF(7, pmf, tail)
	b, _ := NewCDF(7, slices.Clone(pmf), tail)
	if !slices.Equal(a.Cum, b.Cum) {
		t.Fatal("same pmf gave different CDFs")
	}
}
