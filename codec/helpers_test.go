package codec

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// testModelFile exports a freshly initialised tiny model (seeded, so every
// run gets the same weights). It is shared by the package's tests.
var testModelFile = sync.OnceValues(func() (*weights.File, error) {
	cfg, err := model.ConfigByName("tiny")
	if err != nil {
		return nil, err
	}
	return exportTestModel(cfg, "semcodec-test-tiny", 2)
})

// exportTestModel initialises cfg's network from a fixed seed, calibrates
// it and exports it.
func exportTestModel(cfg model.Config, name string, quality int) (*weights.File, error) {
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(7); err != nil {
		return nil, err
	}
	be, err := sharedBackend()
	if err != nil {
		return nil, err
	}
	// Running the network once creates and initialises every variable.
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
	if _, err := exec.Exec(tensors.FromShape(shapeOf(1, 64, 64, 3)), tensors.FromShape(shapeOf(1, levels))); err != nil {
		return nil, err
	}
	if err := calibrate(ctx); err != nil {
		return nil, err
	}
	return Export(ctx, cfg, weights.Metadata{Model: name, Quality: quality}, nil)
}

// calibrate makes an untrained network behave like a trained one where the
// tests need it: freshly initialised, its latents all round to zero. It
// scales the last analysis layer up so y spreads over several integers, and
// shifts the hyper-synthesis so its scales sit around y's spread while still
// depending on z.
func calibrate(ctx *context.Context) error {
	scale := func(scope, name string, mul, add float32) error {
		v := ctx.GetVariableByScopeAndName(scope, name)
		if v == nil {
			return fmt.Errorf("no variable %s/%s", scope, name)
		}
		value, err := v.Value()
		if err != nil {
			return err
		}
		data, err := tensors.CopyFlatData[float32](value)
		if err != nil {
			return err
		}
		for i := range data {
			data[i] = data[i]*mul + add
		}
		return v.SetValue(tensors.FromFlatDataAndDimensions(data, value.Shape().Dimensions...))
	}
	for _, s := range []struct {
		scope, name string
		mul, add    float32
	}{
		{"/analysis/conv4", "weights", 60, 0},
		{"/hyper_analysis/conv3", "weights", 30, 0},
		{"/hyper_synthesis/up1", "biases", 0, 0.3},
		{"/hyper_synthesis/up2", "biases", 0, 0.3},
		{"/hyper_synthesis/out", "weights", 0.2, 0},
		{"/hyper_synthesis/out", "biases", 0, 1.1},
	} {
		if err := scale(s.scope, s.name, s.mul, s.add); err != nil {
			return err
		}
	}
	return nil
}

var testModel = sync.OnceValues(func() (*Model, error) {
	f, err := testModelFile()
	if err != nil {
		return nil, err
	}
	return NewModel(f)
})

func mustModel(t testing.TB) *Model {
	t.Helper()
	m, err := testModel()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testImage is a smooth deterministic picture with some texture.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{
				uint8(255 * x / max(w-1, 1)),
				uint8(255 * y / max(h-1, 1)),
				uint8(128 + 100*math.Sin(float64(x*y)/50)),
				255,
			})
		}
	}
	return img
}

func encodeBytes(t testing.TB, m *Model, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// analyse runs the analysis and hyper-analysis transforms with the default
// tiles (and quality) and rounds their outputs, as Encode does.
func (m *Model) analyse(img image.Image) (*latents, error) {
	r, err := m.rateFor(0)
	if err != nil {
		return nil, err
	}
	return m.analyseTile(img, 0, r.gain)
}
