package figures

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/eval"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

func curve(name string, bpp, psnr, ms []float64) eval.Curve {
	return eval.Curve{Name: name, Results: eval.CurveData{BPP: bpp, PSNR: psnr, MSSSIM: ms}}
}

func TestWriteRD(t *testing.T) {
	measured := []eval.Curve{
		curve("jpeg", []float64{0.3, 0.6, 1.2, 3}, []float64{27, 30, 33, 38}, []float64{0.9, 0.95, 0.98, 0.995}),
		curve("semcodec", []float64{0.1, 0.3, 0.6}, []float64{28, 31, 34}, []float64{0.92, 0.96, 0.98}),
	}
	refs := []eval.Curve{curve("paper", []float64{0.2, 0.5, 1}, []float64{29, 32, 35}, nil)}
	stem := filepath.Join(t.TempDir(), "rd.png")
	paths, err := WriteRD(stem, measured, refs, RDOptions{Title: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 2 || !strings.HasSuffix(paths[0], "rd.png") || !strings.HasSuffix(paths[1], "rd.svg") {
		t.Fatalf("paths %v", paths)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 2*6*pngDPI || cfg.Height != 4.5*pngDPI {
		t.Errorf("PNG is %dx%d", cfg.Width, cfg.Height)
	}
	svg, err := os.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "semcodec", "paper", "PSNR-RGB (dB)", "MS-SSIM-RGB (dB)", "bits per pixel"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// The paper curve has no MS-SSIM: it appears in one legend only; the
	// jpeg point at 3 bpp is beyond the axis and left out.
	if n := bytes.Count(svg, []byte(">paper<")); n != 1 {
		t.Errorf("paper appears %d times in the SVG text", n)
	}
	if _, err := WriteRD(stem, nil, nil, RDOptions{}); err == nil {
		t.Error("no curves accepted")
	}
}

func TestCurveXYs(t *testing.T) {
	xy := curveXYs([]float64{1, 0.5, 3, 0, 0.7}, []float64{0.9, 0.8, 0.99, 0.5, 1}, eval.MSSSIMdB, 2)
	// 3 bpp is beyond the axis, 0 bpp is not a rate, MS-SSIM 1 is +Inf dB.
	if len(xy) != 2 || xy[0].X != 0.5 || xy[1].X != 1 || xy[1].Y != 10 {
		t.Errorf("points %v", xy)
	}
}

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func TestGalleryLayout(t *testing.T) {
	red, blue := color.RGBA{200, 0, 0, 255}, color.RGBA{0, 0, 200, 255}
	tiles := []Tile{
		{Image: solid(40, 30, red), Title: "a", Caption: Caption(0.25, 30, 0.95)},
		{Image: solid(40, 30, blue), Title: "b"},
		{Image: solid(20, 30, red), Title: "c"},
	}
	g, err := Gallery(tiles, GalleryOptions{FontSize: 10, Columns: 2})
	if err != nil {
		t.Fatal(err)
	}
	// pad 5, label 26: 2 columns of 40, 2 rows of 30+26.
	if g.Bounds().Dx() != 2*40+3*5 || g.Bounds().Dy() != 2*(30+26)+3*5 {
		t.Fatalf("gallery is %v", g.Bounds())
	}
	for _, c := range []struct {
		x, y int
		want color.RGBA
	}{
		{5, 5, red}, {44, 34, red}, {50, 5, blue}, {5, 66, red}, {26, 66, color.RGBA{255, 255, 255, 255}},
	} {
		if got := g.RGBAAt(c.x, c.y); got != c.want {
			t.Errorf("pixel (%d,%d) = %v, want %v", c.x, c.y, got, c.want)
		}
	}
	// Some label ink below the first tile.
	ink := false
	for y := 36; y < 61 && !ink; y++ {
		for x := 5; x < 45; x++ {
			if g.RGBAAt(x, y).R < 128 {
				ink = true
			}
		}
	}
	if !ink {
		t.Error("no label drawn")
	}
}

func TestGalleryErrors(t *testing.T) {
	if _, err := Gallery(nil, GalleryOptions{}); !errors.Is(err, ErrNoTiles) {
		t.Errorf("no tiles: %v", err)
	}
	if _, err := Gallery([]Tile{{Title: "x"}}, GalleryOptions{}); !errors.Is(err, ErrNoTiles) {
		t.Errorf("nil image: %v", err)
	}
	tiles := []Tile{{Image: solid(10, 10, color.RGBA{A: 255})}}
	if _, err := Gallery(tiles, GalleryOptions{Crop: image.Rect(20, 20, 30, 30)}); err == nil {
		t.Error("crop outside the image accepted")
	}
}

// TestGalleryOfBaselines draws the gallery from real baseline encodings of a
// Kodak image at similar rates, cropped.
func TestGalleryOfBaselines(t *testing.T) {
	img, err := imageio.ReadImage(filepath.Join(shareddata.Path(t, "data", "kodak"), "kodim23.png"))
	if err != nil {
		t.Fatal(err)
	}
	tiles := []Tile{{Image: img, Title: "original"}}
	for _, name := range []string{"jpeg", "webp"} {
		c, err := eval.New(name, eval.Options{})
		var un *eval.UnavailableError
		if errors.As(err, &un) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		p, err := eval.EncodeNearRate(c, img, 0.4, []int{10, 30, 50})
		if err != nil {
			t.Fatal(err)
		}
		if p.BPP <= 0 || p.PSNR < 20 || p.Image == nil {
			t.Errorf("%s pick %+v", name, p)
		}
		tiles = append(tiles, Tile{Image: p.Image, Title: name, Caption: Caption(p.BPP, p.PSNR, p.MSSSIM)})
	}
	crop := image.Rect(300, 100, 500, 300)
	g, err := Gallery(tiles, GalleryOptions{Crop: crop})
	if err != nil {
		t.Fatal(err)
	}
	if g.Bounds().Dy() != 200+2*8+42 || g.Bounds().Dx() != len(tiles)*200+(len(tiles)+1)*8 {
		t.Errorf("gallery is %v for %d tiles", g.Bounds(), len(tiles))
	}
	// The original's crop is copied pixel for pixel.
	if g.RGBAAt(8, 8) != img.RGBAAt(300, 100) || g.RGBAAt(207, 207) != img.RGBAAt(499, 299) {
		t.Error("original crop not copied exactly")
	}
}
