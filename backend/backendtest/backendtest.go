// Package backendtest has test helpers for GoMLX graph code in semcodec:
// a finite-difference gradient check and random tensors.
package backendtest

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// Options tunes GradCheck; the zero value (or nil) gives the defaults.
type Options struct {
	Step      float64 // finite-difference step; default 1e-4.
	Tol       float64 // allowed |analytic-numeric| / max(1, |analytic|, |numeric|); default 1e-6.
	MaxCoords int     // coordinates probed per input (a random sample if larger); default 32.
	Seed      int64   // seed for the coordinate sample.
}

// RandN returns a float64 tensor of the given dimensions with standard
// normal entries drawn from rng.
func RandN(rng *rand.Rand, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Float64, dims...))
	tensors.MutableFlatData(t, func(data []float64) {
		for i := range data {
			data[i] = rng.NormFloat64()
		}
	})
	return t
}

// RandN32 is RandN in float32, the dtype the CPU kernels are written for.
func RandN32(rng *rand.Rand, dims ...int) *tensors.Tensor {
	t := tensors.FromShape(shapes.Make(dtypes.Float32, dims...))
	tensors.MutableFlatData(t, func(data []float32) {
		for i := range data {
			data[i] = float32(rng.NormFloat64())
		}
	})
	return t
}

// GradCheck checks graph.Gradient of the scalar fn(inputs) with respect to
// every input against central finite differences of fn itself, both run on
// be. Inputs must be float64 so that the differences are accurate.
func GradCheck(t testing.TB, be backends.Backend, fn func(in []*graph.Node) *graph.Node,
	inputs []*tensors.Tensor, opts *Options) {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Step == 0 {
		o.Step = 1e-4
	}
	if o.Tol == 0 {
		o.Tol = 1e-6
	}
	if o.MaxCoords == 0 {
		o.MaxCoords = 32
	}
	for i, in := range inputs {
		if in.DType() != dtypes.Float64 {
			t.Fatalf("GradCheck: input %d is %s, want float64", i, in.DType())
		}
	}
	value, err := graph.NewExec(be, func(in []*graph.Node) *graph.Node {
		out := fn(in)
		if !out.Shape().IsScalar() {
			panic(fmt.Errorf("GradCheck: fn must return a scalar, got %s", out.Shape()))
		}
		return out
	})
	if err != nil {
		t.Fatal(err)
	}
	grads, err := graph.NewExec(be, func(in []*graph.Node) []*graph.Node {
		return graph.Gradient(fn(in), in...)
	})
	if err != nil {
		t.Fatal(err)
	}
	args := func(ts []*tensors.Tensor) []any {
		a := make([]any, len(ts))
		for i, x := range ts {
			a[i] = x
		}
		return a
	}
	analytic, err := grads.Exec(args(inputs)...)
	if err != nil {
		t.Fatalf("GradCheck: gradient: %v", err)
	}
	eval := func(ts []*tensors.Tensor) float64 {
		out, err := value.Exec(args(ts)...)
		if err != nil {
			t.Fatalf("GradCheck: value: %v", err)
		}
		return tensors.MustCopyFlatData[float64](out[0])[0]
	}

	rng := rand.New(rand.NewSource(o.Seed))
	for i, in := range inputs {
		base := tensors.MustCopyFlatData[float64](in)
		got := tensors.MustCopyFlatData[float64](analytic[i])
		coords := rng.Perm(len(base))
		if len(coords) > o.MaxCoords {
			coords = coords[:o.MaxCoords]
		}
		perturbed := append([]*tensors.Tensor(nil), inputs...)
		at := func(j int, delta float64) float64 {
			data := append([]float64(nil), base...)
			data[j] += delta
			perturbed[i] = tensors.FromFlatDataAndDimensions(data, in.Shape().Dimensions...)
			return eval(perturbed)
		}
		for _, j := range coords {
			numeric := (at(j, o.Step) - at(j, -o.Step)) / (2 * o.Step)
			scale := math.Max(1, math.Max(math.Abs(numeric), math.Abs(got[j])))
			if diff := math.Abs(numeric - got[j]); !(diff <= o.Tol*scale) {
				t.Errorf("GradCheck: input %d %s, element %d: gradient %.10g, finite difference %.10g",
					i, in.Shape(), j, got[j], numeric)
			}
		}
	}
}
