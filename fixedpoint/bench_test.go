package fixedpoint

import (
	"fmt"
	"testing"
)

// BenchmarkScales times the path for one 768x512 image (z grid 8x12) at the
// widths of the small (Nh=64, M=96+32) and base (Nh=128, M=192+64) configs.
func BenchmarkScales(b *testing.B) {
	for _, c := range []struct{ nh, m int }{{64, 128}, {128, 256}} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("Nh=%d/M=%d/workers=%d", c.nh, c.m, workers), func(b *testing.B) {
				convs := randomModel(1, c.nh, c.m)
				hs, err := NewHyperSynthesis(convs[0], convs[1], convs[2])
				if err != nil {
					b.Fatal(err)
				}
				const h, w = 8, 12
				z := randomZ(2, h*w*c.nh)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := hs.ScalesWorkers(z, h, w, workers); err != nil {
						b.Fatal(err)
					}
				}
				macs := 9 * c.nh * (h*w*4*c.nh + 4*h*w*4*c.nh + 16*h*w*c.m)
				b.ReportMetric(float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
				b.ReportMetric(float64(16*h*w*c.m)*float64(b.N)/b.Elapsed().Seconds(), "scales/s")
			})
		}
	}
}
