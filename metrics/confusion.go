package metrics

import (
	"fmt"
	"math"
)

// Confusion is a confusion matrix over NumClasses classes: At(t, p) counts
// labelled pixels of true class t predicted as p. The zero value is unusable;
// call NewConfusion.
type Confusion struct {
	k      int
	counts []int64 // k×k, row = truth, column = prediction
	// wrong counts labelled pixels of each true class whose prediction is
	// outside 0..k-1: misses for that class, false positives for none.
	wrong []int64
}

// NewConfusion returns an empty confusion matrix for numClasses classes.
// numClasses must be at least 1 (it panics otherwise: a programming error).
func NewConfusion(numClasses int) *Confusion {
	if numClasses < 1 {
		panic(fmt.Sprintf("metrics.NewConfusion(%d): need at least one class", numClasses))
	}
	return &Confusion{k: numClasses, counts: make([]int64, numClasses*numClasses), wrong: make([]int64, numClasses)}
}

// Add accumulates one label map: pred[i] is the predicted class of pixel i,
// truth[i] its true class. Pixels whose truth is outside 0..numClasses-1 (the
// ignore label: -1, 255, CamVid void 11) are skipped. The slices must have
// equal length.
func (c *Confusion) Add(pred, truth []int32) error {
	if len(pred) != len(truth) {
		return fmt.Errorf("metrics: confusion: %d predictions for %d labels", len(pred), len(truth))
	}
	k := int32(c.k)
	for i, t := range truth {
		if t < 0 || t >= k {
			continue
		}
		if p := pred[i]; p >= 0 && p < k {
			c.counts[int(t)*c.k+int(p)]++
		} else {
			c.wrong[t]++
		}
	}
	return nil
}

// AddConfusion adds the counts of o, which must have as many classes.
func (c *Confusion) AddConfusion(o *Confusion) error {
	if o.k != c.k {
		return fmt.Errorf("metrics: confusion: adding %d classes to %d", o.k, c.k)
	}
	for i, v := range o.counts {
		c.counts[i] += v
	}
	for i, v := range o.wrong {
		c.wrong[i] += v
	}
	return nil
}

// At returns the number of labelled pixels of true class truth predicted as
// pred; 0 for indices out of range.
func (c *Confusion) At(truth, pred int) int64 {
	if truth < 0 || truth >= c.k || pred < 0 || pred >= c.k {
		return 0
	}
	return c.counts[truth*c.k+pred]
}

// Total returns the number of labelled pixels counted.
func (c *Confusion) Total() int64 {
	var n int64
	for _, v := range c.counts {
		n += v
	}
	for _, v := range c.wrong {
		n += v
	}
	return n
}

// IoU returns per-class intersection over union TP/(TP+FP+FN); NaN for a
// class absent from both truth and prediction.
func (c *Confusion) IoU() []float64 {
	out := make([]float64, c.k)
	for i := range out {
		tp := c.counts[i*c.k+i]
		union := c.rowSum(i) + c.colSum(i) - tp
		if union == 0 {
			out[i] = math.NaN()
			continue
		}
		out[i] = float64(tp) / float64(union)
	}
	return out
}

// MeanIoU averages IoU over the classes present in truth or prediction; NaN
// if no labelled pixel was counted.
func (c *Confusion) MeanIoU() float64 { return NaNMean(c.IoU()) }

// PixelAccuracy returns the share of labelled pixels predicted right; NaN if
// none was counted.
func (c *Confusion) PixelAccuracy() float64 {
	total := c.Total()
	if total == 0 {
		return math.NaN()
	}
	var tp int64
	for i := 0; i < c.k; i++ {
		tp += c.counts[i*c.k+i]
	}
	return float64(tp) / float64(total)
}

// Merge returns the confusion matrix of coarser classes: group[i] is the new
// class of class i (len(group) must be NumClasses, values 0..numGroups-1).
func (c *Confusion) Merge(group []int, numGroups int) (*Confusion, error) {
	if len(group) != c.k || numGroups < 1 {
		return nil, fmt.Errorf("metrics: confusion: merge map of %d entries into %d groups for %d classes", len(group), numGroups, c.k)
	}
	for i, g := range group {
		if g < 0 || g >= numGroups {
			return nil, fmt.Errorf("metrics: confusion: class %d mapped to group %d of %d", i, g, numGroups)
		}
	}
	m := NewConfusion(numGroups)
	for t := 0; t < c.k; t++ {
		for p := 0; p < c.k; p++ {
			m.counts[group[t]*numGroups+group[p]] += c.counts[t*c.k+p]
		}
		m.wrong[group[t]] += c.wrong[t]
	}
	return m, nil
}

func (c *Confusion) rowSum(i int) int64 {
	s := c.wrong[i]
	for _, v := range c.counts[i*c.k:][:c.k] {
		s += v
	}
	return s
}

func (c *Confusion) colSum(j int) int64 {
	var s int64
	for i := 0; i < c.k; i++ {
		s += c.counts[i*c.k+j]
	}
	return s
}

// NaNMean is the mean of the values that are not NaN (absent classes), or
// NaN when there are none.
func NaNMean(v []float64) float64 {
	var sum float64
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			sum += x
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// CityscapesCategories names the 7 Cityscapes categories that group the 19
// training classes (the "void" category holds no training class).
var CityscapesCategories = []string{"flat", "construction", "object", "nature", "sky", "human", "vehicle"}

// CityscapesCategoryOf gives the category (index into CityscapesCategories)
// of each of the 19 Cityscapes training classes, by trainId.
var CityscapesCategoryOf = []int{
	0, 0, // road, sidewalk: flat
	1, 1, 1, // building, wall, fence: construction
	2, 2, 2, // pole, traffic light, traffic sign: object
	3, 3, // vegetation, terrain: nature
	4,    // sky
	5, 5, // person, rider: human
	6, 6, 6, 6, 6, 6, // car, truck, bus, train, motorcycle, bicycle: vehicle
}

// CityscapesCategoryIoU returns the IoU of the 7 Cityscapes categories from
// a 19-class confusion matrix: a pixel counts as right when its predicted
// class lies in the true class's category.
func CityscapesCategoryIoU(c *Confusion) ([]float64, error) {
	if c.k != len(CityscapesCategoryOf) {
		return nil, fmt.Errorf("metrics: Cityscapes category IoU needs %d classes, got %d", len(CityscapesCategoryOf), c.k)
	}
	m, err := c.Merge(CityscapesCategoryOf, len(CityscapesCategories))
	if err != nil {
		return nil, err
	}
	return m.IoU(), nil
}
