package eval

import (
	"fmt"
	"image"
	"math"

	"github.com/semcodec/semcodec/metrics"
)

// Pick is an image encoded at the quality whose rate came nearest a target,
// decoded and scored; Labels is set for a SemanticCodec.
type Pick struct {
	Quality           int
	Data              []byte
	Image             *image.RGBA
	Labels            *image.Gray
	BPP, PSNR, MSSSIM float64
}

// EncodeNearRate encodes img at every quality of the grid (the codec's
// default when empty) and keeps the one whose bpp is nearest targetBPP (on a
// log scale, ties to the lower rate), for side-by-side comparisons at
// similar rates.
func EncodeNearRate(c Codec, img *image.RGBA, targetBPP float64, qualities []int) (Pick, error) {
	if !(targetBPP > 0) {
		return Pick{}, fmt.Errorf("eval: target rate %v bpp is not positive", targetBPP)
	}
	if len(qualities) == 0 {
		qualities = c.Qualities()
	}
	b := img.Bounds()
	best, bestDist := Pick{}, math.Inf(1)
	for _, q := range qualities {
		data, err := c.Encode(img, q)
		if err != nil {
			return Pick{}, &CodecError{Codec: c.Name(), Quality: q, Image: "input", Op: "encode", Err: err}
		}
		bpp := metrics.BPP(int64(len(data)), b.Dx(), b.Dy())
		dist := math.Abs(math.Log(bpp / targetBPP))
		if dist < bestDist || (dist == bestDist && bpp < best.BPP) {
			best, bestDist = Pick{Quality: q, Data: data, BPP: bpp}, dist
		}
	}
	if best.Data == nil {
		return Pick{}, fmt.Errorf("eval: codec %s has an empty quality grid", c.Name())
	}
	var err error
	if sc, ok := c.(SemanticCodec); ok {
		best.Image, best.Labels, err = sc.DecodeWithLabels(best.Data)
	} else {
		best.Image, err = c.Decode(best.Data)
	}
	if err != nil {
		return Pick{}, &CodecError{Codec: c.Name(), Quality: best.Quality, Image: "input", Op: "decode", Err: err}
	}
	m, err := metrics.CompareImages(img, best.Image)
	if err != nil {
		return Pick{}, &CodecError{Codec: c.Name(), Quality: best.Quality, Image: "input", Op: "score", Err: err}
	}
	best.PSNR, best.MSSSIM = m.PSNR, m.MSSSIM
	return best, nil
}
