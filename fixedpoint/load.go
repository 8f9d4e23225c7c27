package fixedpoint

import (
	"fmt"

	"github.com/semcodec/semcodec/weights"
)

// Load builds the fixed-point hyper-synthesis from a model file, reading the
// kernels "<scope>/{up1,up2,out}/weights" [3,3,in,out] and their "biases"
// (scope is normally "hyper_synthesis"). F16 weights are widened exactly.
func Load(f *weights.File, scope string) (*HyperSynthesis, error) {
	var convs [3]Conv
	for i, layer := range []string{"up1", "up2", "out"} {
		name := scope + "/" + layer
		wt, err := f.Tensor(name + "/weights")
		if err != nil {
			return nil, err
		}
		if len(wt.Shape) != 4 {
			return nil, fmt.Errorf("%w: %s/weights has shape %v, want [kh,kw,in,out]", ErrShape, name, wt.Shape)
		}
		c := Conv{KH: wt.Shape[0], KW: wt.Shape[1], In: wt.Shape[2], Out: wt.Shape[3]}
		if c.Weights, err = wt.Float32(); err != nil {
			return nil, err
		}
		if c.Biases, err = f.Float32(name+"/biases", c.Out); err != nil {
			return nil, err
		}
		convs[i] = c
	}
	return NewHyperSynthesis(convs[0], convs[1], convs[2])
}
