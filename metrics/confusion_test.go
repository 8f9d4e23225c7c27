package metrics

import (
	"math"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 || (math.IsNaN(a) && math.IsNaN(b)) }

func TestConfusionByHand(t *testing.T) {
	// Rows are truth, columns prediction, worked out by hand:
	//   0: [1 1 0]          row 2, col 2
	//   1: [0 2 0] + 1 out-of-range prediction   row 3, col 3
	//   2: [1 0 1]          row 2, col 1
	// Truth -1 and 3 are ignored.
	truth := []int32{0, 0, 1, 1, 2, -1, 3, 2, 1}
	pred := []int32{0, 1, 1, 1, 0, 2, 0, 2, 7}
	c := NewConfusion(3)
	if err := c.Add(pred, truth); err != nil {
		t.Fatal(err)
	}
	if c.Total() != 7 || c.At(0, 1) != 1 || c.At(2, 0) != 1 || c.At(1, 1) != 2 {
		t.Fatalf("counts wrong: total %d", c.Total())
	}
	for i, want := range []float64{1.0 / 3, 0.5, 0.5} {
		if got := c.IoU()[i]; !near(got, want) {
			t.Errorf("IoU[%d] = %v, want %v", i, got, want)
		}
	}
	if got := c.MeanIoU(); !near(got, 4.0/9) {
		t.Errorf("mIoU = %v, want 4/9", got)
	}
	if got := c.PixelAccuracy(); !near(got, 4.0/7) {
		t.Errorf("pixel accuracy = %v, want 4/7", got)
	}

	// Five classes: truth 3 now counts (predicted 0), and class 4 occurs in
	// neither truth nor prediction, so its IoU is NaN and the mean skips it.
	c = NewConfusion(5)
	c.Add(pred, truth)
	iou := c.IoU()
	want := []float64{1.0 / 4, 0.5, 0.5, 0, math.NaN()} // class 0: TP 1, row 2, col 3
	for i := range want {
		if !near(iou[i], want[i]) {
			t.Errorf("5 classes: IoU[%d] = %v, want %v", i, iou[i], want[i])
		}
	}
	if got := c.MeanIoU(); !near(got, (0.25+0.5+0.5+0)/4) {
		t.Errorf("5 classes: mIoU = %v", got)
	}
	if got := c.PixelAccuracy(); !near(got, 4.0/8) {
		t.Errorf("5 classes: pixel accuracy = %v", got)
	}
}

func TestConfusionEdgeCases(t *testing.T) {
	c := NewConfusion(2)
	if err := c.Add([]int32{0}, []int32{0, 1}); err == nil {
		t.Error("length mismatch accepted")
	}
	if !math.IsNaN(c.MeanIoU()) || !math.IsNaN(c.PixelAccuracy()) {
		t.Error("empty matrix should give NaN")
	}
	if err := c.Add([]int32{1, 1}, []int32{-1, 255}); err != nil || c.Total() != 0 {
		t.Errorf("ignored pixels were counted: %d", c.Total())
	}
	a, b := NewConfusion(2), NewConfusion(2)
	a.Add([]int32{0, 1}, []int32{0, 0})
	b.Add([]int32{1}, []int32{1})
	if err := a.AddConfusion(b); err != nil || a.Total() != 3 || a.At(1, 1) != 1 {
		t.Errorf("AddConfusion: %v, total %d", err, a.Total())
	}
	if err := a.AddConfusion(NewConfusion(3)); err == nil {
		t.Error("adding a matrix of another size succeeded")
	}
	if _, err := a.Merge([]int{0}, 1); err == nil {
		t.Error("short merge map accepted")
	}
	if _, err := a.Merge([]int{0, 2}, 2); err == nil {
		t.Error("out-of-range group accepted")
	}
}

func TestCityscapesCategoryIoU(t *testing.T) {
	if len(CityscapesCategoryOf) != 19 {
		t.Fatalf("%d classes mapped", len(CityscapesCategoryOf))
	}
	truth := []int32{0, 13, 11, 10, 2, 255}
	pred := []int32{1, 14, 13, 10, 8, 3}
	// road->sidewalk and car->truck stay in their category; person->car and
	// building->vegetation cross categories.
	c := NewConfusion(19)
	c.Add(pred, truth)
	got, err := CityscapesCategoryIoU(c)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	// flat, construction, object, nature, sky, human, vehicle
	want := []float64{1, 0, nan, 0, 1, 0, 0.5}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("%s IoU = %v, want %v", CityscapesCategories[i], got[i], want[i])
		}
	}
	if _, err := CityscapesCategoryIoU(NewConfusion(11)); err == nil {
		t.Error("11-class matrix accepted")
	}
}
