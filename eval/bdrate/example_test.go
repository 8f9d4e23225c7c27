package bdrate_test

import (
	"fmt"

	"github.com/semcodec/semcodec/eval/bdrate"
)

func ExampleRate() {
	ref := []bdrate.Point{{0.13, 27.6}, {0.21, 29.2}, {0.32, 31.0}, {0.48, 32.8}, {0.67, 34.5}}
	// The same qualities at half the rate.
	test := make([]bdrate.Point, len(ref))
	for i, p := range ref {
		test[i] = bdrate.Point{Rate: p.Rate / 2, Quality: p.Quality}
	}
	r, _ := bdrate.Rate(ref, test)
	fmt.Printf("BD-rate %.1f%%\n", r)
	// Output: BD-rate -50.0%
}
