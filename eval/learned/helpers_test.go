package learned

import (
	"fmt"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/semcodec/semcodec/eval/learned/learnedtest"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

// testRoot holds the model files shared by the package's tests.
var testRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "semcodec-learned-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fixture writes a model family once per test binary.
type fixture struct {
	once  sync.Once
	dir   string
	paths []string
	err   error
}

func (f *fixture) get(t *testing.T, sub, name string, semantic, frozen bool, qualities ...int) (string, []string) {
	t.Helper()
	f.once.Do(func() {
		f.dir = filepath.Join(testRoot, sub)
		if f.err = os.MkdirAll(f.dir, 0o755); f.err != nil {
			return
		}
		cfg, err := learnedtest.TinyConfig(semantic)
		if err != nil {
			f.err = err
			return
		}
		f.paths, f.err = learnedtest.WriteFamily(f.dir, cfg, name, frozen, qualities...)
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.dir, f.paths
}

var semFix, plainFix, unfrozenFix fixture

// semanticFamily is a tiny two-quality family with a semantic branch.
func semanticFamily(t *testing.T) (dir string, paths []string) {
	return semFix.get(t, "semantic", "learned-test", true, true, 1, 2)
}

// imageOnlyFamily has no semantic branch and another model name.
func imageOnlyFamily(t *testing.T) (dir string, paths []string) {
	return plainFix.get(t, "image-only", "learned-test-hyperprior", false, true, 1)
}

// unfrozenFamily lacks the entropy tables, like trainer.Export's files.
func unfrozenFamily(t *testing.T) (dir string, paths []string) {
	return unfrozenFix.get(t, "unfrozen", "learned-test-unfrozen", true, false, 3)
}

// Crops of CamVid validation images with their labels: 96x64, so the codec
// pads the width (to 128) and crops back.
const cropW, cropH = 96, 64

type camvidCrop struct {
	name   string
	img    *image.RGBA
	labels *image.Gray
}

func camvidCrops(t *testing.T, n int) []camvidCrop {
	t.Helper()
	root := shareddata.Path(t, "data", "camvid")
	names := []string{"0016E5_07959", "0016E5_07961", "0016E5_07963"}[:n]
	var out []camvidCrop
	for i, name := range names {
		img, err := imageio.ReadImage(filepath.Join(root, "val", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		lab, err := imageio.ReadLabels(filepath.Join(root, "valannot", name+".png"))
		if err != nil {
			t.Fatal(err)
		}
		at := image.Pt(120+40*i, 200) // street level: several classes
		c := camvidCrop{name: name, img: image.NewRGBA(image.Rect(0, 0, cropW, cropH)), labels: image.NewGray(image.Rect(0, 0, cropW, cropH))}
		draw.Draw(c.img, c.img.Bounds(), img, at, draw.Src)
		draw.Draw(c.labels, c.labels.Bounds(), lab, at, draw.Src)
		out = append(out, c)
	}
	return out
}

// writeCamVid lays crops out as DIR/val/X.png and DIR/valannot/X.png.
func writeCamVid(t *testing.T, crops []camvidCrop) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"val", "valannot"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range crops {
		if err := imageio.WritePNG(filepath.Join(dir, "val", c.name+".png"), c.img); err != nil {
			t.Fatal(err)
		}
		if err := imageio.WriteLabels(filepath.Join(dir, "valannot", c.name+".png"), c.labels); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
