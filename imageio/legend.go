package imageio

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// LegendEntry is one class listed in a legend.
type LegendEntry struct {
	Label uint8
	Name  string
	Color color.RGBA // the colour Colorize paints the label with
}

// LegendEntries returns one entry per label value present in l, in label
// order. Names come from classes ("label N" for a value without a name),
// colours from p exactly as Colorize paints them.
func LegendEntries(l *image.Gray, classes []string, p color.Palette) []LegendEntry {
	var present [256]bool
	b := l.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for _, v := range l.Pix[l.PixOffset(b.Min.X, y):][:b.Dx()] {
			present[v] = true
		}
	}
	lut := paletteLUT(p)
	var entries []LegendEntry
	for v, ok := range present {
		if !ok {
			continue
		}
		name := fmt.Sprintf("label %d", v)
		if v < len(classes) && classes[v] != "" {
			name = classes[v]
		}
		c := lut[v]
		entries = append(entries, LegendEntry{Label: uint8(v), Name: name, Color: color.RGBA{c[0], c[1], c[2], 255}})
	}
	return entries
}

// Legend layout, in pixels.
const (
	legendPad    = 4  // margin around the legend
	legendRow    = 17 // height of one entry
	legendSwatch = 13 // side of a colour swatch
	legendGap    = 4  // between a swatch and its name
	legendColGap = 12 // between columns
)

var (
	legendFace       = basicfont.Face7x13
	legendBackground = color.RGBA{255, 255, 255, 255}
	legendInk        = color.RGBA{0, 0, 0, 255}
	legendBorder     = color.RGBA{64, 64, 64, 255}
)

// WithLegend returns a copy of img (as opaque RGB, see ToRGB) with a legend
// strip appended below it: one colour swatch and name per entry, in columns
// as wide as the longest name. img's pixels are copied unchanged to the top
// left of the result; the strip, and the canvas to the right of img when the
// legend is wider than img, are white. With no entries the result is img's
// copy alone.
func WithLegend(img image.Image, entries []LegendEntry) *image.RGBA {
	src := ToRGB(img)
	w, h := src.Rect.Dx(), src.Rect.Dy()
	if len(entries) == 0 {
		return src
	}
	textW := 0
	for _, e := range entries {
		textW = max(textW, font.MeasureString(legendFace, e.Name).Ceil())
	}
	colW := legendSwatch + legendGap + textW + legendColGap
	cols := max(1, min(len(entries), (w-2*legendPad+legendColGap)/colW))
	rows := (len(entries) + cols - 1) / cols
	outW := max(w, 2*legendPad+cols*colW-legendColGap)
	outH := h + 2*legendPad + rows*legendRow
	out := image.NewRGBA(image.Rect(0, 0, outW, outH))
	draw.Draw(out, out.Rect, image.NewUniform(legendBackground), image.Point{}, draw.Src)
	draw.Draw(out, image.Rect(0, 0, w, h), src, src.Rect.Min, draw.Src)

	d := &font.Drawer{Dst: out, Src: image.NewUniform(legendInk), Face: legendFace}
	ascent := legendFace.Metrics().Ascent.Ceil()
	for i, e := range entries {
		// Column-major order, so that label order reads down each column.
		col, row := i/rows, i%rows
		x := legendPad + col*colW
		y := h + legendPad + row*legendRow + (legendRow-legendSwatch)/2
		sw := image.Rect(x, y, x+legendSwatch, y+legendSwatch)
		draw.Draw(out, sw, image.NewUniform(legendBorder), image.Point{}, draw.Src)
		draw.Draw(out, sw.Inset(1), image.NewUniform(e.Color), image.Point{}, draw.Src)
		d.Dot = fixed.P(x+legendSwatch+legendGap, y+(legendSwatch-legendFace.Height)/2+ascent)
		d.DrawString(e.Name)
	}
	return out
}
