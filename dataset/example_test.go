package dataset_test

import (
	"fmt"
	"log"

	"github.com/semcodec/semcodec/dataset"
)

// Mixing CamVid's training split with a folder of unlabelled photos: photo
// crops carry only Ignore labels, so they train compression alone.
func ExampleOpen() {
	ds, err := dataset.Open([]string{"camvid:../shared/data/camvid:train", "images:../shared/data/photos"},
		dataset.Options{Batch: 8, Crop: 256, Seed: 1, Flip: true, Loop: true, NumClasses: 11})
	if err != nil {
		log.Fatal(err)
	}
	_, inputs, labels, err := ds.Yield() // images [8,256,256,3] float32, labels [8,256,256] int32
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(inputs[0].Shape(), labels[0].Shape())
}

// Evaluation reads whole images and labels without cropping.
func ExampleSample_Load() {
	samples, err := dataset.List("camvid:../shared/data/camvid:val")
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range samples {
		img, labels, err := s.Load() // labels: one int32 per pixel, -1 = ignore
		if err != nil {
			log.Fatal(err)
		}
		_, _ = img, labels
	}
}
