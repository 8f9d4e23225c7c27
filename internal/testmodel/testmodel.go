// Package testmodel builds the small untrained networks that the tests of the
// codec, of the evaluation harness and of the command line use in place of
// trained weights, which do not ship with the tests.
package testmodel

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/model"
)

// New initialises cfg's network from seed, so that runs repeat, and
// calibrates it with Calibrate(ctx, cfg, spread).
func New(be backends.Backend, cfg model.Config, seed int64, spread float32) (*context.Context, error) {
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	// One forward pass creates and initialises every variable.
	levels := max(cfg.GainLevels(), 1)
	exec, err := context.NewExec(be, ctx, func(ctx *context.Context, x, rate *graph.Node) *graph.Node {
		if cfg.GainLevels() == 0 {
			rate = nil
		}
		return model.ForwardRate(ctx, cfg, x, rate, false).BPP
	})
	if err != nil {
		return nil, err
	}
	defer exec.Finalize()
	x := tensors.FromShape(shapes.Make(dtypes.Float32, 1, 64, 64, 3))
	rate := tensors.FromShape(shapes.Make(dtypes.Float32, 1, levels))
	if _, err := exec.Exec(x, rate); err != nil {
		return nil, err
	}
	return ctx, Calibrate(ctx, cfg, spread)
}

// Calibrate makes an untrained network code like a trained one: freshly
// initialised, its latents all round to zero. It scales the last analysis
// layer by spread (a larger spread spends more bits, as a higher quality
// does) and the hyper-analysis's, so the latents spread over several
// integers; it offsets the hyper-synthesis
// so that its scales sit near that spread while still depending on z.
func Calibrate(ctx *context.Context, cfg model.Config, spread float32) error {
	type adjust struct {
		scope, name string
		mul, add    float32
	}
	for _, a := range []adjust{
		{"/analysis/conv4", "weights", spread, 0},
		{"/hyper_analysis/conv3", "weights", 30, 0},
		{"/hyper_synthesis/up1", "biases", 0, 0.3},
		{"/hyper_synthesis/up2", "biases", 0, 0.3},
		{"/hyper_synthesis/out", "weights", 0.2, 0},
		{"/hyper_synthesis/out", "biases", 0, 1.1},
	} {
		v := ctx.GetVariableByScopeAndName(a.scope, a.name)
		if v == nil {
			return fmt.Errorf("testmodel: no variable %s/%s", a.scope, a.name)
		}
		val, err := v.Value()
		if err != nil {
			return err
		}
		data, err := tensors.CopyFlatData[float32](val)
		if err != nil {
			return err
		}
		for i := range data {
			data[i] = data[i]*a.mul + a.add
		}
		if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, val.Shape().Dimensions...)); err != nil {
			return err
		}
	}
	return nil
}
