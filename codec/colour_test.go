package codec

import (
	"bytes"
	"errors"
	"image"
	"math"
	"testing"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/imageio"
)

// TestColourFit: a picture tinted by a known transform is mapped back by the
// fitted one, which survives the file's 24 bytes; an exact picture and a
// flat one get the identity.
func TestColourFit(t *testing.T) {
	img, err := imageio.ReadImage("../testdata/kodim23_crop.png")
	if err != nil {
		t.Fatal(err)
	}
	orig := imageio.ToRGB(img)
	// dec = orig desaturated, darkened and tinted: what the fit must undo.
	dec := imageio.ToRGB(img)
	for i := 0; i < len(dec.Pix); i += 4 {
		r, g, b := float64(dec.Pix[i]), float64(dec.Pix[i+1]), float64(dec.Pix[i+2])
		m := (r + g + b) / 3
		for c, v := range []float64{r, g, b} {
			v = 0.8*(0.7*v+0.3*m) + []float64{6, -4, 3}[c]
			dec.Pix[i+c] = uint8(max(0, min(255, math.Round(v))))
		}
	}
	c := fitColour(dec, orig)
	if c.isIdentity() {
		t.Fatal("fitted the identity to a tinted picture")
	}
	back := parseColour(c.marshal())
	if back != c {
		t.Fatalf("transform %+v read back as %+v", c, back)
	}
	before, after := sqErr(dec, orig, colourTransform{}), sqErr(dec, orig, back)
	t.Logf("squared error %d before, %d after", before, after)
	if after*20 > before {
		t.Errorf("the transform cut the squared error from %d only to %d", before, after)
	}
	if c := fitColour(orig, orig); !c.isIdentity() {
		t.Errorf("exact picture: %+v, want the identity", c)
	}
	flat := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range flat.Pix {
		flat.Pix[i] = 100
	}
	if c := fitColour(flat, flat); !c.isIdentity() {
		t.Errorf("flat picture: %+v, want the identity", c)
	}
}

// TestColourApplyClamps: extreme stored values give pixels in range.
func TestColourApplyClamps(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 2, 1))
	copy(img.Pix, []uint8{0, 128, 255, 255, 255, 0, 7, 255})
	c := colourTransform{dA: [3][3]int16{{math.MaxInt16, 0, 0}, {0, math.MinInt16, 0}, {0, 0, 0}}, b: [3]int16{0, 0, math.MinInt16}}
	c.apply(img)
	want := []uint8{0, 0, 0, 255, 255, 0, 0, 255}
	if !bytes.Equal(img.Pix, want) {
		t.Errorf("pixels %v, want %v", img.Pix, want)
	}
}

// TestColourBlockMissing: a version 4 file whose image segment is shorter
// than its colour transform is refused as invalid.
func TestColourBlockMissing(t *testing.T) {
	m, err := variableModel()
	if err != nil {
		t.Fatal(err)
	}
	img, err := imageio.ReadImage("../testdata/kodim23_crop.png")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, img, &Options{Model: m, Quality: 2}); err != nil {
		t.Fatal(err)
	}
	f, err := bitstream.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	f.Image = f.Image[:colourBlockSize-1]
	buf.Reset()
	if err := bitstream.Write(&buf, f); err != nil {
		t.Fatal(err)
	}
	_, err = (&Decoder{Models: []*Model{m}}).Decode(&buf)
	var fe FormatError
	if !errors.As(err, &fe) {
		t.Errorf("got %v, want a FormatError", err)
	}
}
