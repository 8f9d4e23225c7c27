package datapack

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
)

// encodePlanes splits img into full-resolution Y, Cb and Cr planes and codes
// each as a grayscale JPEG (luma at quality q, chroma at cq).
func encodePlanes(img *image.RGBA, q, cq int) ([3][]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var planes [3]*image.Gray
	for k := range planes {
		planes[k] = image.NewGray(image.Rect(0, 0, w, h))
	}
	for y := 0; y < h; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, b.Min.Y+y):]
		for x := 0; x < w; x++ {
			p := row[4*x : 4*x+3 : 4*x+3]
			yy, cb, cr := color.RGBToYCbCr(p[0], p[1], p[2])
			i := y*w + x
			planes[0].Pix[i], planes[1].Pix[i], planes[2].Pix[i] = yy, cb, cr
		}
	}
	var out [3][]byte
	for k, pl := range planes {
		quality := q
		if k > 0 {
			quality = cq
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, pl, &jpeg.Options{Quality: quality}); err != nil {
			return out, err
		}
		out[k] = buf.Bytes()
	}
	return out, nil
}

// decodePlane decodes one grayscale JPEG plane that must be w×h. The header
// is checked before any pixels are allocated.
func decodePlane(data []byte, w, h int) (*image.Gray, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, FormatError(fmt.Sprintf("plane header: %v", err))
	}
	if cfg.Width != w || cfg.Height != h || cfg.ColorModel != color.GrayModel {
		return nil, FormatError(fmt.Sprintf("plane is %dx%d %T, want %dx%d gray", cfg.Width, cfg.Height, cfg.ColorModel, w, h))
	}
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, FormatError(fmt.Sprintf("plane: %v", err))
	}
	g, ok := m.(*image.Gray)
	if !ok || g.Bounds().Dx() != w || g.Bounds().Dy() != h {
		return nil, FormatError("plane did not decode to a gray image of the indexed size")
	}
	return g, nil
}

// decodePlanes rebuilds the RGB image from its three planes.
func decodePlanes(data [3][]byte, w, h int) (*image.RGBA, error) {
	var planes [3]*image.Gray
	for k := range planes {
		g, err := decodePlane(data[k], w, h)
		if err != nil {
			return nil, err
		}
		planes[k] = g
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		// The JPEG decoder pads its buffers to whole blocks, so rows are
		// addressed through each plane's own stride.
		py := planes[0].Pix[planes[0].PixOffset(planes[0].Rect.Min.X, planes[0].Rect.Min.Y+y):]
		pcb := planes[1].Pix[planes[1].PixOffset(planes[1].Rect.Min.X, planes[1].Rect.Min.Y+y):]
		pcr := planes[2].Pix[planes[2].PixOffset(planes[2].Rect.Min.X, planes[2].Rect.Min.Y+y):]
		row := out.Pix[y*out.Stride:]
		for x := 0; x < w; x++ {
			r, g, b := color.YCbCrToRGB(py[x], pcb[x], pcr[x])
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = r, g, b, 255
		}
	}
	return out, nil
}
