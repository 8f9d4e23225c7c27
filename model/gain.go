package model

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// Variable-rate coding by gain units (Cui, Wang, Gao, Bai, Zhou, "Asymmetric Gained
// Deep Image Compression With Continuous Rate Adaptation", CVPR 2021): one network
// serves every rate. Level i has a gain vector g_i and an inverse gain g'_i over y's
// channels; the encoder codes round(y ⊙ g_i) and the decoder synthesises from
// ŷ ⊙ g'_i. A rate between two levels takes the geometric interpolation
// g_i^(1-t) ⊙ g_(i+1)^t, which the gains' log form makes a weighted sum.

// ScopeGain holds the gain tables.
const ScopeGain = "gain"

// ParamGainReference is the context parameter (float64) holding the λ new gain
// tables are scaled from (see Gains).
const ParamGainReference = "semcodec_gain_reference_lambda"

// Names of the [levels, LatentChannels] gain tables, stored as logarithms so that
// gains stay positive and interpolate geometrically.
const (
	VarLogGain        = "log_gain"
	VarLogInverseGain = "log_inverse_gain"
)

// GainLevels is the number of rate levels of a variable-rate configuration (0 for a
// fixed-rate one).
func (c Config) GainLevels() int { return len(c.GainLambdas) }

// Gains returns the gain and inverse gain [B,1,1,LatentChannels] selected by rate
// [B, GainLevels]: row b's weights over the levels, one-hot for a trained level, two
// adjacent weights summing to 1 between levels.
//
// New tables start at g_i = sqrt(λ_i/λ), g'_i = 1/g_i, λ being the context
// parameter ParamGainReference (the λ a fixed-rate network was trained at; the
// geometric middle of the levels' λ when unset): a quantizer step scaled by
// 1/sqrt(λ) is what balances squared error against rate, so a network trained at
// λ alone starts every level near its rate.
func Gains(ctx *context.Context, cfg Config, rate *graph.Node) (gain, inverse *graph.Node) {
	cfg.mustValidate()
	l, m := cfg.GainLevels(), cfg.LatentChannels()
	if l == 0 {
		panic(fmt.Errorf("model.Gains: configuration %q has no gain levels", cfg.Name))
	}
	if rate == nil || rate.Rank() != 2 || rate.Shape().Dimensions[1] != l {
		panic(fmt.Errorf("model.Gains: want rate weights [B,%d], got %v", l, shapeOf(rate)))
	}
	ctx = ctx.In(ScopeGain)
	mid := math.Sqrt(cfg.GainLambdas[0] * cfg.GainLambdas[l-1])
	ref := context.GetParamOr(ctx, ParamGainReference, mid)
	logs := make([]float64, l)
	for i, lam := range cfg.GainLambdas {
		logs[i] = 0.5 * math.Log(lam/ref)
	}
	table := func(name string, sign float64) *graph.Node {
		init := func(g *graph.Graph, shape shapes.Shape) *graph.Node {
			rows := make([][]float32, l)
			for i := range rows {
				rows[i] = make([]float32, m)
				for j := range rows[i] {
					rows[i][j] = float32(sign * logs[i])
				}
			}
			return graph.ConvertDType(graph.Const(g, rows), shape.DType)
		}
		v := ctx.WithInitializer(init).VariableWithShape(name, shapes.Make(rate.DType(), l, m))
		// [B,L]·[L,M] -> [B,M] -> [B,1,1,M]
		return graph.Reshape(graph.Exp(graph.MatMul(rate, v.ValueGraph(rate.Graph()))), -1, 1, 1, m)
	}
	return table(VarLogGain, 1), table(VarLogInverseGain, -1)
}

// GainLambda returns each row's λ [B] for rate weights [B, GainLevels]: the
// geometric interpolation of the levels' λ, the same weighting Gains uses.
func GainLambda(cfg Config, rate *graph.Node) *graph.Node {
	l := cfg.GainLevels()
	logs := make([][]float32, l)
	for i, lam := range cfg.GainLambdas {
		logs[i] = []float32{float32(math.Log(lam))}
	}
	t := graph.ConvertDType(graph.Const(rate.Graph(), logs), rate.DType())
	return graph.Reshape(graph.Exp(graph.MatMul(rate, t)), -1)
}

// RateWeights returns the level weights [GainLevels] of a continuous quality
// q in [1, GainLevels]: level floor(q) and the next share 1 by linear interpolation.
func RateWeights(cfg Config, q float64) ([]float32, error) {
	l := cfg.GainLevels()
	if l == 0 {
		return nil, fmt.Errorf("%w: %q is a fixed-rate configuration", ErrInvalidConfig, cfg.Name)
	}
	if !(q >= 1 && q <= float64(l)) {
		return nil, fmt.Errorf("model: quality %g outside 1..%d", q, l)
	}
	w := make([]float32, l)
	i := int(math.Floor(q)) - 1
	t := q - math.Floor(q)
	if i == l-1 {
		w[i] = 1
		return w, nil
	}
	w[i], w[i+1] = float32(1-t), float32(t)
	return w, nil
}

func shapeOf(x *graph.Node) string {
	if x == nil {
		return "nil"
	}
	return x.Shape().String()
}
