// Package datapack stores a training set (images, optional label maps) as one
// compact, checksummed file that can travel with a training run to another
// machine. CamVid train+val plus the shared photos shrink from about 190 MB of
// PNG to about 46 MiB.
//
// # Format (version 1)
//
// All integers are little-endian.
//
//	offset 0   magic "SMPK"
//	offset 4   uint16 version (1)
//	offset 6   uint16 flags (0)
//	offset 8   uint32 index length L in bytes
//	offset 12  uint32 CRC-32 (IEEE) of the index
//	offset 16  index: L bytes of UTF-8 JSON (see indexJSON)
//	offset 16+L data: the blobs of every entry, back to back, in index order
//
// Each entry has three image blobs and, when labelled, one label blob:
//
//   - The image is converted to Y, Cb, Cr with the JFIF full-range 8-bit
//     transform (image/color.RGBToYCbCr) and each plane is stored as a
//     baseline grayscale JPEG. Storing the planes separately keeps chroma at
//     full resolution (4:4:4); Go's colour JPEG encoder always subsamples
//     chroma 4:2:0, which at the same file size costs about 1.6 dB PSNR.
//   - Labels are an 8-bit gray PNG holding the class index per pixel, 0..K-1,
//     or IgnoreLabel for pixels that carry no class (CamVid void, Cityscapes
//     ignore). They are lossless.
//
// Every blob carries a CRC-32, checked when the pack is opened, and the blobs
// must tile the data area exactly, so truncation, extension or a flipped byte
// anywhere is reported as a FormatError rather than training on bad data.
package datapack

import (
	"errors"
	"fmt"
)

// Magic opens every pack file.
const Magic = "SMPK"

// Version is the format version this package writes and reads.
const Version = 1

// IgnoreLabel marks a pixel without a class in a stored label map.
const IgnoreLabel = 255

// Defaults and limits.
const (
	// DefaultQuality is the luma JPEG quality. With chroma at
	// DefaultQuality-8 it packs CamVid train+val and the shared photos into
	// about 46 MiB at about 40.6 dB PSNR (see docs/training.md).
	DefaultQuality = 93
	// DefaultChromaDrop is how much lower than the luma quality the chroma
	// planes are coded when Options.ChromaQuality is 0: chroma errors cost
	// less PSNR per byte saved than luma errors.
	DefaultChromaDrop = 8
	// DefaultMaxBytes is the size budget of `semcodec data pack`: small
	// enough to travel with a remote training run.
	DefaultMaxBytes = 48 << 20

	headerSize    = 16
	maxIndexBytes = 64 << 20
	maxEntries    = 1 << 20
	maxSide       = 16384
	maxPixels     = 1 << 28
	maxClasses    = 255 // IgnoreLabel is reserved
)

var (
	// ErrTooLarge means a pack would exceed Options.MaxBytes.
	ErrTooLarge = errors.New("datapack: data pack exceeds its size budget")
	// ErrDuplicate means two samples were added under the same name.
	ErrDuplicate = errors.New("datapack: duplicate sample name in data pack")
	// ErrIndex means an entry index is out of range.
	ErrIndex = errors.New("datapack: data pack entry index out of range")
)

// FormatError reports a pack that is not valid: bad magic, bad checksum,
// truncated or inconsistent data.
type FormatError string

func (e FormatError) Error() string { return "datapack: invalid data pack: " + string(e) }

// UnsupportedError reports a valid pack this package cannot read, such as a
// newer version.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "datapack: unsupported data pack: " + string(e) }

// SampleError reports a sample that cannot be packed (bad labels, bad size).
type SampleError struct {
	Name string
	Err  error
}

func (e *SampleError) Error() string {
	return fmt.Sprintf("datapack: data pack sample %s: %v", e.Name, e.Err)
}
func (e *SampleError) Unwrap() error { return e.Err }

// Info describes one entry of a pack.
type Info struct {
	Name       string // unique name, e.g. "camvid/train/0001TP_006690.png"
	Classes    string // class set of the labels ("camvid", "cityscapes"), "" when unlabelled
	NumClasses int    // K: labels are 0..K-1 or IgnoreLabel; 0 when unlabelled
	Width      int
	Height     int
}

// Labelled reports whether the entry has a label map.
func (i Info) Labelled() bool { return i.NumClasses > 0 }

// blob locates one stored stream inside the data area.
type blob struct {
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	CRC32  uint32 `json:"crc32"`
}

// entryJSON is one entry of the index.
type entryJSON struct {
	Name       string `json:"name"`
	Classes    string `json:"classes,omitempty"`
	NumClasses int    `json:"num_classes,omitempty"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	// Blobs are Y, Cb, Cr JPEG planes, then the label PNG when labelled.
	Blobs []blob `json:"blobs"`
}

// indexJSON is the pack index.
type indexJSON struct {
	Quality       int         `json:"quality"`
	ChromaQuality int         `json:"chroma_quality"`
	Entries       []entryJSON `json:"entries"`
}
