package codec

import (
	"bytes"
	"fmt"
	"image"
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
	"github.com/semcodec/semcodec/model"
)

// benchModels returns the embedded levels, or, in a build without them,
// the test's tiny model and a freshly initialised "small" one (the shipped
// architecture: its timing does not depend on the weights).
func benchModels(b *testing.B) map[string]*Model {
	out := map[string]*Model{}
	for _, q := range DefaultQualities() {
		m, err := DefaultModel(q)
		if err != nil {
			b.Fatal(err)
		}
		out[fmt.Sprintf("%s-q%d", m.Name(), q)] = m
	}
	if len(out) > 0 {
		return out
	}
	out["untrained-tiny"] = mustModel(b)
	cfg, err := model.ConfigByName("small")
	if err != nil {
		b.Fatal(err)
	}
	f, err := exportTestModel(cfg, "", 1)
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewModel(f)
	if err != nil {
		b.Fatal(err)
	}
	out["untrained-small"] = m
	return out
}

// benchImage is Kodak's kodim01 (768x512) when the shared data is present.
func benchImage(b *testing.B) image.Image {
	if dir := shareddata.Root(); dir != "" {
		if img, err := imageio.ReadImage(filepath.Join(dir, "data", "kodak", "kodim01.png")); err == nil {
			return img
		}
	}
	return testImage(768, 512)
}

// BenchmarkCodec times encoding and decoding one 768x512 image per model;
// bytes/s counts input pixels times 3.
func BenchmarkCodec(b *testing.B) {
	img := benchImage(b)
	px := img.Bounds().Dx() * img.Bounds().Dy()
	for name, m := range benchModels(b) {
		var file bytes.Buffer
		if err := m.Encode(&file, img); err != nil {
			b.Fatal(err)
		}
		bpp := float64(8*file.Len()) / float64(px)
		b.Run("encode/"+name, func(b *testing.B) {
			b.SetBytes(int64(3 * px))
			b.ReportAllocs()
			for b.Loop() {
				var buf bytes.Buffer
				if err := m.Encode(&buf, img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(bpp, "bpp")
		})
		d := &Decoder{Models: []*Model{m}}
		b.Run("decode/"+name, func(b *testing.B) {
			b.SetBytes(int64(3 * px))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := d.Decode(bytes.NewReader(file.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(bpp, "bpp")
		})
		b.Run("decode-segmentation/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := d.DecodeSegmentation(bytes.NewReader(file.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
