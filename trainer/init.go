package trainer

import (
	"fmt"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/weights"
)

// stateModel marks a Checkpoint made from an exported model file: network
// variables only, at step 0.
const stateModel = "model"

// initCheckpoint reads an exported model file as the starting point of a new
// run: its network variables (float16 kernels widened to float32) and its
// configuration. The optimizer, step counter and random state start fresh.
func initCheckpoint(path string) (*Checkpoint, error) {
	f, err := weights.Read(path)
	if err != nil {
		return nil, &CheckpointError{Path: path, Err: err}
	}
	cfg, err := ConfigOf(f)
	if err != nil {
		return nil, &CheckpointError{Path: path, Err: err}
	}
	if f.Meta.Extra["batchnorm"] == bnFolded {
		return nil, &CheckpointError{Path: path, Err: fmt.Errorf("its BatchNorm is folded into the convolutions; export without --fold-bn to train on")}
	}
	ck := &Checkpoint{Path: path, Meta: CheckpointMeta{State: stateModel, Config: cfg},
		Tensors: make(map[string]*tensors.Tensor, f.Len())}
	for _, name := range f.Names() {
		if strings.HasPrefix(name, weights.FrozenPrefix) {
			continue
		}
		t, _ := f.Tensor(name)
		data, err := t.Float32()
		if err != nil {
			return nil, &CheckpointError{Path: path, Err: fmt.Errorf("tensor %s: %w", name, err)}
		}
		tt := tensors.FromShape(shapes.Make(dtypes.Float32, t.Shape...))
		tensors.MutableFlatData(tt, func(flat []float32) { copy(flat, data) })
		ck.Tensors["/"+name] = tt
	}
	return ck, nil
}
