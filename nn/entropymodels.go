package nn

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Entropy models of the scale hyperprior (Ballé, Minnen, Singh, Hwang, Johnston,
// "Variational image compression with a scale hyperprior", ICLR 2018):
//   - EntropyBottleneck: the non-parametric factorized density of z (its appendix 6.1),
//     one small monotone network per channel, with learned quantiles for the coder's
//     table range;
//   - GaussianLikelihood: y_i ~ N(0, sigma_i^2) convolved with U(-1/2, 1/2).
const (
	// LikelihoodLowerBound keeps -log2(likelihood) finite.
	LikelihoodLowerBound = 1e-9
	// ScaleLowerBound is the smallest Gaussian scale (also applied by the codec).
	ScaleLowerBound = 0.11
	// EntropyBottleneckInitScale sets the initial spread of the density and quantiles.
	EntropyBottleneckInitScale = 10.0
	// EntropyBottleneckTailMass is the probability mass left outside the quantiles
	// [q_low, q_high]: the aux loss drives cdf(q_low) to TailMass/2 and cdf(q_high) to
	// 1 - TailMass/2.
	EntropyBottleneckTailMass = 1e-9

	// EntropyBottleneckQuantilesName is the [C, 3] variable (low, median, high) per channel.
	EntropyBottleneckQuantilesName = "quantiles"
)

// EntropyBottleneck is the factorized density of a latent with a fixed number of channels.
// Its per-channel density network has hidden widths filters (Ballé's and CompressAI's
// are 3, 3, 3, 3: the chain of widths is then 1, 3, 3, 3, 3, 1).
// Variables, in its scope (K = len(filters)):
//
//	"matrix0".."matrixK" [C, out, in]  raw; the layer uses softplus(matrix)
//	"bias0".."biasK"     [C, out]
//	"factor0".."factorK-1" [C, out]    raw; the layer uses tanh(factor)
//	"quantiles"          [C, 3]        trained only by AuxLoss
//
// For a value x of channel c the cumulative logits are computed, with l = [x]:
//
//	for k = 0..K: l = softplus(matrix_k[c]) · l + bias_k[c]
//	              if k < K: l = l + tanh(factor_k[c]) ⊙ tanh(l)
//
// and cdf(x) = sigmoid(l). The probability of the integer bin around v is
// |sigmoid(s·l(v+1/2)) - sigmoid(s·l(v-1/2))| with s = -sign(l(v+1/2) + l(v-1/2))
// (evaluating the far tail side keeps float precision), bounded below by
// LikelihoodLowerBound.
type EntropyBottleneck struct {
	ctx      *context.Context
	channels int
	filters  []int
}

// NewEntropyBottleneck returns the bottleneck whose variables live in ctx's scope,
// with hidden widths filters.
func NewEntropyBottleneck(ctx *context.Context, channels int, filters []int) *EntropyBottleneck {
	if channels <= 0 || len(filters) == 0 || slices.Min(filters) <= 0 {
		layerPanicf("nn.NewEntropyBottleneck: want positive channels and filters, got %d, %v", channels, filters)
	}
	return &EntropyBottleneck{ctx: ctx, channels: channels, filters: filters}
}

func (eb *EntropyBottleneck) widths() []int {
	w := []int{1}
	w = append(w, eb.filters...)
	return append(w, 1)
}

// params returns the effective per-layer tensors: softplus(matrix), bias, tanh(factor).
func (eb *EntropyBottleneck) params(g *graph.Graph, dtype dtypes.DType) (matrices, biases, factors []*graph.Node) {
	widths := eb.widths()
	c := eb.channels
	scale := math.Pow(EntropyBottleneckInitScale, 1/float64(len(widths)-1))
	for k := 0; k+1 < len(widths); k++ {
		in, out := widths[k], widths[k+1]
		init := math.Log(math.Expm1(1 / scale / float64(out)))
		m := graphVariable(eb.ctx.WithInitializer(constantInitializer(init)), g,
			fmt.Sprintf("matrix%d", k), shapes.Make(dtype, c, out, in))
		matrices = append(matrices, graph.Softplus(m))
		b := graphVariable(eb.ctx.WithInitializer(initializers.RandomUniformFn(eb.ctx, -0.5, 0.5)), g,
			fmt.Sprintf("bias%d", k), shapes.Make(dtype, c, out))
		biases = append(biases, b)
		if k+2 < len(widths) {
			f := graphVariable(eb.ctx.WithInitializer(initializers.Zero), g,
				fmt.Sprintf("factor%d", k), shapes.Make(dtype, c, out))
			factors = append(factors, graph.Tanh(f))
		}
	}
	return
}

// LogitsCumulative evaluates the cumulative logits of x [C, P] (P values per channel),
// returning [C, P]. With stopGradient the density parameters get no gradient (the aux
// loss must train only the quantiles).
func (eb *EntropyBottleneck) LogitsCumulative(x *graph.Node, stopGradient bool) *graph.Node {
	if x.Rank() != 2 || x.Shape().Dimensions[0] != eb.channels {
		layerPanicf("nn.EntropyBottleneck: want values [%d, P], got shape %s", eb.channels, x.Shape())
	}
	g := x.Graph()
	matrices, biases, factors := eb.params(g, x.DType())
	c, p := eb.channels, x.Shape().Dimensions[1]
	logits := graph.Reshape(x, c, 1, p) // [C, in, P]
	for k, m := range matrices {
		b := biases[k]
		if stopGradient {
			m, b = graph.StopGradient(m), graph.StopGradient(b)
		}
		out, in := m.Shape().Dimensions[1], m.Shape().Dimensions[2]
		// The matrices are at most 3x3 per channel: a broadcast product and a sum over
		// "in" is cheaper than a batched DotGeneral and needs no matmul gradient.
		prod := graph.Mul(graph.Reshape(m, c, out, in, 1), graph.Reshape(logits, c, 1, in, p))
		logits = graph.Add(graph.ReduceSum(prod, 2), graph.Reshape(b, c, out, 1))
		if k < len(factors) {
			f := factors[k]
			if stopGradient {
				f = graph.StopGradient(f)
			}
			logits = graph.Add(logits, graph.Mul(graph.Reshape(f, c, out, 1), graph.Tanh(logits)))
		}
	}
	return graph.Reshape(logits, c, p)
}

// Likelihood returns the probability of each value of z (NHWC, C channels), already
// noisy (training) or rounded (inference), under the factorized density.
func (eb *EntropyBottleneck) Likelihood(z *graph.Node) *graph.Node {
	if z.Rank() != 4 || z.Shape().Dimensions[3] != eb.channels {
		layerPanicf("nn.EntropyBottleneck: want z [B,H,W,%d], got shape %s", eb.channels, z.Shape())
	}
	dims := z.Shape().Dimensions
	c := eb.channels
	p := z.Shape().Size() / c
	v := graph.Transpose(graph.Reshape(z, p, c), 0, 1) // [C, P]
	lower := eb.LogitsCumulative(graph.AddScalar(v, -0.5), false)
	upper := eb.LogitsCumulative(graph.AddScalar(v, 0.5), false)
	sign := graph.StopGradient(graph.Neg(graph.Sign(graph.Add(lower, upper))))
	lik := graph.Abs(graph.Sub(graph.Sigmoid(graph.Mul(sign, upper)), graph.Sigmoid(graph.Mul(sign, lower))))
	lik = LowerBound(lik, LikelihoodLowerBound)
	return graph.Reshape(graph.Transpose(lik, 0, 1), dims...)
}

// Quantiles returns the [C, 3] (low, median, high) quantiles variable's value.
func (eb *EntropyBottleneck) Quantiles(g *graph.Graph, dtype dtypes.DType) *graph.Node {
	return graphVariable(eb.ctx.WithInitializer(quantilesInitializer()), g,
		EntropyBottleneckQuantilesName, shapes.Make(dtype, eb.channels, 3))
}

// AuxLoss is sum |logits(q) - target| over channels and the three quantiles, with
// targets logit(TailMass/2), 0, logit(1-TailMass/2). Only the quantiles get its gradient.
func (eb *EntropyBottleneck) AuxLoss(g *graph.Graph, dtype dtypes.DType) *graph.Node {
	q := eb.Quantiles(g, dtype)
	logits := eb.LogitsCumulative(q, true)
	t := math.Log(2/EntropyBottleneckTailMass - 1)
	target := graph.Const(g, [][]float64{{-t, 0, t}})
	target = graph.BroadcastToDims(graph.ConvertDType(target, dtype), eb.channels, 3)
	return graph.ReduceAllSum(graph.Abs(graph.Sub(logits, target)))
}

// graphVariable returns the value of variable name in ctx's scope, creating it if
// needed; a variable this graph already reads is read again instead of tripping the
// context's "already exists" check (the bottleneck reads its parameters several times).
func graphVariable(ctx *context.Context, g *graph.Graph, name string, shape shapes.Shape) *graph.Node {
	if v := ctx.GetVariableByScopeAndName(ctx.Scope(), name); v != nil && v.InUseByGraph(g) {
		return v.ValueGraph(g)
	}
	return ctx.VariableWithShape(name, shape).ValueGraph(g)
}

func quantilesInitializer() context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		s := EntropyBottleneckInitScale
		row := graph.ConvertDType(graph.Const(g, [][]float64{{-s, 0, s}}), shape.DType)
		return graph.BroadcastToDims(row, shape.Dimensions...)
	}
}

// GaussianLikelihood is the probability of each (noisy or rounded) value of y under a
// zero-mean Gaussian of the given scales convolved with a unit uniform:
// Φ((1/2-|y|)/σ) - Φ((-1/2-|y|)/σ), with σ = LowerBound(scales, ScaleLowerBound) and the
// result bounded below by LikelihoodLowerBound. Using |y| keeps both terms in the lower
// tail, where Erfc is accurate.
func GaussianLikelihood(y, scales *graph.Node) *graph.Node {
	if !y.Shape().Equal(scales.Shape()) {
		layerPanicf("nn.GaussianLikelihood: y %s and scales %s differ in shape", y.Shape(), scales.Shape())
	}
	s := LowerBound(scales, ScaleLowerBound)
	v := graph.Abs(y)
	upper := standardCumulative(graph.Div(graph.Sub(graph.OnesLike(v), graph.AddScalar(v, 0.5)), s))
	lower := standardCumulative(graph.Div(graph.Neg(graph.AddScalar(v, 0.5)), s))
	return LowerBound(graph.Sub(upper, lower), LikelihoodLowerBound)
}

// standardCumulative is the standard normal CDF Φ(t) = erfc(-t/√2)/2.
func standardCumulative(t *graph.Node) *graph.Node {
	return graph.MulScalar(Erfc(graph.MulScalar(t, -1/math.Sqrt2)), 0.5)
}

// Erfc is the complementary error function with small relative error in the upper
// tail, where 1-erf(x) would cancel to zero in float32. For x >= 0 it uses the
// Chebyshev fit published in Numerical Recipes (2nd ed., §6.2; fractional error below
// 1.2e-7): with t = 1/(1+x/2),
// erfc(x) = t·exp(-x² + P(t)), P a degree-9 polynomial; erfc(-x) = 2 - erfc(x).
func Erfc(x *graph.Node) *graph.Node {
	a := graph.Abs(x)
	t := graph.Reciprocal(graph.OnePlus(graph.MulScalar(a, 0.5)))
	coef := []float64{-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
		0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277}
	// Horner's rule from the highest degree down.
	poly := graph.MulScalar(graph.OnesLike(t), coef[len(coef)-1])
	for i := len(coef) - 2; i >= 0; i-- {
		poly = graph.AddScalar(graph.Mul(poly, t), coef[i])
	}
	pos := graph.Mul(t, graph.Exp(graph.Sub(poly, graph.Square(a))))
	return graph.Where(graph.GreaterOrEqual(x, graph.ZerosLike(x)), pos, graph.Sub(graph.AddScalar(graph.ZerosLike(pos), 2), pos))
}

// Quantize stands in for rounding: while ctx.IsTraining it adds uniform noise
// U(-1/2, 1/2) (Ballé's relaxation); otherwise it rounds half up, floor(x + 1/2) in x's
// dtype, which is the same on every backend (backends disagree on graph.Round's ties).
func Quantize(ctx *context.Context, x *graph.Node) *graph.Node {
	g := x.Graph()
	if ctx.IsTraining(g) {
		noise := graph.AddScalar(ctx.RandomUniform(g, x.Shape()), -0.5)
		return graph.Add(x, noise)
	}
	if context.GetParamOr(ctx, ParamUnquantized, false) {
		return x
	}
	return RoundHalfUp(x)
}

// ParamUnquantized is the context parameter (bool) that makes Quantize, at
// inference, pass its input through unrounded: a diagnostic that scores the
// transforms without the quantizer (what they give at unlimited rate). No
// file can carry such a latent.
const ParamUnquantized = "semcodec_unquantized"

// RoundHalfUp is floor(x + 1/2).
func RoundHalfUp(x *graph.Node) *graph.Node {
	return graph.Floor(graph.AddScalar(x, 0.5))
}
