package datapack_test

import (
	"bytes"
	"fmt"
	"image"

	"github.com/semcodec/semcodec/datapack"
)

func Example() {
	w, err := datapack.NewWriter(&datapack.Options{Quality: 95})
	if err != nil {
		panic(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 32, 16))
	labels := image.NewGray(img.Rect) // every pixel class 0
	labels.Pix[0] = datapack.IgnoreLabel
	if err := w.Add(datapack.Sample{Name: "street.png", Classes: "camvid", NumClasses: 11, Image: img, Labels: labels}); err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		panic(err)
	}

	p, err := datapack.Decode(buf.Bytes())
	if err != nil {
		panic(err)
	}
	info := p.Info(0)
	l, _ := p.Labels(0)
	fmt.Println(p.Len(), info.Name, info.Width, info.Height, info.NumClasses, l.Pix[0], l.Pix[1])
	// Output: 1 street.png 32 16 11 255 0
}
