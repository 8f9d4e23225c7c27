// Package imageio reads and writes the images and label maps semcodec works
// on, and converts between Go images and the float32 tensors the network uses.
//
// # Colour rules
//
// Every image is turned into 8-bit RGB the same way, whether it is read from a
// file (ReadImage, DecodeImage) or already in memory (ToRGB):
//
//   - PNG and JPEG are supported, with 8 or 16 bits per sample, gray,
//     paletted, RGB and RGBA colour types.
//   - Gray images become RGB by copying the gray value into R, G and B.
//   - Alpha is composited on a white background: out = c·a + 255·(1-a), so a
//     fully transparent pixel becomes white. The result is always opaque.
//   - 16-bit samples are rounded to the nearest 8-bit value (v/257).
//   - JPEG YCbCr is converted with Go's standard 8-bit conversion
//     (image/color.YCbCrToRGB).
//
// Images are checked against MaxSide and MaxPixels from their header before
// any pixel memory is allocated.
//
// # Label maps
//
// A label map is an 8-bit gray PNG whose value at each pixel is a class index
// (paletted PNGs are also accepted; their palette indices are the classes).
// CamVid (11 classes, 11 = void) and Cityscapes (19 train classes, 255 =
// ignore) palettes and class names are provided for rendering label maps for
// people: Colorize paints a map, Overlay blends it onto its image.
package imageio

import (
	"errors"
	"fmt"
)

// Limits on image dimensions, checked from the header before decoding.
const (
	MaxSide   = 16384   // pixels along either side
	MaxPixels = 1 << 28 // width × height
)

var (
	// ErrFormat means the data is not a PNG or JPEG image.
	ErrFormat = errors.New("not a PNG or JPEG image")
	// ErrTooLarge means the header declares more than MaxSide pixels along
	// a side or more than MaxPixels in all.
	ErrTooLarge = errors.New("image too large")
	// ErrEmpty means the header declares a zero width or height.
	ErrEmpty = errors.New("image has no pixels")
	// ErrTruncated means the data ended before the image was complete.
	ErrTruncated = errors.New("truncated image data")
	// ErrNotLabelMap means a label file is not an 8-bit gray or paletted PNG.
	ErrNotLabelMap = errors.New("not an 8-bit gray or paletted PNG label map")
)

// FileError reports a failure to read or write the named file. Err is one of
// the Err* values above, or an error from the file system or decoder.
type FileError struct {
	Op   string // "read", "write"
	Path string
	Err  error
}

func (e *FileError) Error() string {
	return fmt.Sprintf("imageio: %s %s: %v", e.Op, e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }
