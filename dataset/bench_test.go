package dataset

import (
	"testing"

	"github.com/semcodec/semcodec/internal/shareddata"
)

// BenchmarkNextCamVid streams batches of 8 random 256×256 crops from the
// CamVid training split, decoding from disk every time.
func BenchmarkNextCamVid(b *testing.B) {
	root := shareddata.Path(b, "data", "camvid")
	d, err := Open([]string{"camvid:" + root + ":train"}, Options{Batch: 8, Crop: 256, Flip: true, Loop: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Next(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(8*b.N)/b.Elapsed().Seconds(), "crops/s")
}
