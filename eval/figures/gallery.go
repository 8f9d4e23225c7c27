package figures

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
)

// Tile is one picture of a gallery with its labels.
type Tile struct {
	Image   image.Image
	Title   string // first label line, e.g. "JPEG (q 20)"
	Caption string // second line, e.g. Caption(bpp, psnr, msssim)
}

// GalleryOptions lay out a gallery; the zero value puts every tile, uncropped,
// in one row.
type GalleryOptions struct {
	// Crop, when not empty, is the region of each image to show, in the
	// image's coordinates (clipped to its bounds), for close-ups.
	Crop image.Rectangle
	// Columns per row; 0 means all tiles in one row.
	Columns int
	// FontSize in pixels; 0 means 16.
	FontSize float64
}

// ErrNoTiles means Gallery was given nothing to draw.
var ErrNoTiles = errors.New("figures: gallery needs at least one tile with an image")

// Caption formats the usual label of a decoded image.
func Caption(bpp, psnr, msssim float64) string {
	return fmt.Sprintf("%.3f bpp · %.2f dB · MS-SSIM %.4f", bpp, psnr, msssim)
}

// Gallery draws the tiles on a white sheet, each image (or its crop) with
// its title and caption underneath. Pixels are copied unscaled so that
// artefacts stay visible.
func Gallery(tiles []Tile, o GalleryOptions) (*image.RGBA, error) {
	if len(tiles) == 0 {
		return nil, ErrNoTiles
	}
	size := o.FontSize
	if size <= 0 {
		size = 16
	}
	cols := o.Columns
	if cols <= 0 || cols > len(tiles) {
		cols = len(tiles)
	}
	rows := (len(tiles) + cols - 1) / cols
	pad := int(math.Ceil(size / 2))
	labelH := int(math.Ceil(2.6 * size))

	// Every cell is as large as the largest (cropped) image.
	srcs := make([]image.Rectangle, len(tiles))
	cellW, cellH := 0, 0
	for i, t := range tiles {
		if t.Image == nil {
			return nil, fmt.Errorf("%w: tile %d (%q) has no image", ErrNoTiles, i, t.Title)
		}
		r := t.Image.Bounds()
		if !o.Crop.Empty() {
			r = o.Crop.Intersect(r)
			if r.Empty() {
				return nil, fmt.Errorf("figures: gallery crop %v lies outside tile %d (%v)", o.Crop, i, t.Image.Bounds())
			}
		}
		srcs[i] = r
		cellW, cellH = max(cellW, r.Dx()), max(cellH, r.Dy())
	}
	W := cols*cellW + (cols+1)*pad
	H := rows*(cellH+labelH) + (rows+1)*pad
	if int64(W)*int64(H) > 1<<28 {
		return nil, fmt.Errorf("figures: gallery of %dx%d pixels is too large", W, H)
	}
	sheet := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(sheet, sheet.Bounds(), image.White, image.Point{}, draw.Src)

	pf := font.DefaultCache.Lookup(font.Font{Typeface: "Liberation", Variant: "Sans"}, font.Length(size))
	face := pf.FontFace(72) // 72 dpi: one point per pixel
	defer face.Close()
	d := &xfont.Drawer{Dst: sheet, Src: image.NewUniform(color.Black), Face: face}
	for i, t := range tiles {
		x0 := pad + (i%cols)*(cellW+pad)
		y0 := pad + (i/cols)*(cellH+labelH+pad)
		dst := image.Rect(x0, y0, x0+srcs[i].Dx(), y0+srcs[i].Dy())
		draw.Draw(sheet, dst, t.Image, srcs[i].Min, draw.Src)
		for line, s := range []string{t.Title, t.Caption} {
			d.Dot = fixed.P(x0, y0+cellH+int(math.Round(float64(line+1)*1.2*size)))
			d.DrawString(s)
		}
	}
	return sheet, nil
}
