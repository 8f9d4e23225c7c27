package nn

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Batch normalization (Ioffe & Szegedy 2015) over the batch and both spatial axes, one
// statistic per channel. Written here rather than taken from GoMLX so that the
// training gradient includes the batch statistics and the variables have plain names
// that an exporter folds into the preceding convolution (see FoldBatchNorm).
//
// Variables, in the scope given (the model uses "<conv>/bn"):
//
//	"scale" [C] (trainable, init 1)   "offset" [C] (trainable, init 0)
//	"mean" [C] (running, init 0)      "variance" [C] (running, unbiased, init 1)
//
// Inference computes (x - mean) / sqrt(variance + BatchNormEpsilon) * scale + offset.
const (
	BatchNormScaleName    = "scale"
	BatchNormOffsetName   = "offset"
	BatchNormMeanName     = "mean"
	BatchNormVarianceName = "variance"

	// BatchNormEpsilon is added to the variance (ERFNet's value).
	BatchNormEpsilon = 1e-3
	// BatchNormMomentum weighs the old running statistics in each update
	// (PyTorch's 0.1 update rate).
	BatchNormMomentum = 0.9
)

// BatchNorm normalizes x (NHWC). When ctx.IsTraining it uses the batch statistics and
// updates the running ones; otherwise it uses the running statistics.
func BatchNorm(ctx *context.Context, x *graph.Node) *graph.Node {
	if x.Rank() != 4 {
		layerPanicf("nn.BatchNorm: input must be NHWC (rank 4), got shape %s", x.Shape())
	}
	g := x.Graph()
	dtype := x.DType()
	c := x.Shape().Dimensions[3]
	vs := shapes.Make(dtype, c)
	scale := ctx.WithInitializer(initializers.One).VariableWithShape(BatchNormScaleName, vs).ValueGraph(g)
	offset := ctx.WithInitializer(initializers.Zero).VariableWithShape(BatchNormOffsetName, vs).ValueGraph(g)
	meanVar := ctx.WithInitializer(initializers.Zero).VariableWithShape(BatchNormMeanName, vs).SetTrainable(false)
	varianceVar := ctx.WithInitializer(initializers.One).VariableWithShape(BatchNormVarianceName, vs).SetTrainable(false)

	var mean, variance *graph.Node
	if ctx.IsTraining(g) {
		mean = graph.ReduceMean(x, 0, 1, 2)
		centered := graph.Sub(x, graph.Reshape(mean, 1, 1, 1, c))
		variance = graph.ReduceMean(graph.Square(centered), 0, 1, 2)
		n := x.Shape().Size() / c
		unbiased := graph.StopGradient(variance)
		if n > 1 {
			unbiased = graph.MulScalar(unbiased, float64(n)/float64(n-1))
		}
		m := BatchNormMomentum
		meanVar.SetValueGraph(graph.Add(graph.MulScalar(meanVar.ValueGraph(g), m),
			graph.MulScalar(graph.StopGradient(mean), 1-m)))
		varianceVar.SetValueGraph(graph.Add(graph.MulScalar(varianceVar.ValueGraph(g), m),
			graph.MulScalar(unbiased, 1-m)))
	} else {
		mean = meanVar.ValueGraph(g)
		variance = varianceVar.ValueGraph(g)
	}
	factor := graph.Div(scale, graph.Sqrt(graph.AddScalar(variance, BatchNormEpsilon)))
	y := graph.Mul(graph.Sub(x, graph.Reshape(mean, 1, 1, 1, c)), graph.Reshape(factor, 1, 1, 1, c))
	return graph.Add(y, graph.Reshape(offset, 1, 1, 1, c))
}

// FoldBatchNorm folds an inference-mode BatchNorm into the convolution before it.
// weights is the [kh,kw,in,out] kernel in row-major order, biases its [out] biases
// (nil for none); scale, offset, mean and variance are the BatchNorm variables. It
// returns the kernel and biases of the single equivalent convolution.
func FoldBatchNorm(weights, biases, scale, offset, mean, variance []float32) (foldedWeights, foldedBiases []float32, err error) {
	out := len(scale)
	if out == 0 || len(offset) != out || len(mean) != out || len(variance) != out ||
		len(weights)%out != 0 || (biases != nil && len(biases) != out) {
		return nil, nil, fmt.Errorf("nn.FoldBatchNorm: inconsistent sizes (weights %d, biases %d, bn %d/%d/%d/%d)",
			len(weights), len(biases), len(scale), len(offset), len(mean), len(variance))
	}
	factor := make([]float64, out)
	foldedBiases = make([]float32, out)
	for o := range out {
		if variance[o] < 0 {
			return nil, nil, fmt.Errorf("nn.FoldBatchNorm: negative variance %g in channel %d", variance[o], o)
		}
		factor[o] = float64(scale[o]) / math.Sqrt(float64(variance[o])+BatchNormEpsilon)
		b := 0.0
		if biases != nil {
			b = float64(biases[o])
		}
		foldedBiases[o] = float32((b-float64(mean[o]))*factor[o] + float64(offset[o]))
	}
	foldedWeights = make([]float32, len(weights))
	for i, w := range weights {
		foldedWeights[i] = float32(float64(w) * factor[i%out])
	}
	return foldedWeights, foldedBiases, nil
}
