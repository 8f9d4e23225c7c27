package codec

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/entropy"
	"github.com/semcodec/semcodec/fixedpoint"
)

func init() {
	image.RegisterFormat("smc", bitstream.Magic, decodeImage, decodeImageConfig)
}

func decodeImage(r io.Reader) (image.Image, error) {
	d, err := Decode(r)
	if err != nil {
		return nil, err
	}
	return d.Image, nil
}

func decodeImageConfig(r io.Reader) (image.Config, error) {
	c, err := DecodeConfig(r)
	if err != nil {
		return image.Config{}, err
	}
	return image.Config{ColorModel: color.RGBAModel, Width: c.Width, Height: c.Height}, nil
}

// Decode reads a .smc file with the embedded models and default settings.
func Decode(r io.Reader) (*Decoded, error) { return (&Decoder{}).Decode(r) }

// DecodeSegmentation reads only the header, the hyper segment and the
// semantic segment of a .smc file and returns the label map, without running
// the image synthesis. Nothing after the semantic segment is read from r.
func DecodeSegmentation(r io.Reader) (*Labels, error) { return (&Decoder{}).DecodeSegmentation(r) }

// DecodeConfig reads only the header of a .smc file.
func DecodeConfig(r io.Reader) (Config, error) {
	h, err := bitstream.ReadHeader(r)
	if err != nil {
		return Config{}, err
	}
	return configOf(h), nil
}

// Inspect reads a whole .smc file, checking every checksum but decoding
// nothing, and returns its header and sizes.
func Inspect(r io.Reader) (Info, error) {
	f, err := bitstream.Read(r)
	if err != nil {
		return Info{}, err
	}
	info := Info{Config: configOf(f.Header), Bytes: f.EncodedSize(),
		Segments: SegmentSizes{Hyper: len(f.Hyper), Semantic: len(f.Semantic), Image: len(f.Image)}}
	info.BPP = float64(8*info.Bytes) / float64(f.Width*f.Height)
	return info, nil
}

func configOf(h bitstream.Header) Config {
	return Config{Width: h.Width, Height: h.Height, Model: h.ModelName, ModelID: h.ModelID,
		Quality: float64(h.Quality) + float64(h.QualityFraction)/qualitySteps, LatentWidth: h.LatentWidth, LatentHeight: h.LatentHeight,
		FormatVersion: int(h.Version)}
}

// Decode reads and decodes a .smc file.
func (d *Decoder) Decode(r io.Reader) (*Decoded, error) {
	st, err := d.start(r)
	if err != nil {
		return nil, err
	}
	if err := st.readSemantic(); err != nil {
		return nil, err
	}
	if err := st.readImage(); err != nil {
		return nil, err
	}
	res := &Decoded{Config: st.cfg}
	if err := st.m.synthesize(res, &st.l, st.yImg, st.ySem, st.rate.inverse, true, !d.NoEnhance, d.SkipPlain, st.tileCells); err != nil {
		return nil, err
	}
	// The transform was fitted to the default picture: the enhanced one
	// where the model enhances.
	if cfg := st.m.cfg; !d.NoEnhance || !(cfg.Semantic && cfg.Enhancement) {
		st.colour.apply(res.Image)
	}
	return res, nil
}

// DecodeSegmentation reads the header, hyper and semantic segments of a
// .smc file and decodes the label map alone.
func (d *Decoder) DecodeSegmentation(r io.Reader) (*Labels, error) {
	st, err := d.start(r)
	if err != nil {
		return nil, err
	}
	if !st.m.cfg.Semantic {
		return nil, fmt.Errorf("%w: model %q has no semantic branch", ErrNoSegmentation, st.m.Name())
	}
	if err := st.readSemantic(); err != nil {
		return nil, err
	}
	res := &Decoded{Config: st.cfg}
	if err := st.m.synthesize(res, &st.l, nil, st.ySem, st.rate.inverse, false, false, false, st.tileCells); err != nil {
		return nil, err
	}
	return res.Segmentation, nil
}

// decodeState carries a decode through its segments.
type decodeState struct {
	rd   *bitstream.Reader
	m    *Model
	rate rate
	cfg  Config
	l    latents
	idx  []int32 // Gaussian table index of every y element, HWC
	ySem []int32
	yImg []int32
	// colour is the file's colour transform (the identity before version 4).
	colour colourTransform
	// tileCells is the tile size in latent cells.
	tileCells int
}

// start reads the header and the hyper segment, picks the model and derives
// the latent's table indexes.
func (d *Decoder) start(r io.Reader) (*decodeState, error) {
	rd, err := bitstream.NewReader(r, nil)
	if err != nil {
		return nil, err
	}
	h := rd.Header()
	st := &decodeState{rd: rd, cfg: configOf(h)}
	if st.tileCells, err = resolveTile(d.Tile); err != nil {
		return nil, err
	}
	limit := d.MaxPixels
	if limit <= 0 {
		limit = DefaultMaxPixels
	}
	if int64(h.Width)*int64(h.Height) > limit {
		return nil, fmt.Errorf("%w: %dx%d exceeds the decoder's limit of %d pixels", ErrTooLarge, h.Width, h.Height, limit)
	}
	l := &st.l
	l.padW, l.padH = padded(h.Width), padded(h.Height)
	l.wy, l.hy = l.padW/latentStride, l.padH/latentStride
	l.wz, l.hz = l.padW/hyperStride, l.padH/hyperStride
	if h.LatentWidth != l.wy || h.LatentHeight != l.hy {
		return nil, FormatError(fmt.Sprintf("latent grid %dx%d; a %dx%d image has %dx%d",
			h.LatentWidth, h.LatentHeight, h.Width, h.Height, l.wy, l.hy))
	}
	if st.m, err = d.model(h); err != nil {
		return nil, err
	}
	m := st.m
	if st.rate, err = m.rateAt(h.Quality, h.QualityFraction); err != nil {
		return nil, err
	}
	payload, err := nextSegment(rd, bitstream.SegmentHyper)
	if err != nil {
		return nil, err
	}
	nh := m.cfg.NHyper
	zIdx := make([]int32, l.hz*l.wz*nh)
	for i := range zIdx {
		zIdx[i] = int32(i % nh)
	}
	sym, err := entropy.Decode(payload, zIdx, m.zTables)
	if err != nil {
		return nil, segmentError("hyper", err)
	}
	l.z = sym
	for i, s := range sym {
		// In int64 and clamped as the encoder clamps, so hostile symbols
		// cannot overflow.
		v := int64(s) + int64(m.zCenters[i%nh])
		l.z[i] = int32(max(-fixedpoint.MaxInput, min(fixedpoint.MaxInput, v)))
	}
	scales, err := m.hyper.Scales(l.z, l.hz, l.wz)
	if err != nil {
		return nil, err
	}
	st.idx = tableIndexes(h.Version, scales, scales) // reuse the buffer
	return st, nil
}

// readSemantic decodes the semantic segment (empty without a semantic latent).
func (st *decodeState) readSemantic() error {
	payload, err := nextSegment(st.rd, bitstream.SegmentSemantic)
	if err != nil {
		return err
	}
	m := st.m
	if !m.cfg.CodesSemantic() {
		if len(payload) != 0 {
			return FormatError("semantic segment present for a model without a semantic latent")
		}
		return nil
	}
	_, semIdx := splitChannels(st.idx, m.cfg.LatentChannels(), m.cfg.MImage)
	if st.ySem, err = entropy.Decode(payload, semIdx, entropy.GaussianTables()); err != nil {
		return segmentError("semantic", err)
	}
	return nil
}

// readImage decodes the image segment. The synthesis reads the two
// segments' latents apart, so they are not joined.
func (st *decodeState) readImage() error {
	payload, err := nextSegment(st.rd, bitstream.SegmentImage)
	if err != nil {
		return err
	}
	if st.rd.Header().Version >= colourVersion {
		if len(payload) < colourBlockSize {
			return FormatError(fmt.Sprintf("image segment of %d bytes; its colour transform alone takes %d", len(payload), colourBlockSize))
		}
		st.colour = parseColour(payload)
		payload = payload[colourBlockSize:]
	}
	m := st.m
	imgIdx, _ := splitChannels(st.idx, m.cfg.LatentChannels(), m.cfg.MImage)
	if st.yImg, err = entropy.Decode(payload, imgIdx, entropy.GaussianTables()); err != nil {
		return segmentError("image", err)
	}
	st.idx = nil // no longer needed: let the collector have it
	return nil
}

func nextSegment(rd *bitstream.Reader, want bitstream.Segment) ([]byte, error) {
	s, payload, err := rd.NextSegment()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("codec: compressed file ends before the %s segment: %w", want, io.ErrUnexpectedEOF)
		}
		return nil, err
	}
	if s != want {
		return nil, FormatError(fmt.Sprintf("found the %s segment where the %s segment belongs", s, want))
	}
	return payload, nil
}

func segmentError(name string, err error) error {
	return fmt.Errorf("codec: invalid compressed file: %s segment: %w", name, err)
}

// model finds the model a header names: among d.Models by ID, then in the
// embedded default by quality (checking the ID), and then among the
// earlier embedded models by name and ID.
func (d *Decoder) model(h bitstream.Header) (*Model, error) {
	id := h.ModelID
	for _, m := range d.Models {
		if m != nil && m.id == id {
			return m, nil
		}
	}
	if m, err := defaultModelFor(float64(h.Quality)); err == nil && m.id == id {
		return m, nil
	}
	if m, ok := legacyModel(h.ModelName, id); ok {
		return m, nil
	}
	q := float64(h.Quality) + float64(h.QualityFraction)/qualitySteps
	return nil, fmt.Errorf("%w: %q quality %g (model ID %x); pass it with --model", ErrUnknownModel, h.ModelName, q, id[:])
}
