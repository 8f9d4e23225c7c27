package bdrate

import (
	"errors"
	"math"
	"testing"
)

// hyperprior is CompressAI's bmshj2018-hyperprior curve on Kodak (bpp, PSNR),
// a realistic, non-polynomial curve.
var hyperprior = []Point{
	{0.1313, 27.5815}, {0.2089, 29.1967}, {0.3199, 30.9722}, {0.4784, 32.8382},
	{0.6687, 34.5262}, {0.9388, 36.7434}, {1.2592, 38.5839}, {1.6602, 40.5569},
}

func scaleRate(pts []Point, f float64) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[i] = Point{p.Rate * f, p.Quality}
	}
	return out
}

func shiftQuality(pts []Point, d float64) []Point {
	out := make([]Point, len(pts))
	for i, p := range pts {
		out[i] = Point{p.Rate, p.Quality + d}
	}
	return out
}

// curve returns points at the given rates with quality f(log10(rate)).
func curve(rates []float64, f func(lr float64) float64) []Point {
	out := make([]Point, len(rates))
	for i, r := range rates {
		out[i] = Point{r, f(math.Log10(r))}
	}
	return out
}

func TestKnownAnswers(t *testing.T) {
	rates := []float64{1, 1.778279, 3.162278, 5.623413, 10} // log10: 0, .25, .5, .75, 1
	tests := []struct {
		name           string
		ref, test      []Point
		wantRate       float64 // percent
		wantPSNR       float64 // dB
		rateTol, dbTol float64
	}{
		{"same curve", hyperprior, hyperprior, 0, 0, 1e-9, 1e-9},
		{"half the rate", hyperprior, scaleRate(hyperprior, 0.5), -50, math.NaN(), 1e-9, 0},
		{"double the rate", hyperprior, scaleRate(hyperprior, 2), 100, math.NaN(), 1e-9, 0},
		// Hand-checked: quality = 30 + 10 log10 R against 31 + 10 log10 R.
		// At equal rate the test is 1 dB better everywhere; at equal quality
		// its log-rate is 0.1 lower, so BD-rate = 10^-0.1 - 1 = -20.5672%.
		{"1 dB better line", curve(rates, func(x float64) float64 { return 30 + 10*x }),
			curve(rates, func(x float64) float64 { return 31 + 10*x }), -20.567176527571, 1, 1e-9, 1e-9},
		// Hand-checked: the test adds x² on log-rate x in [0, 1], so
		// BD-PSNR = integral of x² over [0, 1] = 1/3 dB.
		{"quadratic gain", curve(rates, func(x float64) float64 { return 30 + 10*x }),
			curve(rates, func(x float64) float64 { return 30 + 10*x + x*x }), math.NaN(), 1.0 / 3, 0, 1e-9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !math.IsNaN(tc.wantRate) {
				got, err := Rate(tc.ref, tc.test)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-tc.wantRate) > tc.rateTol {
					t.Errorf("BD-rate = %.12f%%, want %.12f%%", got, tc.wantRate)
				}
			}
			if !math.IsNaN(tc.wantPSNR) {
				got, err := PSNR(tc.ref, tc.test)
				if err != nil {
					t.Fatal(err)
				}
				if math.Abs(got-tc.wantPSNR) > tc.dbTol {
					t.Errorf("BD-PSNR = %.12f dB, want %.12f dB", got, tc.wantPSNR)
				}
			}
		})
	}
}

func TestAntisymmetry(t *testing.T) {
	// A uniformly worse curve: 1.5 dB lower at every rate.
	worse := shiftQuality(hyperprior, -1.5)
	d1, err := PSNR(hyperprior, worse)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := PSNR(worse, hyperprior)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(d1+1.5) > 1e-9 || math.Abs(d1+d2) > 1e-9 {
		t.Errorf("BD-PSNR worse/ref = %v, ref/worse = %v; want -1.5 and +1.5", d1, d2)
	}
	r, err := Rate(hyperprior, worse)
	if err != nil {
		t.Fatal(err)
	}
	if !(r > 0) {
		t.Errorf("a worse curve gave BD-rate %v%%, want > 0", r)
	}
}

func TestErrors(t *testing.T) {
	far := scaleRate(hyperprior, 1000) // disjoint rate range
	low := shiftQuality(hyperprior, -100)
	tests := []struct {
		name string
		f    func() error
		want error
	}{
		{"too few points", func() error { _, err := Rate(hyperprior[:3], hyperprior); return err }, ErrTooFewPoints},
		{"repeated points", func() error {
			p := []Point{{1, 30}, {1, 30}, {2, 32}, {2, 32}, {3, 33}}
			_, err := PSNR(hyperprior, p)
			return err
		}, ErrTooFewPoints},
		{"zero rate", func() error {
			p := append([]Point{{0, 20}}, hyperprior...)
			_, err := Rate(p, hyperprior)
			return err
		}, ErrBadPoint},
		{"NaN quality", func() error {
			p := append([]Point{{0.05, math.NaN()}}, hyperprior...)
			_, err := PSNR(hyperprior, p)
			return err
		}, ErrBadPoint},
		{"no rate overlap", func() error { _, err := PSNR(hyperprior, far); return err }, ErrNoOverlap},
		{"no quality overlap", func() error { _, err := Rate(hyperprior, low); return err }, ErrNoOverlap},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.f(); !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestFitExactOnCubic(t *testing.T) {
	x := []float64{-3, -1, 0, 2, 5, 7}
	f := func(x float64) float64 { return 2 - x + 0.5*x*x - 0.25*x*x*x }
	y := make([]float64, len(x))
	for i := range x {
		y[i] = f(x[i])
	}
	p, err := fitCubic(x, y)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{-2.5, 1, 6} {
		if got := p.at(v); math.Abs(got-f(v)) > 1e-9 {
			t.Errorf("fit(%v) = %v, want %v", v, got, f(v))
		}
	}
	// Antiderivative 2x - x²/2 + x³/6 - x⁴/16 over [0, 4] = 8 - 8 + 32/3 - 16.
	if got, want := p.integral(0, 4), 8-8+64.0/6-16; math.Abs(got-want) > 1e-9 {
		t.Errorf("integral = %v, want %v", got, want)
	}
}

// at evaluates the polynomial at x.
func (p cubic) at(x float64) float64 {
	t := (x - p.center) / p.scale
	return p.c[0] + t*(p.c[1]+t*(p.c[2]+t*p.c[3]))
}
