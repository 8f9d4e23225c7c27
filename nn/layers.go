package nn

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"
)

// Variable names shared by every convolution layer. Exporters and the fixed-point
// codec find the weights of a layer by these names inside the layer's scope.
const (
	WeightsName = "weights" // [kh, kw, in, out]
	BiasesName  = "biases"  // [out]
)

// ConvolutionConfig builds a 2D convolution layer with its own variables. Create it with
// Convolution, adjust it, and call Done.
type ConvolutionConfig struct {
	ctx              *context.Context
	x                *graph.Node
	out              int
	kh, kw           int
	stride, dilation [2]int
	bias             bool
	batchNorm        bool
}

// Convolution starts a convolution layer of x (NHWC) to outChannels channels. The
// variables "weights" [kh, kw, in, out] and "biases" [out] live directly in ctx's scope,
// so the caller names the layer with ctx.In("name"). Defaults: 3x3 kernel, stride 1,
// dilation 1, with biases; padding is always "same" (see nn.Conv).
func Convolution(ctx *context.Context, x *graph.Node, outChannels int) *ConvolutionConfig {
	return &ConvolutionConfig{
		ctx: ctx, x: x, out: outChannels,
		kh: 3, kw: 3,
		stride:   [2]int{1, 1},
		dilation: [2]int{1, 1},
		bias:     true,
	}
}

// Kernel sets the kernel height and width; both must be odd.
func (c *ConvolutionConfig) Kernel(kh, kw int) *ConvolutionConfig {
	c.kh, c.kw = kh, kw
	return c
}

// Stride sets the same stride on both spatial axes.
func (c *ConvolutionConfig) Stride(s int) *ConvolutionConfig {
	c.stride = [2]int{s, s}
	return c
}

// Dilation sets the height and width dilation.
func (c *ConvolutionConfig) Dilation(dh, dw int) *ConvolutionConfig {
	c.dilation = [2]int{dh, dw}
	return c
}

// BatchNorm adds batch normalization after the convolution, with its variables in the
// sub-scope "bn" of the layer's scope (where an exporter finds and folds it).
func (c *ConvolutionConfig) BatchNorm() *ConvolutionConfig {
	c.batchNorm = true
	return c
}

// Done creates (or reuses) the variables and returns the convolved x.
func (c *ConvolutionConfig) Done() *graph.Node {
	x := c.x
	if x.Rank() != 4 {
		layerPanicf("nn.Convolution: input must be NHWC (rank 4), got shape %s", x.Shape())
	}
	if c.kh <= 0 || c.kw <= 0 || c.kh%2 == 0 || c.kw%2 == 0 {
		layerPanicf("nn.Convolution: kernel must be odd-sized, got %dx%d", c.kh, c.kw)
	}
	if c.out <= 0 {
		layerPanicf("nn.Convolution: output channels must be positive, got %d", c.out)
	}
	for i := range 2 {
		if c.stride[i] <= 0 || c.dilation[i] <= 0 {
			layerPanicf("nn.Convolution: stride %v and dilation %v must be positive", c.stride, c.dilation)
		}
	}
	g := x.Graph()
	in := x.Shape().Dimensions[3]
	wVar := c.ctx.WithInitializer(convInitializer(c.ctx)).
		VariableWithShape(WeightsName, shapes.Make(x.DType(), c.kh, c.kw, in, c.out))
	y := Conv(x, wVar.ValueGraph(g), c.stride, c.dilation)
	if c.bias {
		bVar := c.ctx.WithInitializer(initializers.Zero).VariableWithShape(BiasesName, shapes.Make(x.DType(), c.out))
		y = graph.Add(y, graph.Reshape(bVar.ValueGraph(g), 1, 1, 1, c.out))
	}
	if c.batchNorm {
		y = BatchNorm(c.ctx.In("bn"), y)
	}
	return y
}

// TransposedConvolution is an upsampling layer: ConvTranspose of x by
// stride s with a k×k kernel ("weights" [k,k,in,out], "biases" [out] in
// ctx's scope, like Convolution's). Kernels start as PyTorch's
// ConvTranspose2d's: U(±1/sqrt(out·k·k)).
func TransposedConvolution(ctx *context.Context, x *graph.Node, outChannels, k, s int) *graph.Node {
	if x.Rank() != 4 || outChannels <= 0 || k <= 0 || k%2 == 0 || s < 1 {
		layerPanicf("nn.TransposedConvolution: want NHWC x, positive channels, odd k, s >= 1; got %s, %d, %d, %d",
			x.Shape(), outChannels, k, s)
	}
	g := x.Graph()
	in := x.Shape().Dimensions[3]
	bound := 1 / math.Sqrt(float64(outChannels*k*k))
	init := func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		return graph.AddScalar(graph.MulScalar(ctx.RandomUniform(g, shape), 2*bound), -bound)
	}
	w := ctx.WithInitializer(init).VariableWithShape(WeightsName, shapes.Make(x.DType(), k, k, in, outChannels))
	b := ctx.WithInitializer(initializers.Zero).VariableWithShape(BiasesName, shapes.Make(x.DType(), outChannels))
	y := ConvTranspose(x, w.ValueGraph(g), s)
	return graph.Add(y, graph.Reshape(b.ValueGraph(g), 1, 1, 1, outChannels))
}

// convInitializer draws kernels from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's
// default that CompressAI's and ERFNet's published models were trained from. He
// initialisation is too large here: IGDN grows with |x|^2 and blew up the chained
// synthesis transform.
func convInitializer(ctx *context.Context) context.VariableInitializer {
	return func(g *graph.Graph, shape shapes.Shape) *graph.Node {
		d := shape.Dimensions
		fanIn := max(1, d[0]*d[1]*d[2])
		bound := 1 / math.Sqrt(float64(fanIn))
		return graph.AddScalar(graph.MulScalar(ctx.RandomUniform(g, shape), 2*bound), -bound)
	}
}

// Relu is max(x, 0).
func Relu(x *graph.Node) *graph.Node {
	return graph.Max(x, graph.ScalarZero(x.Graph(), x.DType()))
}

// layerPanicf reports a graph-building error. Graph code panics (as GoMLX does); the
// model package's API functions recover it into an error.
func layerPanicf(format string, args ...any) {
	panic(fmt.Errorf("nn: "+format, args...))
}
