// Package learnedtest writes small untrained model families for the tests of
// code that evaluates the learned codec (package eval/learned, the CLI). No
// trained weights ship with the tests, so these stand in for them.
package learnedtest

import (
	"fmt"
	"path/filepath"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// TinyConfig returns the "tiny" configuration (11 CamVid classes), with the
// semantic branch or without it (a plain scale hyperprior).
func TinyConfig(semantic bool) (model.Config, error) {
	cfg, err := model.ConfigByName("tiny")
	if err != nil {
		return cfg, err
	}
	if !semantic {
		cfg.Semantic, cfg.Enhancement = false, false
	}
	return cfg, nil
}

// WriteFamily exports one freshly initialised network of configuration cfg
// (seeded, so runs repeat) as model name at each quality, into dir as
// NAME-qQ.smw, and returns the paths. Each quality gets its analysis output
// scaled by a factor growing with the quality, so a higher quality spends
// more bits, as in a trained family. Unless frozen is false the files carry
// their entropy tables, as codec.Export writes them; without, they are
// like trainer.Export's output.
func WriteFamily(dir string, cfg model.Config, name string, frozen bool, qualities ...int) ([]string, error) {
	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, q := range qualities {
		ctx := context.New()
		if err := ctx.SetRNGStateFromSeed(11); err != nil {
			return nil, err
		}
		// One forward pass creates and initialises every variable.
		exec, err := context.NewExec(be, ctx, func(ctx *context.Context, x *graph.Node) *graph.Node {
			return model.Forward(ctx, cfg, x, false).BPP
		})
		if err != nil {
			return nil, err
		}
		if _, err := exec.Exec(tensors.FromShape(shapes.Make(dtypes.Float32, 1, 64, 64, 3))); err != nil {
			return nil, err
		}
		exec.Finalize()
		// An untrained network codes nothing: freshly initialised, its
		// latents all round to zero. Scaling the last layers of the
		// analysis, the aggregation and the hyper-analysis spreads them
		// over several integers; offsetting the hyper-synthesis keeps the
		// predicted scales near that spread while still depending on z.
		type adjust struct {
			scope, name string
			mul, add    float32
		}
		var adjusts []adjust
		if cfg.Semantic && cfg.Aggregation {
			adjusts = append(adjusts, adjust{"/" + model.ScopeAggregation + "/out", "weights", 8, 0})
		}
		adjusts = append(adjusts, []adjust{
			{"/analysis/conv4", "weights", float32(20 + 20*q), 0},
			{"/hyper_analysis/conv3", "weights", 30, 0},
			{"/hyper_synthesis/up1", "biases", 1, 0.3},
			{"/hyper_synthesis/up2", "biases", 1, 0.3},
			{"/hyper_synthesis/out", "weights", 0.2, 0},
			{"/hyper_synthesis/out", "biases", 1, 1.1},
		}...)
		for _, a := range adjusts {
			v := ctx.GetVariableByScopeAndName(a.scope, a.name)
			if v == nil {
				return nil, fmt.Errorf("learnedtest: no variable %s/%s", a.scope, a.name)
			}
			val, err := v.Value()
			if err != nil {
				return nil, err
			}
			data, err := tensors.CopyFlatData[float32](val)
			if err != nil {
				return nil, err
			}
			for i := range data {
				data[i] = data[i]*a.mul + a.add
			}
			if err := v.SetValue(tensors.FromFlatDataAndDimensions(data, val.Shape().Dimensions...)); err != nil {
				return nil, err
			}
		}
		meta := weights.Metadata{Model: name, Quality: q}
		f, err := codec.Export(ctx, cfg, meta, nil)
		if err != nil {
			return nil, err
		}
		if !frozen { // without the entropy tables, as a file from before freezing
			out := weights.New(f.Meta)
			for _, n := range f.Names() {
				if n == codec.TensorZTables || n == codec.TensorZCenters {
					continue
				}
				t, err := f.Tensor(n)
				if err == nil {
					err = out.Add(t)
				}
				if err != nil {
					return nil, err
				}
			}
			f = out
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-q%d%s", name, q, weights.Extension))
		if err := weights.WriteFile(path, f); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
