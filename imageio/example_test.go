package imageio_test

import (
	"fmt"
	"image"
	"image/color"

	"github.com/semcodec/semcodec/imageio"
)

func ExampleToRGB() {
	// A half-transparent black pixel lands on white as mid gray.
	m := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	m.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 128})
	fmt.Println(imageio.ToRGB(m).RGBAAt(0, 0))
	// Output: {127 127 127 255}
}

func ExampleColorize() {
	l := image.NewGray(image.Rect(0, 0, 2, 1))
	l.Pix = []uint8{3, imageio.CamVidVoid}
	c := imageio.Colorize(l, imageio.CamVidPalette)
	fmt.Println(imageio.CamVidClasses[3], c.RGBAAt(0, 0), c.RGBAAt(1, 0))
	// Output: Road {128 64 128 255} {0 0 0 255}
}
