// Package codec is semcodec's public API: it compresses an image into one
// entropy-coded bitstream (.smc) from which a decoder rebuilds both the
// picture and its per-pixel semantic segmentation, in the shape of Go's
// image codecs (Encode, Decode, DecodeConfig).
//
// The pipeline follows the seed paper's Figure 1 (a mutual enhancement
// network on a Ballé et al. 2018 scale hyperprior):
//
//	encoder.go  image → pad to 64 → analysis (GoMLX, on tiles: tile.go) → y = [y_img, y_sem], z
//	            → round → z coded with the frozen factorized tables
//	            → scales of y from the fixed-point hyper-synthesis (package fixedpoint)
//	            → y_sem and y_img rANS-coded with the Gaussian tables (package entropy)
//	            → container (package bitstream)
//	decoder.go  the reverse, the synthesis also on tiles; DecodeSegmentation
//	            stops after the semantic segment and never runs the image synthesis.
//
// The entropy parameters come from integer arithmetic, so a file encoded on
// one machine, backend or GOMAXPROCS setting decodes bit-exactly on any other;
// the analysis and synthesis transforms stay in float.
//
// Models are exported .smw files (package weights, docs/model-format.md):
// export.go writes them from a trained GoMLX context (Export) and freezes the
// hyper-latent's entropy tables into them (Freeze). The default models are
// registered by package zoo when a program imports it (RegisterDefaults);
// Options.Model and Decoder.Models take others, e.g. loaded with LoadModel.
package codec

import (
	"errors"
	"image"
	"image/color"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// Limits.
const (
	// MaxDimension is the largest width or height the format stores.
	MaxDimension = bitstream.MaxDimension
	// DefaultMaxPixels bounds the images Decode reconstructs unless
	// Decoder.MaxPixels says otherwise, and those Encode accepts; it admits
	// 16384x16384. The networks run on tiles, so their memory does not grow
	// with the image, but a header alone can claim any size and the
	// whole-image buffers still do: about 9 bytes per pixel for the decoded
	// images and label map (2.3 GiB at this limit) plus about 2 per pixel
	// for the latents, allocated once the header and hyper segment are read.
	DefaultMaxPixels = 1 << 28
	// PadMultiple is the multiple the encoder pads images to (by repeating
	// the last row and column) before the analysis transform.
	PadMultiple = model.PadMultiple
)

// Errors. Bad input data gives a FormatError (from this package, bitstream,
// entropy or weights) or one of the errors below; each package prefixes its
// own ("codec: ", "bitstream: ", ...).
var (
	// ErrNoModel is returned when no model is available for the requested
	// quality: none embedded in this build and none given.
	ErrNoModel = errors.New("codec: no model available")
	// ErrUnknownModel is returned when a file was made with a model the
	// decoder does not have (compared by model ID).
	ErrUnknownModel = errors.New("codec: file needs a model that is not available")
	// ErrNoSegmentation is returned by DecodeSegmentation for a file whose
	// model has no semantic branch.
	ErrNoSegmentation = errors.New("codec: file carries no segmentation")
	// ErrTooLarge is returned when an image exceeds MaxDimension or a
	// decoder's pixel limit.
	ErrTooLarge = errors.New("codec: image too large")
	// ErrQuality is returned for a quality the model cannot code at.
	ErrQuality = errors.New("codec: quality not available")
	// ErrEmpty is returned for an image with no pixels.
	ErrEmpty = errors.New("codec: empty image")
)

// FormatError reports a file that is well formed at the container level but
// whose content is inconsistent with its model (e.g. a latent grid that does
// not match the image size, or a corrupt entropy-coded segment).
type FormatError string

func (e FormatError) Error() string { return "codec: invalid compressed file: " + string(e) }

// Options configures Encode. The zero value and nil mean the defaults.
type Options struct {
	// Quality selects the rate (1 = lowest): a level of the embedded
	// model family, or any value from 1 to Levels for a variable-rate
	// model (stored to 1/256); 0 means DefaultQuality, or the nearest
	// level available. A fixed-rate Model ignores it.
	Quality float64
	// Model encodes with this model instead of the embedded family.
	Model *Model
	// Tile is the size in pixels of the square tiles the analysis runs on
	// (a multiple of 64); 0 means DefaultTile, and a negative value or one
	// at least the image's size one tile for the whole image. Peak memory
	// grows with the tile, not the image; the latents do not depend on it
	// beyond float rounding (an element may round the other way where its
	// value is within rounding of a .5 boundary).
	Tile int
}

// DefaultQuality is the quality Encode uses when Options.Quality is 0: the
// middle of the shipped family's eight levels (λ 0.0067, about 0.5 bpp on
// Kodak), the trade-off quality 3 of the six-level family before it had.
const DefaultQuality = 5

// Decoder holds decoding settings; its zero value decodes with the embedded
// models and the default limits.
type Decoder struct {
	// Models are the models a file may name, matched by model ID before the
	// embedded family is consulted.
	Models []*Model
	// NoEnhance skips the post-enhancement module: Decoded.Image is then the
	// plain synthesis output.
	NoEnhance bool
	// SkipPlain leaves Decoded.Plain nil when Image is the enhanced picture,
	// saving 4 bytes per pixel (a quarter of a GiB at 16384x4096).
	SkipPlain bool
	// MaxPixels bounds width×height; 0 means DefaultMaxPixels.
	MaxPixels int64
	// Tile is the size in pixels of the tiles the synthesis runs on, as
	// Options.Tile.
	Tile int
}

// Decoded is a decoded file.
type Decoded struct {
	// Image is the reconstruction: the enhanced one when the model has a
	// post-enhancement module and Decoder.NoEnhance is false, else Plain.
	Image *image.RGBA
	// Plain is the image synthesis output before enhancement (nil with
	// Decoder.SkipPlain when Image is enhanced).
	Plain *image.RGBA
	// Segmentation holds the label map; nil for a model without a semantic
	// branch.
	Segmentation *Labels
	Config       Config
}

// Labels is a decoded segmentation.
type Labels struct {
	// Map holds one class index per pixel (0..len(Classes)-1).
	Map     *image.Gray
	Classes []string
	// Palette gives a display colour per class.
	Palette color.Palette
	Config  Config
}

// Config describes a compressed file from its header.
type Config struct {
	Width, Height int
	// Model is the model name, ModelID the identity of its exact weights.
	Model   string
	ModelID weights.ID
	// Quality is the quality index; a variable-rate model's may have a
	// fraction (in 256ths).
	Quality float64
	// LatentWidth and LatentHeight are the latent grid (1/16 of the padded image).
	LatentWidth, LatentHeight int
	// FormatVersion is the file's format version (this build writes 2 for
	// fixed-rate models, bitstream.Version for variable-rate ones).
	FormatVersion int
}

// Info is a compressed file's header plus its sizes, as `semcodec info`
// prints them.
type Info struct {
	Config
	// Bytes is the file size; BPP is bits per original pixel.
	Bytes int64
	BPP   float64
	// Segments are the payload sizes of the three segments in bytes.
	Segments SegmentSizes
}

// SegmentSizes holds the entropy-coded payload size of each segment.
type SegmentSizes struct {
	Hyper, Semantic, Image int
}
