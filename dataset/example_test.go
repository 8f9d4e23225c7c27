package dataset_test

import (
	"fmt"
	"log"

	"github.com/semcodec/semcodec/dataset"
)

// Mixing CamVid's training split with a folder of unlabelled photos, as
// `semcodec train --data` does: photo samples have no label file, so they
// train compression alone.
func ExampleListAll() {
	samples, err := dataset.ListAll([]string{"camvid:../shared/data/camvid:train", "images:../shared/data/photos"})
	if err != nil {
		log.Fatal(err)
	}
	labelled := 0
	for _, s := range samples {
		if s.Label != "" {
			labelled++
		}
	}
	fmt.Println(len(samples) > labelled)
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
