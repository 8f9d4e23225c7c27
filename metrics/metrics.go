// Package metrics measures image quality (MSE, PSNR, SSIM, MS-SSIM), rate
// (bits per pixel) and segmentation quality (confusion matrix, IoU, pixel
// accuracy, Cityscapes category IoU).
//
// # Image metrics
//
// All image metrics work on 8-bit RGB values with data range 255, in float64.
// Inputs of any colour model are first converted with imageio.ToRGB (gray to
// RGB, alpha composited on white). The definitions follow
// ../shared/vectors/metrics/README.md, and the tests match its reference
// values:
//
//   - MSE: mean squared error over all pixels and the three channels.
//   - Channel bias: per channel R, G, B, the mean over pixels of dist − ref
//     in 8-bit levels (a decoded image 10 levels too blue on average has
//     +10 in B); a colour cast that MSE and PSNR do not show by sign.
//   - PSNR: 10·log10(255²/MSE) in dB. Identical images give +Inf (JSON
//     writers should emit null for it).
//   - MS-SSIM: the multi-scale SSIM used by learned-compression benchmarks
//     (pytorch_msssim / CompressAI): 5 scales with weights 0.0448, 0.2856,
//     0.3001, 0.2363, 0.1333; an 11-tap Gaussian window (σ = 1.5) applied
//     separably with "valid" borders; K1 = 0.01, K2 = 0.03; 2×2 average
//     pooling between scales, an odd side padded with one zero row or column
//     in front (counted in the average); contrast-structure terms and the
//     last scale's SSIM clamped at 0; computed per channel, then averaged
//     over R, G, B. Matches the reference to 1e-9 or better. Each side must
//     be at least MinMSSSIMSide pixels, so that the coarsest scale still holds
//     one window. Identical images give exactly 1.
//   - SSIM: single-scale SSIM as scikit-image's structural_similarity with
//     gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
//     data_range=255: the same 11-tap window, and the mean of the SSIM map
//     over the positions where the window fits entirely inside the image
//     (scikit-image filters with reflected borders but then crops 5 pixels
//     from each side, which leaves exactly those positions), averaged over
//     channels. Each side must be at least MinSSIMSide pixels.
//
// # Segmentation metrics
//
// Confusion accumulates a confusion matrix over any number of label maps.
// Truth values outside 0..K-1 are ignored; a prediction outside 0..K-1 on a
// labelled pixel counts as wrong for the true class. IoU of class c is
// TP/(TP+FP+FN); mean IoU averages over the classes that occur in the truth
// or the predictions of labelled pixels (a class absent from both has NaN IoU
// and is left out). Pixel accuracy is the share of labelled pixels predicted
// right.
package metrics

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/semcodec/semcodec/imageio"
)

// DataRange is the peak value of the 8-bit samples the image metrics use.
const DataRange = 255

var (
	// ErrSizeMismatch means the two images do not have the same size.
	ErrSizeMismatch = errors.New("metrics: images differ in size")
	// ErrTooSmall means an image is too small for the window of SSIM or for
	// the five scales of MS-SSIM.
	ErrTooSmall = errors.New("metrics: image too small")
	// ErrEmpty means an image has no pixels.
	ErrEmpty = errors.New("metrics: image has no pixels")
)

// ImageResult holds every image metric of one distorted image against its
// reference. PSNR is +Inf for identical images. SSIM and MSSSIM are NaN when
// the image is too small for them (see MinSSIMSide, MinMSSSIMSide).
type ImageResult struct {
	MSE, PSNR, MSSSIM, SSIM float64
	// ChannelBias is, for R, G and B, the mean over pixels of dist − ref
	// in 8-bit levels: positive where the distorted image is too bright in
	// that channel.
	ChannelBias   [3]float64
	Width, Height int
}

// CompareImages computes all image metrics of dist against ref. It fails only
// when the sizes differ or the images are empty; a metric the size does not
// allow is NaN instead.
func CompareImages(ref, dist image.Image) (ImageResult, error) {
	p, err := newPair(ref, dist)
	if err != nil {
		return ImageResult{}, err
	}
	r := ImageResult{Width: p.w, Height: p.h}
	r.MSE, r.ChannelBias = p.errorMoments()
	r.PSNR = psnrOf(r.MSE)
	r.SSIM, r.MSSSIM = math.NaN(), math.NaN()
	switch {
	case p.w >= MinMSSSIMSide && p.h >= MinMSSSIMSide:
		// MS-SSIM's finest scale is SSIM: compute it once.
		both := p.perChannel2(func(x, y []float64) (float64, float64) { return msssimChannel(x, y, p.w, p.h) })
		r.MSSSIM, r.SSIM = both[0], both[1]
	case p.w >= MinSSIMSide && p.h >= MinSSIMSide:
		r.SSIM, _ = p.ssim()
	}
	return r, nil
}

// MSE returns the mean squared error over all pixels and the three channels.
func MSE(ref, dist image.Image) (float64, error) {
	p, err := newPair(ref, dist)
	if err != nil {
		return 0, err
	}
	return p.mse(), nil
}

// PSNR returns 10·log10(255²/MSE) in dB, or +Inf for identical images.
func PSNR(ref, dist image.Image) (float64, error) {
	mse, err := MSE(ref, dist)
	if err != nil {
		return 0, err
	}
	return psnrOf(mse), nil
}

// PSNRFromMSE converts a mean squared error on 8-bit samples into PSNR.
func PSNRFromMSE(mse float64) float64 { return psnrOf(mse) }

func psnrOf(mse float64) float64 {
	if mse == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(DataRange*DataRange/mse)
}

// BPP returns bits per pixel for a payload of totalBytes bytes describing a
// width×height image; NaN when the image has no pixels.
func BPP(totalBytes int64, width, height int) float64 {
	if width <= 0 || height <= 0 {
		return math.NaN()
	}
	return float64(totalBytes) * 8 / (float64(width) * float64(height))
}

// pair holds two images as 8-bit RGB with bounds at the origin.
type pair struct {
	a, b *image.RGBA
	w, h int
}

func newPair(ref, dist image.Image) (pair, error) {
	if ref == nil || dist == nil {
		return pair{}, ErrEmpty
	}
	rb, db := ref.Bounds(), dist.Bounds()
	if rb.Dx() != db.Dx() || rb.Dy() != db.Dy() {
		return pair{}, fmt.Errorf("%w: %dx%d vs %dx%d", ErrSizeMismatch, rb.Dx(), rb.Dy(), db.Dx(), db.Dy())
	}
	if rb.Empty() {
		return pair{}, ErrEmpty
	}
	return pair{a: asRGB(ref), b: asRGB(dist), w: rb.Dx(), h: rb.Dy()}, nil
}

// asRGB avoids a copy for images that already follow imageio's rules.
func asRGB(img image.Image) *image.RGBA {
	if m, ok := img.(*image.RGBA); ok && m.Rect.Min == (image.Point{}) && m.Opaque() {
		return m
	}
	return imageio.ToRGB(img)
}

// mse returns the mean squared error over all pixels and channels.
func (p pair) mse() float64 {
	mse, _ := p.errorMoments()
	return mse
}

// errorMoments returns the mean squared error over all pixels and channels
// and the mean signed error b − a per channel. Both sums are exact in
// integers, so PSNR carries no rounding beyond the final division and
// logarithm, and the bias none beyond its division.
func (p pair) errorMoments() (mse float64, bias [3]float64) {
	var sq int64
	var sum [3]int64
	for y := 0; y < p.h; y++ {
		ra := p.a.Pix[y*p.a.Stride:][:4*p.w]
		rb := p.b.Pix[y*p.b.Stride:][:4*p.w]
		for i := 0; i < len(ra); i += 4 {
			for c := 0; c < 3; c++ {
				d := int64(rb[i+c]) - int64(ra[i+c])
				sq += d * d
				sum[c] += d
			}
		}
	}
	n := float64(p.w) * float64(p.h)
	for c := range bias {
		bias[c] = float64(sum[c]) / n
	}
	return float64(sq) / (3 * n), bias
}

// plane returns channel c of img as float64.
func plane(img *image.RGBA, c, w, h int) []float64 {
	out := make([]float64, w*h)
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride:][:4*w]
		o := out[y*w:][:w]
		for x := range o {
			o[x] = float64(row[4*x+c])
		}
	}
	return out
}
