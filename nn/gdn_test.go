package nn

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// TestGDNMatchesFormula sets beta and gamma to known raw values and compares GDN and
// IGDN with the formula evaluated in float64.
func TestGDNMatchesFormula(t *testing.T) {
	const c = 3
	betaRaw := []float32{1.1, 0.9, 1.3}
	gammaRaw := []float32{0.3, 0.05, 0, 0.1, 0.4, 0.2, 0, 0.15, 0.35} // gamma[i][j], row-major
	x := rampInput(2, 3, 2, c)
	for _, inverse := range []bool{false, true} {
		ctx := context.New()
		ctx.In("gdn").VariableWithValue(GDNBetaName, tensors.FromFlatDataAndDimensions(betaRaw, c))
		ctx.In("gdn").VariableWithValue(GDNGammaName, tensors.FromFlatDataAndDimensions(gammaRaw, c, c))
		out := context.MustExecOnce(layersBackend(), ctx.Reuse(), func(ctx *context.Context, x *graph.Node) *graph.Node {
			if inverse {
				return IGDN(ctx.In("gdn"), x)
			}
			return GDN(ctx.In("gdn"), x)
		}, x)
		in, got := flat32(x), flat32(out)
		for p := 0; p < len(in); p += c {
			for i := range c {
				norm := NonNegativeValue(float64(betaRaw[i]), GDNBetaMin)
				for j := range c {
					xj := float64(in[p+j])
					norm += NonNegativeValue(float64(gammaRaw[i*c+j]), 0) * xj * xj
				}
				want := float64(in[p+i]) / math.Sqrt(norm)
				if inverse {
					want = float64(in[p+i]) * math.Sqrt(norm)
				}
				if math.Abs(float64(got[p+i])-want) > 1e-5 {
					t.Errorf("inverse=%v: value %d = %g, want %g", inverse, p+i, got[p+i], want)
				}
			}
		}
	}
}

// TestGDNInitial checks the initial parameters: beta = 1, gamma = 0.1·I.
func TestGDNInitial(t *testing.T) {
	ctx := layersContext(t)
	x := rampInput(1, 2, 2, 4)
	out := context.MustExecOnce(layersBackend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return GDN(ctx.In("gdn"), x)
	}, x)
	for i, v := range flat32(x) {
		want := float64(v) / math.Sqrt(1+GDNGammaInit*float64(v)*float64(v))
		if got := float64(flat32(out)[i]); math.Abs(got-want) > 1e-5 {
			t.Errorf("value %d = %g, want %g", i, got, want)
		}
	}
}

func TestNonNegativeRoundTrip(t *testing.T) {
	cases := []struct{ value, minimum float64 }{
		{1, GDNBetaMin}, {0.1, 0}, {0, 0}, {3.5, 0}, {1e-7, GDNBetaMin},
	}
	for _, tc := range cases {
		got := NonNegativeValue(NonNegativeInit(tc.value, tc.minimum), tc.minimum)
		want := max(tc.value, tc.minimum)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("NonNegativeValue(NonNegativeInit(%g, %g)) = %g, want %g", tc.value, tc.minimum, got, want)
		}
	}
	if v := NonNegativeValue(-5, 0); v != 0 {
		t.Errorf("NonNegativeValue(-5, 0) = %g, want 0", v)
	}
}

// TestLowerBoundGradient checks LowerBound's value (exactly max) and its gradient
// rule: pass where x >= bound, or where the gradient points to larger x.
func TestLowerBoundGradient(t *testing.T) {
	x := []float32{-1, 0.5, 1, 2}
	for _, sign := range []float32{1, -1} {
		out := graph.MustExecOnceN(layersBackend(), func(x *graph.Node) []*graph.Node {
			y := LowerBound(x, 1)
			// loss = sign * sum(y): the incoming gradient is sign everywhere.
			loss := graph.MulScalar(graph.ReduceAllSum(y), float64(sign))
			return []*graph.Node{y, graph.Gradient(loss, x)[0]}
		}, x)
		y, grad := flat32(out[0]), flat32(out[1])
		for i, xi := range x {
			if want := max(xi, 1); y[i] != want {
				t.Errorf("LowerBound(%g) = %g, want %g", xi, y[i], want)
			}
			want := sign
			if xi < 1 && sign > 0 {
				want = 0 // below the bound and the loss wants it lower still
			}
			if grad[i] != want {
				t.Errorf("sign %g: gradient at x=%g is %g, want %g", sign, xi, grad[i], want)
			}
		}
	}
}
