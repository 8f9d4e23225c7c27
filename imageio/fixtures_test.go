package imageio

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/internal/shareddata"
)

// The repository's testdata holds a 256x256 crop of kodim23 and its JPEG
// quality-30 round trip (Go's encoder and decoder). Regenerate them with
//
//	SEMCODEC_REGEN_FIXTURES=1 go test ./imageio -run TestFixtures
var (
	fixtureRef  = filepath.Join("..", "testdata", "kodim23_crop.png")
	fixtureDist = filepath.Join("..", "testdata", "kodim23_crop_q30.png")
	fixtureRect = image.Rect(384, 96, 640, 352) // the red macaw's head
)

const fixtureQuality = 30

func jpegRoundTrip(t *testing.T, img image.Image, quality int) *image.RGBA {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	out, err := DecodeImage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFixtures(t *testing.T) {
	if os.Getenv("SEMCODEC_REGEN_FIXTURES") != "" {
		kodim := shareddata.Path(t, "data", "kodak", "kodim23.png")
		src, err := ReadImage(kodim)
		if err != nil {
			t.Fatal(err)
		}
		crop := ToRGB(src.SubImage(fixtureRect))
		if err := WritePNG(fixtureRef, crop); err != nil {
			t.Fatal(err)
		}
		if err := WritePNG(fixtureDist, jpegRoundTrip(t, crop, fixtureQuality)); err != nil {
			t.Fatal(err)
		}
	}
	ref, err := ReadImage(fixtureRef)
	if err != nil {
		t.Fatal(err)
	}
	dist, err := ReadImage(fixtureDist)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Rect != image.Rect(0, 0, 256, 256) || dist.Rect != ref.Rect {
		t.Fatalf("fixture sizes %v and %v, want 256x256", ref.Rect, dist.Rect)
	}
	// The distorted fixture is close to a fresh round trip (exactly equal
	// unless Go's JPEG codec changed) and clearly differs from the reference.
	fresh := jpegRoundTrip(t, ref, fixtureQuality)
	var dFresh, dRef int
	for i := range ref.Pix {
		dFresh += absDiff(dist.Pix[i], fresh.Pix[i])
		dRef += absDiff(dist.Pix[i], ref.Pix[i])
	}
	n := float64(len(ref.Pix) * 3 / 4)
	if float64(dFresh)/n > 1 || float64(dRef)/n < 1 {
		t.Errorf("mean |dist-fresh| = %.3f, mean |dist-ref| = %.3f", float64(dFresh)/n, float64(dRef)/n)
	}
	if root := shareddata.Root(); root != "" {
		src, err := ReadImage(filepath.Join(root, "data", "kodak", "kodim23.png"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ToRGB(src.SubImage(fixtureRect)).Pix, ref.Pix) {
			t.Error("testdata/kodim23_crop.png is not the crop of kodim23 it should be")
		}
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
