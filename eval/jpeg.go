package eval

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"runtime"

	"github.com/semcodec/semcodec/imageio"
)

func init() { Register("jpeg", newGoJPEG) }

// goJPEG is baseline JPEG through Go's image/jpeg: 4:2:0 chroma, the
// standard quantisation tables scaled by quality, fixed Huffman tables.
type goJPEG struct{}

func newGoJPEG(Options) (Codec, error) { return goJPEG{}, nil }

func (goJPEG) Name() string { return "jpeg" }

func (goJPEG) Description() string {
	return "JPEG, Go image/jpeg (baseline, 4:2:0, standard Huffman tables); quality = JPEG quality"
}

func (goJPEG) Qualities() []int { return []int{5, 10, 20, 30, 50, 70, 85, 95} }

func (goJPEG) Encode(img *image.RGBA, q int) ([]byte, error) {
	if q < 1 || q > 100 {
		return nil, fmt.Errorf("eval: jpeg quality %d outside 1..100", q)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (goJPEG) Decode(data []byte) (*image.RGBA, error) {
	return imageio.DecodeImage(bytes.NewReader(data))
}

// Version is the Go release whose image/jpeg produced the files.
func (goJPEG) Version() string { return runtime.Version() }
