package codec

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/semcodec/semcodec/imageio"
)

// Tiles must reproduce the untiled transforms: the encoder's unrounded
// latents up to float rounding, and the decoded pixels and labels.
func TestTiledMatchesUntiled(t *testing.T) {
	m := mustModel(t)
	// The encoder's stage B margin is 22 latent cells, on tiles 4x wider, so
	// it tiles only an image wider than 4·128+2·352 px; the decoder's margin
	// (96 px) tiles a 640x448 image both ways.
	t.Run("analysis", func(t *testing.T) {
		img := testImage(1600, 130)
		untiled, err := m.analyseTile(img, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tile := range []int{128, 192} {
			rgb := imageio.ToRGB(img)
			l := *untiled
			tiledY, tiledZ, err := m.analyseTiled(rgb, &l, tile/16, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The reference is model.Analysis on the whole image, which
			// also checks split.go's copy of it.
			mc := m.cfg.LatentChannels()
			refY := make([]float32, l.hy*l.wy*mc)
			if err := m.imageTiles(refY, rgb, &l, graphAnalysisY, mc, MaxDimension, 0); err != nil {
				t.Fatal(err)
			}
			refZ := make([]float32, l.hz*l.wz*m.cfg.NHyper)
			if err := m.gridTiles(refZ, refY, l.hy, l.wy, mc, m.cfg.NHyper, graphHyperAnalysis, MaxDimension, 0, 4); err != nil {
				t.Fatal(err)
			}
			closeFloats(t, "y", tiledY, refY)
			closeFloats(t, "z", tiledZ, refZ)
			tiled, err := m.analyseTile(img, tile, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Rounded latents may flip only where a value sits on a .5 boundary.
			if d := countDiff(tiled.y, untiled.y); d > len(untiled.y)/1000 {
				t.Errorf("tile %d: %d of %d rounded y differ", tile, d, len(untiled.y))
			}
			if d := countDiff(tiled.z, untiled.z); d > len(untiled.z)/100 {
				t.Errorf("tile %d: %d of %d rounded z differ", tile, d, len(untiled.z))
			}
		}
	})
	t.Run("synthesis", func(t *testing.T) {
		data := encodeBytes(t, m, testImage(640, 448))
		ref, err := (&Decoder{Models: []*Model{m}, Tile: -1}).Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		refSeg, err := (&Decoder{Models: []*Model{m}, Tile: -1}).DecodeSegmentation(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, tile := range []int{128, 192} {
			d := &Decoder{Models: []*Model{m}, Tile: tile}
			got, err := d.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			closeBytes(t, "plain", got.Plain.Pix, ref.Plain.Pix)
			closeBytes(t, "enhanced", got.Image.Pix, ref.Image.Pix)
			if n := countDiff(got.Segmentation.Map.Pix, ref.Segmentation.Map.Pix); n > len(ref.Segmentation.Map.Pix)/1000 {
				t.Errorf("tile %d: %d labels differ", tile, n)
			}
			seg, err := d.DecodeSegmentation(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if n := countDiff(seg.Map.Pix, refSeg.Map.Pix); n > len(refSeg.Map.Pix)/1000 {
				t.Errorf("tile %d: %d segmentation-only labels differ", tile, n)
			}
		}
	})
}

func TestTileValidated(t *testing.T) {
	m := mustModel(t)
	img := testImage(70, 50)
	for _, tile := range []int{1, 63, 100, 130} {
		if err := Encode(io.Discard, img, &Options{Model: m, Tile: tile}); err == nil {
			t.Errorf("Encode accepted tile %d", tile)
		}
		data := encodeBytes(t, m, img)
		if _, err := (&Decoder{Models: []*Model{m}, Tile: tile}).Decode(bytes.NewReader(data)); err == nil {
			t.Errorf("Decode accepted tile %d", tile)
		}
	}
	for _, tile := range []int{0, -1, 64, 1 << 20} {
		var buf bytes.Buffer
		if err := Encode(&buf, img, &Options{Model: m, Tile: tile}); err != nil {
			t.Errorf("tile %d: %v", tile, err)
		}
		if _, err := (&Decoder{Models: []*Model{m}, Tile: tile}).Decode(&buf); err != nil {
			t.Errorf("tile %d: %v", tile, err)
		}
	}
	if err := Encode(io.Discard, img, &Options{Model: m, Tile: 100}); errors.Is(err, ErrTooLarge) {
		t.Error("a bad tile size is not ErrTooLarge")
	}
}

func closeFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var scale, worst float64
	for i := range want {
		scale = max(scale, math.Abs(float64(want[i])))
		worst = max(worst, math.Abs(float64(got[i]-want[i])))
	}
	if worst > 1e-4*max(scale, 1) {
		t.Errorf("%s: tiled differs by up to %g (values up to %g)", what, worst, scale)
	}
}

func closeBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d bytes, want %d", what, len(got), len(want))
	}
	for i := range want {
		if d := int(got[i]) - int(want[i]); d > 1 || d < -1 {
			t.Fatalf("%s: byte %d is %d, untiled %d", what, i, got[i], want[i])
		}
	}
}

func countDiff[T comparable](a, b []T) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n + max(len(a), len(b)) - min(len(a), len(b))
}
