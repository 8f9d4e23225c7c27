// Package weights reads and writes semcodec model files (.smw).
//
// A model file uses the safetensors layout (https://github.com/huggingface/safetensors):
// an 8-byte little-endian header length, a JSON header that maps each tensor name
// to its dtype, shape and byte range, and then the raw little-endian tensor data.
// The header's "__metadata__" entry carries the model name, configuration, λ,
// quality index, class names and palette as strings. docs/model-format.md
// describes the format and the naming conventions byte by byte.
//
// The package is pure Go and does not import the ML framework: the codec, the
// trainer's export step and tools all share it. Every read is validated (header
// bounds, offsets, sizes, overlaps, shapes) and bad input gives a *FormatError or
// an *UnsupportedError, never a panic.
//
// A model is identified by the SHA-256 of its file bytes; the first 8 bytes of
// that hash are the model ID written into bitstream headers, so a decoder can
// check that it holds exactly the weights the encoder used.
package weights

import (
	"encoding/hex"
	"errors"
)

// Format constants.
const (
	// FormatName is the value of the "format" metadata key of every model file.
	FormatName = "semcodec-model"
	// FormatVersion is the version this package writes and the newest it reads.
	FormatVersion = 1
	// Extension is the conventional file name extension.
	Extension = ".smw"
	// FrozenPrefix starts the names of tensors that are not network
	// variables: the codec's frozen entropy tables.
	FrozenPrefix = "entropy/"
)

// Limits applied when reading, against hostile or corrupt input.
const (
	// MaxHeaderSize bounds the JSON header; real models need a few tens of KiB.
	MaxHeaderSize = 16 << 20
	// MaxFileSize bounds the files Read and Decode accept.
	MaxFileSize = 2 << 30
	// MaxRank bounds the number of dimensions of a tensor.
	MaxRank = 8
	// MaxTensors bounds the number of tensors in a file.
	MaxTensors = 1 << 16
)

// Metadata keys with a meaning to this package. Other keys are kept in
// Metadata.Extra.
const (
	KeyFormat        = "format"
	KeyFormatVersion = "format_version"
	KeyModel         = "model"
	KeyConfig        = "config"
	KeyLambda        = "lambda"
	KeyQuality       = "quality"
	KeyClasses       = "classes"
	KeyPalette       = "palette"
)

// metadataKey is the reserved safetensors header entry holding string metadata.
const metadataKey = "__metadata__"

// FormatError reports that the input is not a valid model file.
type FormatError string

func (e FormatError) Error() string { return "weights: invalid model file: " + string(e) }

// UnsupportedError reports a valid file that uses a feature or version this
// package does not support.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "weights: unsupported model file: " + string(e) }

// ErrNotFound is returned (wrapped) when a tensor or quality level is missing.
var ErrNotFound = errors.New("weights: not found in model")

// ErrTooLarge is returned when a file exceeds MaxFileSize.
var ErrTooLarge = errors.New("weights: model file too large")

// IDSize is the length of a model ID in bytes.
const IDSize = 8

// ID identifies a model file: the first IDSize bytes of the SHA-256 of its bytes.
type ID [IDSize]byte

// String returns the ID in lower-case hexadecimal.
func (id ID) String() string { return hex.EncodeToString(id[:]) }
