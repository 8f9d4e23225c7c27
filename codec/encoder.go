package codec

import (
	"fmt"
	"image"
	"io"
	"math"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/entropy"
	"github.com/semcodec/semcodec/fixedpoint"
	"github.com/semcodec/semcodec/imageio"
)

// maxLatent bounds the magnitude of a coded latent value. Real latents are
// far smaller; the bound keeps every derived integer inside int32.
const maxLatent = 1 << 30

// Encode compresses img and writes the .smc file to w. Gray, paletted,
// 16-bit and alpha images are converted to 8-bit RGB first (alpha composited
// on white, as package imageio does). opts may be nil.
func Encode(w io.Writer, img image.Image, opts *Options) error {
	if opts == nil {
		opts = &Options{}
	}
	m := opts.Model
	if m == nil {
		var err error
		if m, err = defaultModelFor(opts.Quality); err != nil {
			return err
		}
	}
	r, err := m.rateFor(opts.Quality)
	if err != nil {
		return err
	}
	f, err := m.encodeVersion(img, m.formatVersion(), opts.Tile, r)
	if err != nil {
		return err
	}
	return bitstream.Write(w, f)
}

// Encode compresses img with this model, tiles of DefaultTile (and, for a
// variable-rate model, DefaultQuality), and writes the .smc file to w.
func (m *Model) Encode(w io.Writer, img image.Image) error {
	return Encode(w, img, &Options{Model: m})
}

// latents holds the rounded latents of one image.
type latents struct {
	y, z       []int32 // HWC: [hy, wy, M] and [hz, wz, NHyper]
	hy, wy     int
	hz, wz     int
	padW, padH int
}

// analyseTile runs the analysis and hyper-analysis transforms on tiles of
// the given size setting (see Options.Tile), with the gains of a
// variable-rate model's quality (nil: none), and rounds their outputs.
func (m *Model) analyseTile(img image.Image, tile int, gain []float32) (*latents, error) {
	tileCells, err := resolveTile(tile)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return nil, ErrEmpty
	}
	if w > MaxDimension || h > MaxDimension {
		return nil, fmt.Errorf("%w: %dx%d, limit %d per side", ErrTooLarge, w, h, MaxDimension)
	}
	// Never write a file the default decoder would refuse.
	if int64(w)*int64(h) > DefaultMaxPixels {
		return nil, fmt.Errorf("%w: %dx%d, limit %d pixels", ErrTooLarge, w, h, DefaultMaxPixels)
	}
	l := &latents{padW: padded(w), padH: padded(h)}
	l.wy, l.hy = l.padW/latentStride, l.padH/latentStride
	l.wz, l.hz = l.padW/hyperStride, l.padH/hyperStride
	y, z, err := m.analyseTiled(imageio.AsRGB(img), l, tileCells, gain)
	if err != nil {
		return nil, err
	}
	if len(y) != l.hy*l.wy*m.cfg.LatentChannels() || len(z) != l.hz*l.wz*m.cfg.NHyper {
		return nil, fmt.Errorf("codec: analysis gave %d and %d latent values, want %d and %d",
			len(y), len(z), l.hy*l.wy*m.cfg.LatentChannels(), l.hz*l.wz*m.cfg.NHyper)
	}
	l.y = roundLatent(y, maxLatent)
	// z feeds the fixed-point hyper-synthesis, which represents |z| up to
	// MaxInput: clamping here makes the coded z exactly what it uses.
	l.z = roundLatent(z, fixedpoint.MaxInput)
	return l, nil
}

// roundLatent rounds half up, floor(v+½), exactly (in float64), clamps to
// ±limit, and maps NaN to 0.
func roundLatent(v []float32, limit int32) []int32 {
	q := make([]int32, len(v))
	for i, f := range v {
		r := math.Floor(float64(f) + 0.5)
		switch {
		case r != r:
			q[i] = 0
		case r > float64(limit):
			q[i] = limit
		case r < -float64(limit):
			q[i] = -limit
		default:
			q[i] = int32(r)
		}
	}
	return q
}

// fixedRateVersion is the format version of fixed-rate models' files:
// version 3 only added the quality fraction, so they stay readable by
// releases that predate it. A variable-rate model's files are version 3,
// which older releases refuse rather than decode without the gains.
const fixedRateVersion = 2

// formatVersion is the version Encode writes for m.
func (m *Model) formatVersion() uint8 {
	if m.gains == nil {
		return fixedRateVersion
	}
	return bitstream.Version
}

// encodeVersion encodes in a given format version (only tests write older
// ones, to check that they still decode) with a tile size setting at rate r.
func (m *Model) encodeVersion(img image.Image, version uint8, tile int, r rate) (*bitstream.File, error) {
	if r.fraction != 0 && version < 3 {
		return nil, fmt.Errorf("%w: version %d files store whole qualities only", ErrQuality, version)
	}
	rgb := imageio.AsRGB(img)
	l, err := m.analyseTile(rgb, tile, r.gain)
	if err != nil {
		return nil, err
	}
	f := &bitstream.File{Header: m.header(img.Bounds().Dx(), img.Bounds().Dy(), l.wy, l.hy, r)}
	f.Header.Version = version

	// Hyper-latent: channel c is coded relative to its center with table c.
	nh := m.cfg.NHyper
	sym := make([]int32, len(l.z))
	idx := make([]int32, len(l.z))
	for i, v := range l.z {
		c := i % nh
		sym[i] = v - m.zCenters[c]
		idx[i] = int32(c)
	}
	if f.Hyper, err = entropy.Encode(sym, idx, m.zTables); err != nil {
		return nil, err
	}

	// Latent: each element with the Gaussian table its fixed-point scale selects.
	scales, err := m.hyper.Scales(l.z, l.hz, l.wz)
	if err != nil {
		return nil, err
	}
	yIdx := tableIndexes(version, scales, scales)
	gauss := entropy.GaussianTables()
	img0, sem0 := splitChannels(l.y, m.cfg.LatentChannels(), m.cfg.MImage)
	imgIdx, semIdx := splitChannels(yIdx, m.cfg.LatentChannels(), m.cfg.MImage)
	if f.Image, err = entropy.Encode(img0, imgIdx, gauss); err != nil {
		return nil, err
	}
	if len(sem0) > 0 {
		if f.Semantic, err = entropy.Encode(sem0, semIdx, gauss); err != nil {
			return nil, err
		}
	}
	if version >= colourVersion {
		c, err := m.colourFor(rgb, l, img0, sem0, r, tile)
		if err != nil {
			return nil, err
		}
		f.Image = append(c.marshal(), f.Image...)
	}
	return f, nil
}

// colourVersion is the first format version whose image segment starts with
// a colour transform.
const colourVersion = 4

// colourFor decodes the latents as a decoder would and fits the colour
// transform from that picture to the original (the identity for images over
// colourFitMaxPixels).
func (m *Model) colourFor(rgb *image.RGBA, l *latents, yImg, ySem []int32, r rate, tile int) (colourTransform, error) {
	w, h := rgb.Rect.Dx(), rgb.Rect.Dy()
	if int64(w)*int64(h) > colourFitMaxPixels {
		return colourTransform{}, nil
	}
	tileCells, err := resolveTile(tile)
	if err != nil {
		return colourTransform{}, err
	}
	res := &Decoded{Config: Config{Width: w, Height: h}}
	if err := m.synthesize(res, l, yImg, ySem, r.inverse, true, true, true, tileCells); err != nil {
		return colourTransform{}, err
	}
	return fitColour(res.Image, rgb), nil
}

func (m *Model) header(w, h, wy, hy int, r rate) bitstream.Header {
	return bitstream.Header{
		ModelName: m.Name(), ModelID: m.id, Quality: r.quality, QualityFraction: r.fraction,
		Width: w, Height: h, LatentWidth: wy, LatentHeight: hy,
	}
}

// tableIndexes maps Q16 scales to Gaussian table indexes by the rule of the
// format version, into dst.
func tableIndexes(version uint8, dst, scales []int32) []int32 {
	if version == 1 {
		return entropy.GaussianIndexesCeil(dst, scales)
	}
	return entropy.GaussianIndexes(dst, scales)
}

// splitChannels splits HWC data with c channels into channels [0, k) and
// [k, c), each still HWC.
func splitChannels(v []int32, c, k int) (first, rest []int32) {
	n := len(v) / c
	first = make([]int32, 0, n*k)
	rest = make([]int32, 0, n*(c-k))
	for p := range n {
		first = append(first, v[p*c:p*c+k]...)
		rest = append(rest, v[p*c+k:(p+1)*c]...)
	}
	return first, rest
}

// EstimateBits returns the network's own estimate of the coded size of img in
// bits: −Σ log2 of the likelihoods of ŷ and ẑ, as training measures the rate.
// The real file is within a few percent of it (plus the header). A
// variable-rate model estimates at DefaultQuality (see EstimateBitsAt).
func (m *Model) EstimateBits(img image.Image) (float64, error) { return m.EstimateBitsAt(img, 0) }

// EstimateBitsAt is EstimateBits at quality q, as Options.Quality.
func (m *Model) EstimateBitsAt(img image.Image, q float64) (float64, error) {
	r, err := m.rateFor(q)
	if err != nil {
		return 0, err
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return 0, ErrEmpty
	}
	if w > MaxDimension || h > MaxDimension {
		return 0, fmt.Errorf("%w: %dx%d, limit %d per side", ErrTooLarge, w, h, MaxDimension)
	}
	pw, ph := padded(w), padded(h)
	x := padHWC(imageio.ToFloat32(imageio.ToRGB(img)), w, h, 3, pw, ph)
	args := []any{tensors.FromFlatDataAndDimensions(x, 1, ph, pw, 3)}
	if m.gains != nil {
		args = append(args, tensors.FromFlatDataAndDimensions(r.weights(m.Levels()), 1, m.Levels()))
	}
	out, err := m.run(graphEstimate, ph, pw, args...)
	if err != nil {
		return 0, err
	}
	bpp, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return 0, err
	}
	return float64(bpp[0]) * float64(pw*ph), nil
}
