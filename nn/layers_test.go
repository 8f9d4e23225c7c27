package nn

import (
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
)

var layersBackend = sync.OnceValue(func() backends.Backend { return backend.MustNew() })

// layersContext is a context with a fixed seed, so initial weights are reproducible.
func layersContext(t testing.TB) *context.Context {
	t.Helper()
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(42); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// rampInput is a deterministic [b,h,w,c] float32 tensor with values in [-1, 1].
func rampInput(b, h, w, c int) *tensors.Tensor {
	data := make([]float32, b*h*w*c)
	for i := range data {
		data[i] = float32(math.Sin(float64(i)*0.7 + 0.3))
	}
	return tensors.FromFlatDataAndDimensions(data, b, h, w, c)
}

func flat32(t *tensors.Tensor) []float32 { return tensors.MustCopyFlatData[float32](t) }

func variableValue(t testing.TB, ctx *context.Context, scope, name string) []float32 {
	t.Helper()
	v := ctx.GetVariableByScopeAndName(scope, name)
	if v == nil {
		t.Fatalf("no variable %s/%s", scope, name)
	}
	return flat32(v.MustValue())
}

func TestConvolutionLayer(t *testing.T) {
	ctx := layersContext(t)
	x := rampInput(2, 7, 5, 3)
	out := context.MustExecOnceN(layersBackend(), ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
		y := Convolution(ctx.In("conv"), x, 4).Kernel(3, 5).Stride(2).Done()
		// The same product from the variables, to check the bias is added.
		w := ctx.In("conv").GetVariable(WeightsName).ValueGraph(x.Graph())
		ref := Conv(x, w, [2]int{2, 2}, [2]int{1, 1})
		return []*graph.Node{y, ref}
	}, x)
	if !slices.Equal(out[0].Shape().Dimensions, []int{2, 4, 3, 4}) {
		t.Fatalf("shape %s, want [2 4 3 4]", out[0].Shape())
	}
	w := ctx.GetVariableByScopeAndName("/conv", WeightsName)
	if w == nil || !slices.Equal(w.Shape().Dimensions, []int{3, 5, 3, 4}) {
		t.Fatalf("weights variable %v", w)
	}
	b := variableValue(t, ctx, "/conv", BiasesName)
	for i, v := range flat32(out[0]) {
		if d := v - flat32(out[1])[i] - b[i%4]; math.Abs(float64(d)) > 1e-6 {
			t.Fatalf("output %d: %g, want conv + bias", i, v)
		}
	}
	// PyTorch-style initial bound 1/sqrt(fan_in).
	bound := 1 / math.Sqrt(3*5*3)
	for _, v := range flat32(w.MustValue()) {
		if math.Abs(float64(v)) > bound {
			t.Fatalf("initial weight %g outside ±%g", v, bound)
		}
	}
}

func TestConvolutionRejectsEvenKernel(t *testing.T) {
	g := graph.NewGraph(layersBackend(), "even")
	x := graph.Zeros(g, rampInput(1, 4, 4, 2).Shape())
	defer func() {
		if recover() == nil {
			t.Error("a 2x2 kernel was accepted")
		}
	}()
	Convolution(context.New(), x, 3).Kernel(2, 2).Done()
}

func TestDepthToSpaceLayout(t *testing.T) {
	// One pixel with 4*C channels, value = channel index; C = 3.
	const c = 3
	in := make([]float32, 4*c)
	for i := range in {
		in[i] = float32(i)
	}
	x := tensors.FromFlatDataAndDimensions(in, 1, 1, 1, 4*c)
	out := graph.MustExecOnceN(layersBackend(), func(x *graph.Node) []*graph.Node {
		y := DepthToSpace(x, 2)
		return []*graph.Node{y, SpaceToDepth(y, 2)}
	}, x)
	if !slices.Equal(out[0].Shape().Dimensions, []int{1, 2, 2, c}) {
		t.Fatalf("shape %s", out[0].Shape())
	}
	y := flat32(out[0])
	for dy := range 2 {
		for dx := range 2 {
			for ch := range c {
				got := y[(dy*2+dx)*c+ch]
				if want := float32((dy*2+dx)*c + ch); got != want {
					t.Errorf("pixel (%d,%d) channel %d = %g, want input channel %g", dy, dx, ch, got, want)
				}
			}
		}
	}
	if !slices.Equal(flat32(out[1]), in) {
		t.Errorf("SpaceToDepth(DepthToSpace(x)) = %v, want %v", flat32(out[1]), in)
	}
}

func TestSubPixelConvShape(t *testing.T) {
	ctx := layersContext(t)
	out := context.MustExecOnce(layersBackend(), ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
		return SubPixelConv(ctx.In("up"), x, 5, 3)
	}, rampInput(1, 3, 4, 2))
	if !slices.Equal(out.Shape().Dimensions, []int{1, 6, 8, 5}) {
		t.Errorf("shape %s, want [1 6 8 5]", out.Shape())
	}
	if w := ctx.GetVariableByScopeAndName("/up", WeightsName); w == nil || w.Shape().Dimensions[3] != 20 {
		t.Errorf("weights %v, want [3 3 2 20]", w)
	}
}

func TestNonBottleneck1D(t *testing.T) {
	ctx := layersContext(t)
	x := rampInput(2, 6, 5, 4)
	for _, training := range []bool{true, false} {
		c := ctx
		if !training {
			c = ctx.Reuse()
		}
		out := context.MustExecOnce(layersBackend(), c, func(ctx *context.Context, x *graph.Node) *graph.Node {
			ctx.SetTraining(x.Graph(), training)
			return NonBottleneck1D(ctx.In("nb"), x, 2, 0.1)
		}, x)
		if !out.Shape().Equal(x.Shape()) {
			t.Fatalf("shape %s, want %s", out.Shape(), x.Shape())
		}
		for _, v := range flat32(out) {
			if v < 0 || math.IsNaN(float64(v)) {
				t.Fatalf("output %g: the block ends in ReLU", v)
			}
		}
	}
	for _, scope := range []string{"conv3x1_1", "conv1x3_1", "conv3x1_2", "conv1x3_2"} {
		if ctx.GetVariableByScopeAndName("/nb/"+scope, WeightsName) == nil {
			t.Errorf("missing /nb/%s/weights", scope)
		}
	}
	for _, scope := range []string{"conv1x3_1", "conv1x3_2"} {
		if ctx.GetVariableByScopeAndName("/nb/"+scope+"/bn", BatchNormMeanName) == nil {
			t.Errorf("missing /nb/%s/bn/mean", scope)
		}
	}
	if w := ctx.GetVariableByScopeAndName("/nb/conv3x1_2", WeightsName); !slices.Equal(w.Shape().Dimensions, []int{3, 1, 4, 4}) {
		t.Errorf("conv3x1_2 weights %s", w.Shape())
	}
}
