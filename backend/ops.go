package backend

import (
	"fmt"
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// builder forwards everything to simplego's builder and supplies the ops
// it lacks. The composed ops are built from simplego ops, so Compile and
// execution are simplego's own.
type builder struct {
	backends.Builder
}

// Pad follows XLA's semantics: interior padding first, then edge padding,
// where a negative edge value removes elements.
func (b *builder) Pad(x, fill backends.Op, axesConfig ...backends.PadAxis) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	fillShape, err := b.OpShape(fill)
	if err != nil {
		return nil, err
	}
	if !fillShape.IsScalar() || fillShape.DType != shape.DType {
		return nil, fmt.Errorf("backend: semcpu Pad: fill value must be a %s scalar, got %s", shape.DType, fillShape)
	}
	if len(axesConfig) > shape.Rank() {
		return nil, fmt.Errorf("backend: semcpu Pad: %d axes configured for operand %s", len(axesConfig), shape)
	}
	for axis, cfg := range axesConfig {
		if cfg.Interior < 0 {
			return nil, fmt.Errorf("backend: semcpu Pad: negative interior padding %d on axis %d", cfg.Interior, axis)
		}
		if x, err = b.padInterior(x, fill, axis, cfg.Interior); err != nil {
			return nil, err
		}
		if x, err = b.padEdge(x, fill, axis, cfg.Start, true); err != nil {
			return nil, err
		}
		if x, err = b.padEdge(x, fill, axis, cfg.End, false); err != nil {
			return nil, err
		}
	}
	return x, nil
}

// padInterior inserts n fill values between neighbours along axis: each
// element gets a block of n fill values appended on a new axis, the result
// is flattened back, and the trailing block is cut.
func (b *builder) padInterior(x, fill backends.Op, axis, n int) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	d := shape.Dimensions[axis]
	if n == 0 || d <= 1 {
		return x, nil
	}
	split := slices.Insert(slices.Clone(shape.Dimensions), axis+1, 1)
	xs, err := b.Reshape(x, split...)
	if err != nil {
		return nil, err
	}
	blockDims := slices.Clone(split)
	blockDims[axis+1] = n
	block, err := b.BroadcastInDim(fill, shapes.Make(shape.DType, blockDims...), nil)
	if err != nil {
		return nil, err
	}
	joined, err := b.Concatenate(axis+1, xs, block)
	if err != nil {
		return nil, err
	}
	flat := slices.Clone(shape.Dimensions)
	flat[axis] = d * (n + 1)
	if joined, err = b.Reshape(joined, flat...); err != nil {
		return nil, err
	}
	return b.sliceAxis(joined, axis, 0, d+(d-1)*n)
}

// padEdge adds (n > 0) or removes (n < 0) n elements at the start or end
// of axis.
func (b *builder) padEdge(x, fill backends.Op, axis, n int, atStart bool) (backends.Op, error) {
	if n == 0 {
		return x, nil
	}
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	d := shape.Dimensions[axis]
	if n < 0 {
		if -n > d {
			return nil, fmt.Errorf("backend: semcpu Pad: cannot remove %d elements from axis %d of %s", -n, axis, shape)
		}
		if atStart {
			return b.sliceAxis(x, axis, -n, d)
		}
		return b.sliceAxis(x, axis, 0, d+n)
	}
	blockDims := slices.Clone(shape.Dimensions)
	blockDims[axis] = n
	block, err := b.BroadcastInDim(fill, shapes.Make(shape.DType, blockDims...), nil)
	if err != nil {
		return nil, err
	}
	if d == 0 {
		return block, nil
	}
	if atStart {
		return b.Concatenate(axis, block, x)
	}
	return b.Concatenate(axis, x, block)
}

func (b *builder) sliceAxis(x backends.Op, axis, start, limit int) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	if start == 0 && limit == shape.Dimensions[axis] {
		return x, nil
	}
	rank := shape.Rank()
	starts, limits, strides := make([]int, rank), slices.Clone(shape.Dimensions), make([]int, rank)
	for i := range strides {
		strides[i] = 1
	}
	starts[axis], limits[axis] = start, limit
	return b.Slice(x, starts, limits, strides)
}

// reverseBySlices is the longest axis Reverse builds from slices.
const reverseBySlices = 16

// Reverse reverses each listed axis: short ones by slicing, longer ones by
// gathering with the indices n-1, ..., 0.
func (b *builder) Reverse(x backends.Op, axes ...int) (backends.Op, error) {
	shape, err := b.OpShape(x)
	if err != nil {
		return nil, err
	}
	rank := shape.Rank()
	seen := make([]bool, rank)
	for _, axis := range axes {
		if axis < 0 || axis >= rank {
			return nil, fmt.Errorf("backend: semcpu Reverse: axis %d out of range for %s", axis, shape)
		}
		if seen[axis] {
			return nil, fmt.Errorf("backend: semcpu Reverse: axis %d listed twice", axis)
		}
		seen[axis] = true
		if x, err = b.reverseAxis(x, shape, axis); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func (b *builder) reverseAxis(x backends.Op, shape shapes.Shape, axis int) (backends.Op, error) {
	n := shape.Dimensions[axis]
	if n <= 1 {
		return x, nil
	}
	if n <= reverseBySlices {
		// Short axes (the spatial axes of kernels, which GoMLX's
		// convolution gradient reverses): n slices concatenated in reverse
		// order copy whole blocks, where Gather goes element by element.
		parts := make([]backends.Op, n)
		for i := range n {
			p, err := b.sliceAxis(x, axis, n-1-i, n-i)
			if err != nil {
				return nil, err
			}
			parts[i] = p
		}
		return b.Concatenate(axis, parts...)
	}
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(n - 1 - i)
	}
	indices, err := b.Constant(idx, n, 1)
	if err != nil {
		return nil, err
	}
	// The gathered axis (the indices' batch axis) lands where the operand
	// axis was; every other operand axis is a full-size slice axis.
	offsetAxes := make([]int, 0, shape.Rank()-1)
	sliceSizes := slices.Clone(shape.Dimensions)
	sliceSizes[axis] = 1
	for i := range shape.Rank() {
		if i != axis {
			offsetAxes = append(offsetAxes, i)
		}
	}
	return b.Gather(x, indices, 1, offsetAxes, []int{axis}, []int{axis}, sliceSizes, false)
}

// ConvGeneral fills empty stride, padding and dilation lists (which GoMLX's
// convolution gradients pass) with their neutral values before calling
// simplego.
func (b *builder) ConvGeneral(input, kernel backends.Op, axes backends.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (backends.Op, error) {
	n := len(axes.InputSpatial)
	ones := func(s []int) []int {
		if len(s) != 0 {
			return s
		}
		s = make([]int, n)
		for i := range s {
			s[i] = 1
		}
		return s
	}
	if len(paddings) == 0 {
		paddings = make([][2]int, n)
	}
	return b.Builder.ConvGeneral(input, kernel, axes, ones(strides), paddings, ones(inputDilations),
		ones(kernelDilations), channelGroupCount, batchGroupCount)
}
