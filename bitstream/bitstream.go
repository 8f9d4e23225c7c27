// Package bitstream reads and writes semcodec's compressed file format
// (.smc): a small header (model identity, quality, image and latent grid
// sizes) followed by three length-prefixed, CRC-protected segments holding
// the entropy-coded hyper-latent, semantic latent and image latent, in that
// order. docs/bitstream.md describes the format byte by byte.
//
// The order lets a reader stop after the semantic segment: ReadPartial and
// Reader decode the segmentation's inputs without reading, let alone
// checking, the image segment. ReadHeader reads the header alone, like
// image.DecodeConfig.
//
// Every read is validated before anything is allocated: dimensions against
// MaxDimension, segment lengths against a limit, and payload buffers grow
// only as bytes actually arrive, so corrupt or hostile input gives an error,
// never a panic or a huge allocation.
//
// The package is pure Go and does not import the ML framework.
package bitstream

import (
	"errors"
	"fmt"
	"io"
)

// Format constants.
const (
	// Magic starts every file: a byte with the high bit set (catches 7-bit
	// transports, as PNG's does) and "SMC".
	Magic = "\x89SMC"
	// Version is the format version this package writes by default and the
	// newest it reads; MinVersion is the oldest it reads. The container is
	// the same in all; the version tells the codec how it derived the
	// entropy tables, whether the quality has a fraction and whether the
	// image segment starts with a colour transform (docs/bitstream.md,
	// "Versions").
	Version    = 4
	MinVersion = 1
	// Extension is the conventional file name extension.
	Extension = ".smc"
)

// Limits.
const (
	// MaxDimension bounds the image width and height.
	MaxDimension = 16384
	// LatentStride and HyperStride are the downsampling factors from the
	// image to the latent grid and to the hyper-latent grid (package model
	// takes its grid from here).
	LatentStride = 16
	HyperStride  = 64
	// MaxLatentDimension bounds the latent grid's sides: the grid of a
	// MaxDimension image.
	MaxLatentDimension = MaxDimension / LatentStride
	// MaxModelName bounds the model name's length in bytes.
	MaxModelName = 255
	// DefaultMaxSegmentSize is the segment payload limit readers apply unless
	// ReadOptions says otherwise, and the largest payload Write accepts.
	DefaultMaxSegmentSize = 1 << 30
)

// Segment identifies a segment by its kind byte; segments come in this
// order.
type Segment uint8

// Segment kinds.
const (
	SegmentHyper    Segment = 1 // hyper-latent z, on the 1/64 grid
	SegmentSemantic Segment = 2 // semantic part of the latent y
	SegmentImage    Segment = 3 // image part of the latent y
)

func (s Segment) String() string {
	switch s {
	case SegmentHyper:
		return "hyper"
	case SegmentSemantic:
		return "semantic"
	case SegmentImage:
		return "image"
	}
	return fmt.Sprintf("segment(%d)", uint8(s))
}

// Header is the fixed part of a file.
type Header struct {
	// Version is the format version, MinVersion to Version. Readers set it;
	// Write writes Version when it is zero.
	Version uint8
	// ModelName names the model (its configuration and quality), for
	// messages; ModelID identifies the exact weights: the first 8 bytes of
	// the SHA-256 of the model file (weights.ID).
	ModelName string
	ModelID   [8]byte
	// Quality is the model's quality index: its integer part, for a
	// variable-rate model, with QualityFraction/256 added.
	Quality uint8
	// QualityFraction is the quality's fractional part in 256ths (version
	// 3; the byte is reserved and zero in versions 1 and 2).
	QualityFraction uint8
	// Width and Height are the original image size in pixels.
	Width, Height int
	// LatentWidth and LatentHeight are the latent grid's size (1/16 of the
	// padded image). They must cover the image: 16·LatentHeight >= Height.
	LatentWidth, LatentHeight int
}

// hyperCells is the number of latent cells per hyper-latent cell per side.
const hyperCells = HyperStride / LatentStride

// HyperWidth returns the hyper-latent grid's width, ceil(LatentWidth/4).
func (h Header) HyperWidth() int { return (h.LatentWidth + hyperCells - 1) / hyperCells }

// HyperHeight returns the hyper-latent grid's height, ceil(LatentHeight/4).
func (h Header) HyperHeight() int { return (h.LatentHeight + hyperCells - 1) / hyperCells }

// File is a whole compressed file: the header and the three segments'
// payloads (entropy-coded streams whose layout the codec defines).
type File struct {
	Header
	Hyper, Semantic, Image []byte
}

// Segment returns the payload of segment s, or nil for an unknown kind.
func (f *File) Segment(s Segment) []byte {
	switch s {
	case SegmentHyper:
		return f.Hyper
	case SegmentSemantic:
		return f.Semantic
	case SegmentImage:
		return f.Image
	}
	return nil
}

// EncodedSize returns the number of bytes Write produces for f: what counts
// for bits per pixel.
func (f *File) EncodedSize() int64 {
	return int64(headerSize(len(f.ModelName))) +
		3*segmentOverhead + int64(len(f.Hyper)+len(f.Semantic)+len(f.Image))
}

// Layout sizes (docs/bitstream.md).
const (
	fixedHeader     = 4 + 1 + 1 + 1 + 1 + 8 + 2 + 2 + 2 + 2 + 4 // all but the name
	segmentOverhead = 1 + 4 + 4                                 // kind, length, CRC
)

func headerSize(nameLen int) int { return fixedHeader + nameLen }

// FormatError reports input that is not a valid semcodec file.
type FormatError string

func (e FormatError) Error() string { return "bitstream: invalid compressed file: " + string(e) }

// ErrFormat is returned when the input does not start with Magic: it is not
// a semcodec file at all. It is a FormatError.
var ErrFormat error = FormatError("not a semcodec file (bad magic)")

// ErrChecksum is returned (wrapped, naming the header or the segment) when
// a CRC-32 does not match: the file is damaged. It is a FormatError.
var ErrChecksum error = FormatError("checksum mismatch")

// ErrTruncated is io.ErrUnexpectedEOF: readers wrap it, with what they were
// reading, when the input ends before the file does.
var ErrTruncated = io.ErrUnexpectedEOF

// ErrTooLarge is returned (wrapped, with the numbers) when a dimension
// exceeds MaxDimension or a segment its size limit, before anything is
// allocated for it; Write returns it for a File it cannot represent.
var ErrTooLarge = errors.New("bitstream: compressed file over size limits")

// UnsupportedVersionError reports a semcodec file of a format version this
// package cannot read: a valid file, from a newer (or unknown) writer.
type UnsupportedVersionError struct {
	Version uint8
}

func (e UnsupportedVersionError) Error() string {
	return fmt.Sprintf("bitstream: unsupported compressed file version %d (this build reads versions %d to %d)", e.Version, MinVersion, Version)
}
