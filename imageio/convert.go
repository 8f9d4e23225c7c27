package imageio

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// AsRGB returns img itself when it already is what ToRGB would make (an
// opaque RGBA image at the origin), else ToRGB(img): for read-only use of
// large images, where the copy would cost 4 bytes per pixel (1 GiB at
// 16384²).
func AsRGB(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) && r.Opaque() {
		return r
	}
	return ToRGB(img)
}

// ToRGB converts img to a new opaque 8-bit RGB image whose bounds start at
// (0, 0), following the colour rules in the package documentation (gray to
// RGB, alpha composited on white, 16-bit rounded to nearest).
func ToRGB(img image.Image) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	switch src := img.(type) {
	case *image.RGBA:
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			d := out.Pix[y*out.Stride:][:4*w]
			for i := 0; i < len(s); i += 4 {
				// Premultiplied: over white adds the uncovered share, 255-a.
				// Clamp: a hand-built image may break the premultiplied rule
				// (colour above alpha), which must not wrap around.
				u := 255 - int(s[i+3])
				d[i], d[i+1], d[i+2], d[i+3] = sat8(int(s[i])+u), sat8(int(s[i+1])+u), sat8(int(s[i+2])+u), 255
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			d := out.Pix[y*out.Stride:][:4*w]
			for i := 0; i < len(s); i += 4 {
				a := s[i+3]
				d[i], d[i+1], d[i+2], d[i+3] = nrgbaOnWhite(s[i], a), nrgbaOnWhite(s[i+1], a), nrgbaOnWhite(s[i+2], a), 255
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			d := out.Pix[y*out.Stride:][:4*w]
			for x, v := range s {
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = v, v, v, 255
			}
		}
	case *image.YCbCr:
		// draw uses the same 8-bit conversion as color.YCbCrToRGB.
		draw.Draw(out, out.Bounds(), src, b.Min, draw.Src)
	case *image.Paletted:
		var lut [256][3]uint8
		for i, c := range src.Palette {
			lut[i] = rgbOnWhite(c)
		}
		for y := 0; y < h; y++ {
			s := src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			d := out.Pix[y*out.Stride:][:4*w]
			for x, v := range s {
				// Indices beyond the palette read as black, like Paletted.At.
				c := lut[v]
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c[0], c[1], c[2], 255
			}
		}
	case image.RGBA64Image:
		for y := 0; y < h; y++ {
			d := out.Pix[y*out.Stride:][:4*w]
			for x := 0; x < w; x++ {
				c := src.RGBA64At(b.Min.X+x, b.Min.Y+y)
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = onWhite16(uint32(c.R), uint32(c.A)),
					onWhite16(uint32(c.G), uint32(c.A)), onWhite16(uint32(c.B), uint32(c.A)), 255
			}
		}
	default:
		for y := 0; y < h; y++ {
			d := out.Pix[y*out.Stride:][:4*w]
			for x := 0; x < w; x++ {
				c := rgbOnWhite(img.At(b.Min.X+x, b.Min.Y+y))
				d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c[0], c[1], c[2], 255
			}
		}
	}
	return out
}

// rgbOnWhite composites one colour over white. 8-bit non-premultiplied
// colours (PNG palettes with transparency) use the exact 8-bit rule so that
// they agree with the *image.NRGBA path.
func rgbOnWhite(c color.Color) [3]uint8 {
	if n, ok := c.(color.NRGBA); ok {
		return [3]uint8{nrgbaOnWhite(n.R, n.A), nrgbaOnWhite(n.G, n.A), nrgbaOnWhite(n.B, n.A)}
	}
	r, g, b, a := c.RGBA()
	return [3]uint8{onWhite16(r, a), onWhite16(g, a), onWhite16(b, a)}
}

// nrgbaOnWhite rounds c·a/255 + (255-a), exactly in integers.
func nrgbaOnWhite(c, a uint8) uint8 {
	return uint8((uint32(c)*uint32(a) + 255*(255-uint32(a)) + 127) / 255)
}

// onWhite16 composites a premultiplied 16-bit sample over white and rounds
// it to 8 bits (v/257 to nearest; no ties are possible).
func onWhite16(c, a uint32) uint8 {
	v := c + 0xffff - a
	return uint8((v*255 + 32767) / 65535)
}

// ToFloat32 returns img's RGB samples as a row-major height×width×3 slice with
// values v/255 in [0, 1]; alpha is dropped.
func ToFloat32(img *image.RGBA) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]float32, 0, w*h*3)
	for y := 0; y < h; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		for i := 0; i < len(row); i += 4 {
			out = append(out, float32(row[i])/255, float32(row[i+1])/255, float32(row[i+2])/255)
		}
	}
	return out
}

// FromFloat32 builds an opaque image from a row-major height×width×3 slice of
// values in [0, 1]: each value is clamped to [0, 1], scaled by 255 and rounded
// to nearest (NaN becomes 0). It panics if len(data) != width*height*3, which
// is a programming error rather than bad input.
func FromFloat32(data []float32, width, height int) *image.RGBA {
	if width < 0 || height < 0 || len(data) != width*height*3 {
		panic(fmt.Sprintf("imageio.FromFloat32: %d values for %dx%dx3", len(data), width, height))
	}
	out := image.NewRGBA(image.Rect(0, 0, width, height))
	for i, j := 0, 0; i < len(data); i, j = i+3, j+4 {
		out.Pix[j], out.Pix[j+1], out.Pix[j+2], out.Pix[j+3] = quantize(data[i]), quantize(data[i+1]), quantize(data[i+2]), 255
	}
	return out
}

func quantize(v float32) uint8 {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 1:
		return 255
	}
	return uint8(math.Round(float64(v) * 255))
}

// sat8 clamps v to 0..255.
func sat8(v int) uint8 { return uint8(min(max(v, 0), 255)) }
