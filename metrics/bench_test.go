package metrics

import (
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

// BenchmarkCompareImages times all image metrics on a 768x512 Kodak pair.
func BenchmarkCompareImages(b *testing.B) {
	dir := shareddata.Path(b, "vectors", "metrics")
	ref, err := imageio.ReadImage(filepath.Join(dir, "kodim23_ref.png"))
	if err != nil {
		b.Fatal(err)
	}
	dist, err := imageio.ReadImage(filepath.Join(dir, "kodim23_q40.png"))
	if err != nil {
		b.Fatal(err)
	}
	px := ref.Rect.Dx() * ref.Rect.Dy()
	b.SetBytes(int64(3 * px))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CompareImages(ref, dist); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(px)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mpixel/s")
}
