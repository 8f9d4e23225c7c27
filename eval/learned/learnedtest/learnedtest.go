// Package learnedtest writes small untrained model families for the tests of
// code that evaluates the learned codec (package eval/learned, the CLI). No
// trained weights ship with the tests, so these stand in for them.
package learnedtest

import (
	"fmt"
	"path/filepath"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/internal/testmodel"
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
// (seeded, so runs repeat, and calibrated by package testmodel) as model
// name at each quality, into dir as NAME-qQ.smw, and returns the paths. Each
// quality gets a wider latent spread, so a higher quality spends more bits,
// as in a trained family. Unless frozen is false the files carry
// their entropy tables, as codec.Export writes them; without, they are
// like trainer.Export's output.
func WriteFamily(dir string, cfg model.Config, name string, frozen bool, qualities ...int) ([]string, error) {
	be, err := backend.New()
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, q := range qualities {
		ctx, err := testmodel.New(be, cfg, 11, float32(20+20*q))
		if err != nil {
			return nil, err
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
