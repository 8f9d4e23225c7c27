package eval

import (
	"fmt"
	"image"
	"image/draw"
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

// kodakCrops writes the top-left w×h corner of the first n Kodak images to a
// temporary folder and returns their paths; small crops keep tests fast
// while staying above MS-SSIM's minimum size.
func kodakCrops(t testing.TB, n, w, h int) (dir string, paths []string) {
	t.Helper()
	kodak := shareddata.Path(t, "data", "kodak")
	dir = t.TempDir()
	for i := 1; i <= n; i++ {
		img, err := imageio.ReadImage(filepath.Join(kodak, fmt.Sprintf("kodim%02d.png", i)))
		if err != nil {
			t.Fatal(err)
		}
		crop := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.Draw(crop, crop.Bounds(), img, image.Point{}, draw.Src)
		p := filepath.Join(dir, fmt.Sprintf("crop%02d.png", i))
		if err := imageio.WritePNG(p, crop); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return dir, paths
}
