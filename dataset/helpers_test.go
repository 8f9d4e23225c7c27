package dataset

import (
	"image"
	"image/color"
	"os"
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/imageio"
)

// pixelAt is the colour written at (x, y) by writeImage: it encodes the
// position so crops can be traced back to their source.
func pixelAt(x, y, tag int) color.RGBA {
	return color.RGBA{uint8(x), uint8(y), uint8(tag), 255}
}

func writeImage(t testing.TB, path string, w, h, tag int) {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.SetRGBA(x, y, pixelAt(x, y, tag))
		}
	}
	mkdir(t, filepath.Dir(path))
	if err := imageio.WritePNG(path, m); err != nil {
		t.Fatal(err)
	}
}

// writeLabels writes a label map whose value at (x, y) is f(x, y).
func writeLabels(t testing.TB, path string, w, h int, f func(x, y int) uint8) {
	t.Helper()
	l := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			l.Pix[y*w+x] = f(x, y)
		}
	}
	mkdir(t, filepath.Dir(path))
	if err := imageio.WriteLabels(path, l); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t testing.TB, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// camvidTree builds root/{train,trainannot,val,valannot} with the given
// image sizes in train; labels are x mod 13 (so 11 and 12 occur).
func camvidTree(t testing.TB, sizes ...[2]int) string {
	t.Helper()
	root := t.TempDir()
	for i, sz := range sizes {
		name := string(rune('a'+i)) + ".png"
		writeImage(t, filepath.Join(root, "train", name), sz[0], sz[1], i)
		writeLabels(t, filepath.Join(root, "trainannot", name), sz[0], sz[1], func(x, y int) uint8 { return uint8(x % 13) })
	}
	writeImage(t, filepath.Join(root, "val", "v.png"), 20, 20, 9)
	writeLabels(t, filepath.Join(root, "valannot", "v.png"), 20, 20, func(x, y int) uint8 { return 1 })
	return root
}

// cityscapesTree builds one frame in the Cityscapes layout, with a
// labelTrainIds file (trainIDs) or only a labelIds file.
func cityscapesTree(t testing.TB, trainIDs bool) string {
	t.Helper()
	root := t.TempDir()
	writeImage(t, filepath.Join(root, "leftImg8bit", "train", "aachen", "aachen_000000_000019_leftImg8bit.png"), 40, 20, 0)
	gt := filepath.Join(root, "gtFine", "train", "aachen", "aachen_000000_000019_gtFine_")
	if trainIDs {
		writeLabels(t, gt+"labelTrainIds.png", 40, 20, func(x, y int) uint8 {
			if x >= 19 {
				return 255
			}
			return uint8(x)
		})
	} else {
		writeLabels(t, gt+"labelIds.png", 40, 20, func(x, y int) uint8 { return uint8(x) })
	}
	return root
}
