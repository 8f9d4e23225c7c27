package eval

import (
	"bufio"
	"bytes"
	"errors"
	"image"
	"path/filepath"
	"strings"
	"testing"
)

func TestPPMRoundTrip(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 5, 3))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	p := filepath.Join(t.TempDir(), "x.ppm")
	if err := writePPM(p, img); err != nil {
		t.Fatal(err)
	}
	got, err := readPPM(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, img.Pix) || got.Rect != img.Rect {
		t.Errorf("round trip changed the image")
	}
	// A sub-image keeps its own pixels.
	sub := img.SubImage(image.Rect(1, 1, 4, 3)).(*image.RGBA)
	if err := writePPM(p, sub); err != nil {
		t.Fatal(err)
	}
	got, err = readPPM(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Bounds().Dx() != 3 || got.Bounds().Dy() != 2 || got.RGBAAt(0, 0) != sub.RGBAAt(1, 1) {
		t.Errorf("sub-image written as %v, first pixel %v", got.Bounds(), got.RGBAAt(0, 0))
	}
}

func TestDecodePPM(t *testing.T) {
	tests := []struct {
		name, data string
		ok         bool
		first      [3]uint8
	}{
		{"plain", "P6\n1 1\n255\n\x01\x02\x03", true, [3]uint8{1, 2, 3}},
		{"comments", "P6 # made by a tool\n1 # width\n1\n255\n\x01\x02\x03", true, [3]uint8{1, 2, 3}},
		{"16-bit", "P6\n1 1\n65535\n\xff\xff\x80\x00\x00\x00", true, [3]uint8{255, 128, 0}},
		{"maxval 15", "P6\n1 1\n15\n\x0f\x08\x00", true, [3]uint8{255, 136, 0}},
		{"empty", "", false, [3]uint8{}},
		{"ascii PPM", "P3\n1 1\n255\n1 2 3\n", false, [3]uint8{}},
		{"zero width", "P6\n0 1\n255\n", false, [3]uint8{}},
		{"huge", "P6\n100000 100000\n255\n", false, [3]uint8{}},
		{"maxval 0", "P6\n1 1\n0\n\x00\x00\x00", false, [3]uint8{}},
		{"maxval too large", "P6\n1 1\n70000\n\x00\x00\x00\x00\x00\x00", false, [3]uint8{}},
		{"sample above maxval", "P6\n1 1\n15\n\x10\x00\x00", false, [3]uint8{}},
		{"truncated samples", "P6\n2 1\n255\n\x01\x02\x03", false, [3]uint8{}},
		{"truncated header", "P6\n2", false, [3]uint8{}},
		{"letters in header", "P6\n2x1\n255\n", false, [3]uint8{}},
		{"no separator", "P6\n1 1\n255#\x01\x02\x03", false, [3]uint8{}},
		{"overflowing number", "P6\n99999999999999999999 1\n255\n", false, [3]uint8{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := decodePPM(bufio.NewReader(strings.NewReader(tc.data)))
			if !tc.ok {
				if !errors.Is(err, errPPM) {
					t.Errorf("error = %v, want errPPM", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := img.RGBAAt(0, 0)
			if [3]uint8{c.R, c.G, c.B} != tc.first || c.A != 255 {
				t.Errorf("first pixel %v, want %v", c, tc.first)
			}
		})
	}
}
