package metrics_test

import (
	"fmt"
	"image"

	"github.com/semcodec/semcodec/metrics"
)

func ExampleConfusion() {
	c := metrics.NewConfusion(2)
	// The third pixel's truth is -1 (ignore), so it is not counted.
	c.Add([]int32{0, 1, 1, 1}, []int32{0, 1, -1, 0})
	fmt.Printf("IoU %.2f, mIoU %.3f, accuracy %.3f\n", c.IoU(), c.MeanIoU(), c.PixelAccuracy())
	// Output: IoU [0.50 0.50], mIoU 0.500, accuracy 0.667
}

func ExamplePSNR() {
	a := image.NewGray(image.Rect(0, 0, 4, 4))
	b := image.NewGray(image.Rect(0, 0, 4, 4))
	b.Pix[0] = 16 // one sample of 16 differs by 16: MSE 16
	psnr, _ := metrics.PSNR(a, b)
	same, _ := metrics.PSNR(a, a)
	fmt.Printf("%.2f dB, identical: %v\n", psnr, same)
	// Output: 36.09 dB, identical: +Inf
}

func ExampleBPP() {
	fmt.Println(metrics.BPP(24576, 768, 512)) // 24 KiB for a Kodak image
	// Output: 0.5
}
