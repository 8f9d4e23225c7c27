package bitstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ReadOptions holds reader limits. The zero value and nil mean the defaults.
type ReadOptions struct {
	// MaxSegmentSize bounds each segment's payload in bytes; 0 means
	// DefaultMaxSegmentSize. A longer declared length gives ErrTooLarge.
	MaxSegmentSize int64
}

// Reader reads a file segment by segment, so a caller can stop early: the
// segmentation needs only the hyper and semantic segments. It reads no byte
// beyond the segments it returns.
type Reader struct {
	r      io.Reader
	h      Header
	next   Segment
	maxSeg int64
	err    error // sticky
}

// NewReader reads and validates the header from r. opts may be nil.
func NewReader(r io.Reader, opts *ReadOptions) (*Reader, error) {
	h, err := readHeader(r)
	if err != nil {
		return nil, err
	}
	limit := int64(DefaultMaxSegmentSize)
	if opts != nil && opts.MaxSegmentSize > 0 {
		limit = opts.MaxSegmentSize
	}
	return &Reader{r: r, h: h, next: SegmentHyper, maxSeg: limit}, nil
}

// Header returns the file's header.
func (r *Reader) Header() Header { return r.h }

// NextSegment reads the next segment, checks its kind, length and CRC, and
// returns its kind and payload: SegmentHyper, then SegmentSemantic, then
// SegmentImage, then io.EOF. After an error every call returns that error.
func (r *Reader) NextSegment() (Segment, []byte, error) {
	if r.err != nil {
		return 0, nil, r.err
	}
	s, payload, err := r.readSegment()
	if err != nil {
		r.err = err
		return 0, nil, err
	}
	r.next++
	return s, payload, nil
}

func (r *Reader) readSegment() (Segment, []byte, error) {
	want := r.next
	if want > SegmentImage {
		return 0, nil, io.EOF
	}
	var head [5]byte
	if err := readFull(r.r, head[:], want.String()+" segment header"); err != nil {
		return 0, nil, err
	}
	if s := Segment(head[0]); s != want {
		return 0, nil, FormatError(fmt.Sprintf("found %s where the %s segment belongs", s, want))
	}
	n := int64(binary.LittleEndian.Uint32(head[1:]))
	if n > r.maxSeg {
		return 0, nil, fmt.Errorf("%w: %s segment declares %d bytes, limit %d", ErrTooLarge, want, n, r.maxSeg)
	}
	payload, err := readPayload(r.r, n, want.String()+" segment")
	if err != nil {
		return 0, nil, err
	}
	var tail [4]byte
	if err := readFull(r.r, tail[:], want.String()+" segment checksum"); err != nil {
		return 0, nil, err
	}
	crc := crc32.Update(crc32.ChecksumIEEE(head[:]), crc32.IEEETable, payload)
	if crc != binary.LittleEndian.Uint32(tail[:]) {
		return 0, nil, fmt.Errorf("%w in the %s segment", ErrChecksum, want)
	}
	return want, payload, nil
}

// ReadHeader reads and validates the header alone; it allocates nothing for
// the image and reads nothing past the header.
func ReadHeader(r io.Reader) (Header, error) { return readHeader(r) }

// Read reads a whole file with the default limits. It stops after the image
// segment; whatever follows is left unread.
func Read(r io.Reader) (*File, error) { return ReadPartial(r, SegmentImage) }

// ReadPartial reads the header and the segments up to and including last,
// leaving the later ones unread (nil in the File). ReadPartial(r,
// SegmentSemantic) is all that decoding the segmentation needs.
func ReadPartial(r io.Reader, last Segment) (*File, error) {
	if last < SegmentHyper || last > SegmentImage {
		return nil, fmt.Errorf("bitstream: ReadPartial: no segment %s", last)
	}
	rd, err := NewReader(r, nil)
	if err != nil {
		return nil, err
	}
	f := &File{Header: rd.Header()}
	for {
		s, payload, err := rd.NextSegment()
		if err != nil {
			return nil, err
		}
		switch s {
		case SegmentHyper:
			f.Hyper = payload
		case SegmentSemantic:
			f.Semantic = payload
		case SegmentImage:
			f.Image = payload
		}
		if s == last {
			return f, nil
		}
	}
}

// readHeader reads the magic, the version and the rest of the header, then
// checks the CRC before looking at any field, so damage reads as a checksum
// error rather than as a nonsensical size.
func readHeader(r io.Reader) (Header, error) {
	var h Header
	buf := make([]byte, 8, headerSize(MaxModelName))
	if err := readFull(r, buf[:4], "magic"); err != nil {
		return h, err
	}
	if string(buf[:4]) != Magic {
		return h, ErrFormat
	}
	if err := readFull(r, buf[4:8], "header"); err != nil {
		return h, err
	}
	if buf[4] < MinVersion || buf[4] > Version {
		return h, UnsupportedVersionError{Version: buf[4]}
	}
	h.Version = buf[4]
	buf = buf[:headerSize(int(buf[7]))]
	if err := readFull(r, buf[8:], "header"); err != nil {
		return h, err
	}
	body, sum := buf[:len(buf)-4], binary.LittleEndian.Uint32(buf[len(buf)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return h, fmt.Errorf("%w in the header", ErrChecksum)
	}
	if h.Version >= 3 {
		h.QualityFraction = buf[5]
	} else if buf[5] != 0 {
		return h, FormatError(fmt.Sprintf("reserved flags %#x set", buf[5]))
	}
	h.Quality = buf[6]
	name := body[8 : 8+int(buf[7])]
	h.ModelName = string(name)
	rest := body[8+len(name):]
	copy(h.ModelID[:], rest[:8])
	rest = rest[8:]
	u16 := func(i int) int { return int(binary.LittleEndian.Uint16(rest[2*i:])) }
	h.Width, h.Height, h.LatentWidth, h.LatentHeight = u16(0), u16(1), u16(2), u16(3)
	if err := h.validate(); err != nil {
		return Header{}, err
	}
	return h, nil
}

// readFull reads len(b) bytes, turning an early end into ErrTruncated.
func readFull(r io.Reader, b []byte, what string) error {
	if _, err := io.ReadFull(r, b); err != nil {
		return eofError(err, what)
	}
	return nil
}

func eofError(err error, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("bitstream: compressed file ends in the %s: %w", what, ErrTruncated)
	}
	return err
}

// readPayload reads n bytes. Small payloads are read in one allocation;
// large ones grow with the bytes that actually arrive, so a corrupt length
// on a short input costs at most twice the input's size in memory.
func readPayload(r io.Reader, n int64, what string) ([]byte, error) {
	const direct = 1 << 20
	if n <= direct {
		b := make([]byte, n)
		return b, readFull(r, b, what)
	}
	var buf bytes.Buffer
	buf.Grow(direct)
	got, err := io.CopyN(&buf, r, n)
	if got < n {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return nil, eofError(err, what)
	}
	return buf.Bytes(), nil
}
