package weights

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DType is the element type of a tensor.
type DType uint8

// Supported element types, named as in safetensors.
const (
	F32 DType = iota + 1 // IEEE 754 binary32
	F16                  // IEEE 754 binary16
	I32                  // signed 32-bit integer
	U16                  // unsigned 16-bit integer
	U8                   // unsigned 8-bit integer
)

var dtypeNames = [...]string{F32: "F32", F16: "F16", I32: "I32", U16: "U16", U8: "U8"}
var dtypeSizes = [...]int{F32: 4, F16: 2, I32: 4, U16: 2, U8: 1}

// String returns the safetensors name of d ("F32", ...).
func (d DType) String() string {
	if d.valid() {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size returns the size of one element in bytes, or 0 for an invalid DType.
func (d DType) Size() int {
	if d.valid() {
		return dtypeSizes[d]
	}
	return 0
}

func (d DType) valid() bool { return d >= F32 && d <= U8 }

// parseDType maps a safetensors dtype name to a DType. Known safetensors types
// this package does not handle give an UnsupportedError.
func parseDType(name, s string) (DType, error) {
	for d := F32; d <= U8; d++ {
		if dtypeNames[d] == s {
			return d, nil
		}
	}
	switch s {
	case "F64", "BF16", "I64", "I16", "I8", "U32", "U64", "BOOL", "F8_E4M3", "F8_E5M2":
		return 0, UnsupportedError(fmt.Sprintf("tensor %q: dtype %q", name, s))
	}
	return 0, FormatError(fmt.Sprintf("tensor %q: unknown dtype %q", name, s))
}

// Tensor is a named, shaped array of little-endian elements.
//
// Tensors returned by Parse share their Data with the parsed byte slice; the
// caller must not modify either.
type Tensor struct {
	Name  string
	DType DType
	Shape []int // empty for a scalar
	Data  []byte
}

// NumElements returns the product of the dimensions (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// numElements returns the element count of shape, or an error if a dimension
// is negative or the count overflows limit.
func numElements(shape []int, limit int64) (int64, error) {
	if len(shape) > MaxRank {
		return 0, FormatError(fmt.Sprintf("rank %d exceeds %d", len(shape), MaxRank))
	}
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, FormatError(fmt.Sprintf("negative dimension in shape %v", shape))
		}
		if d != 0 && n > limit/int64(d) {
			return 0, FormatError(fmt.Sprintf("shape %v too large", shape))
		}
		n *= int64(d)
	}
	return n, nil
}

func newTensor(name string, dt DType, shape []int, n int) (*Tensor, error) {
	count, err := numElements(shape, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	if count != int64(n) {
		return nil, fmt.Errorf("weights: tensor %q: %d values for shape %v", name, n, shape)
	}
	return &Tensor{Name: name, DType: dt, Shape: append([]int(nil), shape...), Data: make([]byte, n*dt.Size())}, nil
}

// NewF32 returns a float32 tensor holding a copy of values.
func NewF32(name string, shape []int, values []float32) (*Tensor, error) {
	t, err := newTensor(name, F32, shape, len(values))
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(v))
	}
	return t, nil
}

// NewF16 returns a float16 tensor holding values rounded to half precision
// (nearest, ties to even). Values beyond ±65504 become ±Inf.
func NewF16(name string, shape []int, values []float32) (*Tensor, error) {
	t, err := newTensor(name, F16, shape, len(values))
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		binary.LittleEndian.PutUint16(t.Data[2*i:], float32ToFloat16(v))
	}
	return t, nil
}

// NewI32 returns an int32 tensor holding a copy of values.
func NewI32(name string, shape []int, values []int32) (*Tensor, error) {
	t, err := newTensor(name, I32, shape, len(values))
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		binary.LittleEndian.PutUint32(t.Data[4*i:], uint32(v))
	}
	return t, nil
}

// NewU16 returns a uint16 tensor holding a copy of values.
func NewU16(name string, shape []int, values []uint16) (*Tensor, error) {
	t, err := newTensor(name, U16, shape, len(values))
	if err != nil {
		return nil, err
	}
	for i, v := range values {
		binary.LittleEndian.PutUint16(t.Data[2*i:], v)
	}
	return t, nil
}

// NewU8 returns a uint8 tensor holding a copy of values.
func NewU8(name string, shape []int, values []uint8) (*Tensor, error) {
	t, err := newTensor(name, U8, shape, len(values))
	if err != nil {
		return nil, err
	}
	copy(t.Data, values)
	return t, nil
}

// Float32 returns the elements as float32. F16 widens exactly; integer types
// convert to the nearest float32.
func (t *Tensor) Float32() ([]float32, error) {
	n, err := t.check()
	if err != nil {
		return nil, err
	}
	out := make([]float32, n)
	d := t.Data
	switch t.DType {
	case F32:
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*i:]))
		}
	case F16:
		for i := range out {
			out[i] = float16ToFloat32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case I32:
		for i := range out {
			out[i] = float32(int32(binary.LittleEndian.Uint32(d[4*i:])))
		}
	case U16:
		for i := range out {
			out[i] = float32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case U8:
		for i := range out {
			out[i] = float32(d[i])
		}
	}
	return out, nil
}

// Int32 returns the elements of an integer tensor (I32, U16 or U8) as int32.
// Float tensors give an error: silently truncating weights is never wanted.
func (t *Tensor) Int32() ([]int32, error) {
	n, err := t.check()
	if err != nil {
		return nil, err
	}
	out := make([]int32, n)
	d := t.Data
	switch t.DType {
	case I32:
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint32(d[4*i:]))
		}
	case U16:
		for i := range out {
			out[i] = int32(binary.LittleEndian.Uint16(d[2*i:]))
		}
	case U8:
		for i := range out {
			out[i] = int32(d[i])
		}
	default:
		return nil, fmt.Errorf("weights: tensor %q is %v, not an integer type", t.Name, t.DType)
	}
	return out, nil
}

// check verifies that Data matches DType and Shape (a Tensor built by hand may
// not) and returns the element count.
func (t *Tensor) check() (int, error) {
	if !t.DType.valid() {
		return 0, fmt.Errorf("weights: tensor %q: invalid dtype %v", t.Name, t.DType)
	}
	n, err := numElements(t.Shape, math.MaxInt32)
	if err != nil {
		return 0, fmt.Errorf("weights: tensor %q: %w", t.Name, err)
	}
	if int64(len(t.Data)) != n*int64(t.DType.Size()) {
		return 0, fmt.Errorf("weights: tensor %q: %d data bytes for %v%v", t.Name, len(t.Data), t.DType, t.Shape)
	}
	return int(n), nil
}

// HasShape reports whether t's shape equals shape.
func (t *Tensor) HasShape(shape ...int) bool {
	if len(t.Shape) != len(shape) {
		return false
	}
	for i := range shape {
		if t.Shape[i] != shape[i] {
			return false
		}
	}
	return true
}
