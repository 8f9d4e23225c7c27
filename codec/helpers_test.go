package codec

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"sync"
	"testing"

	"github.com/semcodec/semcodec/internal/testmodel"
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
// it (package testmodel) and exports it.
func exportTestModel(cfg model.Config, name string, quality int) (*weights.File, error) {
	be, err := sharedBackend()
	if err != nil {
		return nil, err
	}
	ctx, err := testmodel.New(be, cfg, 7, 60)
	if err != nil {
		return nil, err
	}
	return Export(ctx, cfg, weights.Metadata{Model: name, Quality: quality}, nil)
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
