package imageio

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"testing"
)

// FuzzDecodeImage feeds arbitrary bytes to the decoder: it must return an
// error or an image that agrees with its header, and never panic.
func FuzzDecodeImage(f *testing.F) {
	if data, err := os.ReadFile(fixtureRef); err == nil {
		f.Add(data)
	}
	f.Add(pngHeader(16, 16))
	f.Add(pngHeader(1<<31-1, 1))
	f.Add([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"))
	small := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	small.Pix[3] = 9
	var buf bytes.Buffer
	if err := png.Encode(&buf, small); err == nil {
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, cfgErr := DecodeConfig(bytes.NewReader(data))
		img, err := DecodeImage(bytes.NewReader(data))
		if err != nil {
			return
		}
		if cfgErr != nil {
			t.Fatalf("image decoded but its header did not: %v", cfgErr)
		}
		if img.Rect.Dx() != cfg.Width || img.Rect.Dy() != cfg.Height {
			t.Fatalf("image %v, header %dx%d", img.Rect, cfg.Width, cfg.Height)
		}
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] != 255 {
				t.Fatal("decoded image is not opaque")
			}
		}
	})
}
