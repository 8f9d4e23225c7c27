package imageio

import (
	"image"
	"image/color"
	"testing"
)

func TestLegendEntriesListsPresentClasses(t *testing.T) {
	l := image.NewGray(image.Rect(0, 0, 4, 2))
	copy(l.Pix, []uint8{2, 2, 0, 0, 2, 9, 0, 0})
	p := color.Palette{color.RGBA{255, 0, 0, 255}, color.RGBA{0, 255, 0, 255}, color.RGBA{0, 0, 255, 255}}
	got := LegendEntries(l, []string{"red", "green", "blue"}, p)
	want := []LegendEntry{
		{0, "red", color.RGBA{255, 0, 0, 255}},
		{2, "blue", color.RGBA{0, 0, 255, 255}},
		{9, "label 9", VoidColor},
	}
	if len(got) != len(want) {
		t.Fatalf("entries %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d = %v, want %v", i, got[i], want[i])
		}
	}
}

// countColor counts the pixels of c in r.
func countColor(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestWithLegendKeepsMapAndDrawsEntries(t *testing.T) {
	for _, size := range []image.Point{{200, 120}, {8, 8}} { // wide, and narrower than one entry
		l := image.NewGray(image.Rect(0, 0, size.X, size.Y))
		for i := range l.Pix {
			l.Pix[i] = uint8(i % 3) // classes 0, 1, 2; 3 is absent
		}
		p := color.Palette{color.RGBA{200, 0, 0, 255}, color.RGBA{0, 200, 0, 255}, color.RGBA{0, 0, 200, 255}, color.RGBA{200, 200, 0, 255}}
		classes := []string{"alpha", "beta", "gamma", "delta"}
		m := Colorize(l, p)
		out := WithLegend(m, LegendEntries(l, classes, p))
		if out.Rect.Dx() < size.X || out.Rect.Dy() <= size.Y {
			t.Fatalf("%v: result %v has no room for a legend", size, out.Rect)
		}
		for y := 0; y < size.Y; y++ {
			for x := 0; x < size.X; x++ {
				if out.RGBAAt(x, y) != m.RGBAAt(x, y) {
					t.Fatalf("%v: map pixel (%d,%d) changed", size, x, y)
				}
			}
		}
		strip := image.Rect(0, size.Y, out.Rect.Dx(), out.Rect.Dy())
		for i, c := range p {
			n := countColor(out, strip, c.(color.RGBA))
			if i < 3 && n < (legendSwatch-2)*(legendSwatch-2) {
				t.Errorf("%v: no swatch for class %d (%d pixels)", size, i, n)
			}
			if i == 3 && n != 0 {
				t.Errorf("%v: swatch for the absent class", size)
			}
		}
		if countColor(out, strip, legendInk) == 0 {
			t.Errorf("%v: no text drawn", size)
		}
	}
}

func TestWithLegendNoEntries(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 5, 5))
	if out := WithLegend(img, nil); out.Rect != img.Rect {
		t.Errorf("bounds %v, want %v", out.Rect, img.Rect)
	}
}
