package imageio

import (
	"image"
	"image/color"
	"testing"
)

// A hand-built RGBA may hold colour above alpha; compositing on white must
// saturate, not wrap around.
func TestToRGBClampsNonPremultipliedPixels(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 1, 1))
	src.SetRGBA(0, 0, color.RGBA{R: 255, G: 200, B: 10, A: 0})
	got := ToRGB(src).RGBAAt(0, 0)
	want := color.RGBA{255, 255, 255, 255}
	if got != want {
		t.Fatalf("ToRGB = %v, want %v", got, want)
	}
}
