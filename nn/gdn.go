package nn

import (
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Generalized divisive normalization (Ballé, Laparra, Simoncelli, "Density modeling of
// images using a generalized normalization transformation", ICLR 2016):
//
//	GDN:  y_i = x_i / sqrt(beta_i + sum_j gamma_ij * x_j^2)
//	IGDN: y_i = x_i * sqrt(beta_i + sum_j gamma_ij * x_j^2)
//
// beta and gamma must stay non-negative, so the variables hold a reparameterised value
// r and the layer uses NonNegative(r): max(r, sqrt(minimum+pedestal))^2 - pedestal.
// Variables, in the layer's scope:
//
//	"beta"  [C]    raw r for beta  (minimum GDNBetaMin)
//	"gamma" [C, C] raw r for gamma (minimum 0); gamma[i][j] weighs x_j^2 in output i
const (
	GDNBetaName  = "beta"
	GDNGammaName = "gamma"

	// GDNBetaMin keeps the denominator away from zero.
	GDNBetaMin = 1e-6
	// GDNGammaInit is the initial diagonal of gamma (off-diagonal starts at 0).
	GDNGammaInit = 0.1
	// ReparamOffset sets the pedestal (ReparamOffset^2) of the non-negative
	// reparameterisation; it keeps the gradient alive near zero.
	ReparamOffset = 1.0 / (1 << 18)
)

// GDN applies generalized divisive normalization to x (NHWC) with variables in ctx's scope.
func GDN(ctx *context.Context, x *graph.Node) *graph.Node {
	return gdn(ctx, x, false)
}

// IGDN applies the inverse GDN (multiplication instead of division), used in decoders
// and in the aggregation module's HFFBs.
func IGDN(ctx *context.Context, x *graph.Node) *graph.Node {
	return gdn(ctx, x, true)
}

func gdn(ctx *context.Context, x *graph.Node, inverse bool) *graph.Node {
	if x.Rank() != 4 {
		layerPanicf("nn.GDN: input must be NHWC (rank 4), got shape %s", x.Shape())
	}
	g := x.Graph()
	c := x.Shape().Dimensions[3]
	dtype := x.DType()
	betaVar := ctx.WithInitializer(constantInitializer(NonNegativeInit(1, GDNBetaMin))).
		VariableWithShape(GDNBetaName, shapes.Make(dtype, c))
	gammaVar := ctx.WithInitializer(gdnGammaInitializer()).
		VariableWithShape(GDNGammaName, shapes.Make(dtype, c, c))
	beta := NonNegative(betaVar.ValueGraph(g), GDNBetaMin)
	gamma := NonNegative(gammaVar.ValueGraph(g), 0)

	// sum_j gamma_ij x_j^2 is a 1x1 convolution with kernel[0,0,j,i] = gamma[i][j].
	kernel := graph.Reshape(graph.Transpose(gamma, 0, 1), 1, 1, c, c)
	norm := Conv(graph.Square(x), kernel, [2]int{1, 1}, [2]int{1, 1})
	norm = graph.Sqrt(graph.Add(norm, graph.Reshape(beta, 1, 1, 1, c)))
	if inverse {
		return graph.Mul(x, norm)
	}
	return graph.Div(x, norm) // 1/Sqrt: Rsqrt has no gradient in GoMLX.
}

// NonNegative maps a raw parameter to a non-negative value >= minimum:
// LowerBound(raw, sqrt(minimum+pedestal))^2 - pedestal, pedestal = ReparamOffset^2.
func NonNegative(raw *graph.Node, minimum float64) *graph.Node {
	pedestal := ReparamOffset * ReparamOffset
	bound := math.Sqrt(minimum + pedestal)
	v := LowerBound(raw, bound)
	return graph.AddScalar(graph.Square(v), -pedestal)
}

// NonNegativeValue is NonNegative on a plain number, for exporters that want the
// effective beta/gamma of a trained GDN.
func NonNegativeValue(raw, minimum float64) float64 {
	pedestal := ReparamOffset * ReparamOffset
	v := max(raw, math.Sqrt(minimum+pedestal))
	return v*v - pedestal
}

// NonNegativeInit is the raw value whose NonNegative is value.
func NonNegativeInit(value, minimum float64) float64 {
	pedestal := ReparamOffset * ReparamOffset
	return math.Sqrt(max(value+pedestal, pedestal, minimum+pedestal))
}

// LowerBound returns max(x, bound). Its gradient passes where x >= bound, and also
// where the gradient would push x up (v < 0), so a parameter stuck below the bound can
// still recover (as in CompressAI's LowerBound). The forward value is exactly max(x, bound).
func LowerBound(x *graph.Node, bound float64) *graph.Node {
	g := x.Graph()
	b := graph.Scalar(g, x.DType(), bound)
	through := graph.IdentityWithCustomGradient(x, func(x, v *graph.Node) *graph.Node {
		pass := graph.LogicalOr(graph.GreaterOrEqual(x, graph.BroadcastToDims(b, x.Shape().Dimensions...)),
			graph.LessThan(v, graph.ZerosLike(v)))
		return graph.Where(pass, v, graph.ZerosLike(v))
	})
	// max(x,b) + (t - t): the value is max(x,b) exactly, the gradient goes to t only.
	value := graph.StopGradient(graph.Max(x, b))
	return graph.Add(value, graph.Sub(through, graph.StopGradient(through)))
}

// constantInitializer fills a variable with one value.
func constantInitializer(value float64) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return graph.BroadcastToDims(graph.Scalar(g, shape.DType, value), shape.Dimensions...)
	}
}

// gdnGammaInitializer gives raw values whose NonNegative is GDNGammaInit * identity.
func gdnGammaInitializer() context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		c := shape.Dimensions[0]
		values := make([]float64, c*c)
		for i := range c {
			for j := range c {
				v := 0.0
				if i == j {
					v = GDNGammaInit
				}
				values[i*c+j] = NonNegativeInit(v, 0)
			}
		}
		t := tensors.FromFlatDataAndDimensions(values, c, c)
		return graph.ConvertDType(graph.Const(g, t), shape.DType)
	}
}
