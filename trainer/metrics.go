package trainer

import "math"

// movingConfusion is a confusion matrix whose counts decay by a constant
// factor at every step, so its mean IoU follows the last few dozen steps.
type movingConfusion struct {
	k     int
	decay float64
	m     []float64 // m[truth*k+pred]
}

func newMovingConfusion(k int, decay float64) *movingConfusion {
	return &movingConfusion{k: k, decay: decay, m: make([]float64, k*k)}
}

// add decays the counts and adds one batch; truth outside 0..k-1 is ignored.
func (c *movingConfusion) add(pred, truth []int32) {
	for i := range c.m {
		c.m[i] *= c.decay
	}
	for i, t := range truth {
		p := pred[i]
		if t < 0 || int(t) >= c.k || p < 0 || int(p) >= c.k {
			continue
		}
		c.m[int(t)*c.k+int(p)]++
	}
}

// meanIoU is the mean over classes seen (in truth or prediction) of
// TP/(TP+FP+FN); ok is false before any labelled pixel was seen.
func (c *movingConfusion) meanIoU() (miou float64, ok bool) {
	if c == nil {
		return 0, false
	}
	var sum float64
	n := 0
	for j := 0; j < c.k; j++ {
		var row, col float64
		for i := 0; i < c.k; i++ {
			row += c.m[j*c.k+i]
			col += c.m[i*c.k+j]
		}
		tp := c.m[j*c.k+j]
		union := row + col - tp
		if union <= 0 {
			continue
		}
		sum += tp / union
		n++
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// psnrOf converts a mean squared error on the [0,1] scale to PSNR in dB,
// capped at 100 dB so that logs stay valid JSON.
func psnrOf(mse float64) float64 {
	if mse <= 1e-10 {
		return 100
	}
	return -10 * math.Log10(mse)
}
