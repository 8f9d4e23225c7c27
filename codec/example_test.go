package codec_test

import (
	"bytes"
	"fmt"
	"image"
	"log"

	"github.com/semcodec/semcodec/codec"
)

func Example() {
	img := image.NewRGBA(image.Rect(0, 0, 96, 64)) // any image.Image

	// A model exported by `semcodec train` (the embedded default family is
	// used instead when Options.Model is nil).
	m, err := codec.LoadModel("model.smw")
	if err != nil {
		log.Fatal(err)
	}
	var file bytes.Buffer
	if err := codec.Encode(&file, img, &codec.Options{Model: m}); err != nil {
		log.Fatal(err)
	}

	d := codec.Decoder{Models: []*codec.Model{m}}
	res, err := d.Decode(bytes.NewReader(file.Bytes()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Image.Bounds(), len(res.Segmentation.Classes), "classes")

	// Machines that only need the label map skip the image synthesis and
	// read only the first two segments.
	labels, err := d.DecodeSegmentation(bytes.NewReader(file.Bytes()))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(labels.Map.Bounds())
}
