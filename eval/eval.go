// Package eval measures codecs the way learned-compression papers report
// them: rate-distortion curves (bits per pixel against RGB PSNR and
// MS-SSIM) on an image set, encode and decode time per image, Bjøntegaard
// deltas between curves, and segmentation scores for codecs that also carry a
// semantic map.
//
// Codecs are found by name in a registry (Register, New). JPEG through Go's
// image/jpeg is always present; WebP, JPEG 2000, AVIF, HEIF (x265, our
// stand-in for BPG), JPEG XL and libjpeg-turbo run through their Debian
// command-line tools (scripts/install-baselines.sh) and report an
// *UnavailableError when a tool is missing, so callers can skip them. The
// learned codec plugs in with one Register call.
//
// Conventions follow CompressAI's evaluation (utils/eval_model and
// utils/bench): bpp comes from the real encoded size, 8·bytes/(width·height)
// per image; every figure of a point (bpp, PSNR, MS-SSIM, seconds) is the
// mean over images of the per-image values; PSNR and MS-SSIM are computed on
// 8-bit RGB with data range 255 by package metrics. The JSON results use
// CompressAI's results-file shape (see Curve).
package eval

import (
	"errors"
	"fmt"
)

var (
	// ErrUnknownCodec means no codec is registered under the requested
	// name.
	ErrUnknownCodec = errors.New("eval: unknown codec")
	// ErrNoImages means an image folder holds no PNG or JPEG file.
	ErrNoImages = errors.New("eval: no images found")
	// ErrSizeMismatch means a decoder returned an image whose size differs
	// from the original's.
	ErrSizeMismatch = errors.New("eval: decoded image size differs from the original")
	// ErrBadCurveFile means a reference curve file (CSV or JSON) could not
	// be parsed or lacks the requested curve.
	ErrBadCurveFile = errors.New("eval: bad reference curve file")
)

// UnavailableError means a codec is known but cannot run here, typically
// because its command-line tool is not installed. Harnesses skip such codecs
// with a note instead of failing.
type UnavailableError struct {
	Codec  string
	Reason string
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("eval: codec %s is unavailable: %s", e.Codec, e.Reason)
}

// CodecError reports a codec failure on one image at one quality.
type CodecError struct {
	Codec   string
	Quality int
	Image   string
	Op      string // "prepare", "encode", "decode" or "score"
	Err     error
}

func (e *CodecError) Error() string {
	return fmt.Sprintf("eval: %s %s at quality %d on %s: %v", e.Codec, e.Op, e.Quality, e.Image, e.Err)
}

func (e *CodecError) Unwrap() error { return e.Err }
