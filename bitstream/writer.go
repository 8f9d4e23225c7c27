package bitstream

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf8"
)

// validate checks the header fields against the format's rules; readers and
// Write share it. Sizes over a limit give ErrTooLarge, other violations a
// FormatError.
func (h *Header) validate() error {
	if h.Version != 0 && (h.Version < MinVersion || h.Version > Version) {
		return UnsupportedVersionError{Version: h.Version}
	}
	if h.QualityFraction != 0 && h.Version != 0 && h.Version < 3 {
		return FormatError(fmt.Sprintf("version %d has no quality fraction", h.Version))
	}
	if len(h.ModelName) > MaxModelName {
		return FormatError(fmt.Sprintf("model name is %d bytes, limit %d", len(h.ModelName), MaxModelName))
	}
	if !utf8.ValidString(h.ModelName) {
		return FormatError("model name is not UTF-8")
	}
	if h.Width < 1 || h.Height < 1 {
		return FormatError(fmt.Sprintf("empty image %dx%d", h.Width, h.Height))
	}
	if h.Width > MaxDimension || h.Height > MaxDimension {
		return fmt.Errorf("%w: image %dx%d, limit %d per side", ErrTooLarge, h.Width, h.Height, MaxDimension)
	}
	if h.LatentWidth > MaxLatentDimension || h.LatentHeight > MaxLatentDimension {
		return fmt.Errorf("%w: latent grid %dx%d, limit %d per side", ErrTooLarge, h.LatentWidth, h.LatentHeight, MaxLatentDimension)
	}
	if h.LatentWidth*LatentStride < h.Width || h.LatentHeight*LatentStride < h.Height {
		return FormatError(fmt.Sprintf("latent grid %dx%d does not cover a %dx%d image", h.LatentWidth, h.LatentHeight, h.Width, h.Height))
	}
	return nil
}

// appendHeader appends the header bytes, CRC included, to b.
func appendHeader(b []byte, h *Header) []byte {
	start := len(b)
	b = append(b, Magic...)
	v := h.Version
	if v == 0 {
		v = Version
	}
	b = append(b, v, h.QualityFraction, h.Quality, byte(len(h.ModelName)))
	b = append(b, h.ModelName...)
	b = append(b, h.ModelID[:]...)
	for _, v := range []int{h.Width, h.Height, h.LatentWidth, h.LatentHeight} {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
}

// Write writes f in format version f.Header.Version, or Version when that is
// zero. It checks f against the
// same rules as the readers first, so everything it writes reads back; a
// File it cannot represent gives an error (ErrTooLarge for sizes) and
// nothing is written.
func Write(w io.Writer, f *File) error {
	if err := f.Header.validate(); err != nil {
		return err
	}
	for _, s := range []Segment{SegmentHyper, SegmentSemantic, SegmentImage} {
		if n := len(f.Segment(s)); n > DefaultMaxSegmentSize {
			return fmt.Errorf("%w: %s segment is %d bytes, limit %d", ErrTooLarge, s, n, DefaultMaxSegmentSize)
		}
	}
	if _, err := w.Write(appendHeader(make([]byte, 0, headerSize(len(f.ModelName))), &f.Header)); err != nil {
		return err
	}
	for _, s := range []Segment{SegmentHyper, SegmentSemantic, SegmentImage} {
		payload := f.Segment(s)
		var head [5]byte
		head[0] = byte(s)
		binary.LittleEndian.PutUint32(head[1:], uint32(len(payload)))
		crc := crc32.Update(crc32.ChecksumIEEE(head[:]), crc32.IEEETable, payload)
		var tail [4]byte
		binary.LittleEndian.PutUint32(tail[:], crc)
		for _, part := range [][]byte{head[:], payload, tail[:]} {
			if _, err := w.Write(part); err != nil {
				return err
			}
		}
	}
	return nil
}
