package bdrate

import "math"

// cubic is a polynomial c0 + c1 t + c2 t² + c3 t³ in the normalised variable
// t = (x - center) / scale; normalising keeps the least-squares problem well
// conditioned whatever the units of x.
type cubic struct {
	center, scale float64
	c             [4]float64
}

// fitCubic returns the least-squares cubic through (x, y). It solves the
// Vandermonde system by modified Gram-Schmidt QR, which is stable enough for
// four columns on t in [-1, 1]. x must hold at least four distinct values.
func fitCubic(x, y []float64) (cubic, error) {
	lo, hi := minOf(x), maxOf(x)
	p := cubic{center: (lo + hi) / 2, scale: (hi - lo) / 2}
	if !(p.scale > 0) || len(x) < MinPoints {
		return cubic{}, ErrTooFewPoints
	}
	n := len(x)
	var q [4][]float64
	for k := range q {
		q[k] = make([]float64, n)
		for i := range x {
			q[k][i] = math.Pow((x[i]-p.center)/p.scale, float64(k))
		}
	}
	var r [4][4]float64
	for k := 0; k < 4; k++ {
		for j := 0; j < k; j++ {
			r[j][k] = dot(q[j], q[k])
			for i := range q[k] {
				q[k][i] -= r[j][k] * q[j][i]
			}
		}
		r[k][k] = math.Sqrt(dot(q[k], q[k]))
		// A vanishing column means the points do not determine a cubic.
		if r[k][k] < 1e-12*math.Sqrt(float64(n)) {
			return cubic{}, ErrTooFewPoints
		}
		for i := range q[k] {
			q[k][i] /= r[k][k]
		}
	}
	// Back-substitute R c = Qᵀ y.
	for k := 3; k >= 0; k-- {
		s := dot(q[k], y)
		for j := k + 1; j < 4; j++ {
			s -= r[k][j] * p.c[j]
		}
		p.c[k] = s / r[k][k]
	}
	return p, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// integral returns the integral of the polynomial over [a, b] in x.
func (p cubic) integral(a, b float64) float64 {
	prim := func(x float64) float64 {
		t := (x - p.center) / p.scale
		return t * (p.c[0] + t*(p.c[1]/2+t*(p.c[2]/3+t*p.c[3]/4)))
	}
	return p.scale * (prim(b) - prim(a))
}
