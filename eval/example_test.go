package eval_test

import (
	"fmt"
	"image"

	"github.com/semcodec/semcodec/eval"
)

// rawCodec stores pixels uncompressed: 24 bits per pixel, lossless.
type rawCodec struct{}

func (rawCodec) Name() string        { return "raw" }
func (rawCodec) Description() string { return "uncompressed RGB" }
func (rawCodec) Qualities() []int    { return []int{0} }

func (rawCodec) Encode(img *image.RGBA, _ int) ([]byte, error) {
	b := img.Bounds()
	out := []byte{byte(b.Dx() >> 8), byte(b.Dx()), byte(b.Dy() >> 8), byte(b.Dy())}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.RGBAAt(x, y)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return out, nil
}

func (rawCodec) Decode(data []byte) (*image.RGBA, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("raw: short header")
	}
	w, h := int(data[0])<<8|int(data[1]), int(data[2])<<8|int(data[3])
	if len(data) != 4+3*w*h {
		return nil, fmt.Errorf("raw: %d bytes for %dx%d", len(data), w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		copy(img.Pix[4*i:], data[4+3*i:4+3*i+3])
		img.Pix[4*i+3] = 255
	}
	return img, nil
}

// Plugging a codec into the harness takes one Register call in an init
// function; `semcodec eval compression --codecs raw` then measures it.
func init() {
	eval.Register("raw", func(eval.Options) (eval.Codec, error) { return rawCodec{}, nil })
}

func ExampleRegister() {
	c, err := eval.New("raw", eval.Options{})
	if err != nil {
		panic(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	data, _ := c.Encode(img, 0)
	fmt.Printf("%s: %d bytes, %.3f bpp\n", c.Name(), len(data), 8*float64(len(data))/(16*16))
	// Output: raw: 772 bytes, 24.125 bpp
}
