package datapack

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
)

// Config is what the header and index of a pack say, without its pixels.
type Config struct {
	Quality, ChromaQuality int
	Entries                []Info
}

// Pack is an opened, validated data pack held in memory. Its methods are safe
// for concurrent use.
type Pack struct {
	data    []byte // the data area
	cfg     Config
	entries []entryJSON
}

// readHeader reads and checks the fixed header, returning the index length
// and checksum.
func readHeader(hdr []byte) (idxLen int, idxCRC uint32, err error) {
	if string(hdr[:4]) != Magic {
		return 0, 0, FormatError("bad magic (not a semcodec data pack)")
	}
	if v := binary.LittleEndian.Uint16(hdr[4:]); v != Version {
		return 0, 0, UnsupportedError(fmt.Sprintf("version %d (this build reads %d)", v, Version))
	}
	if f := binary.LittleEndian.Uint16(hdr[6:]); f != 0 {
		return 0, 0, UnsupportedError(fmt.Sprintf("flags %#x", f))
	}
	n := binary.LittleEndian.Uint32(hdr[8:])
	if n == 0 || n > maxIndexBytes {
		return 0, 0, FormatError(fmt.Sprintf("index length %d outside 1..%d", n, maxIndexBytes))
	}
	return int(n), binary.LittleEndian.Uint32(hdr[12:]), nil
}

// parseIndex decodes and validates the index against a data area of dataLen
// bytes (-1 when unknown, as in DecodeConfig).
func parseIndex(raw []byte, crc uint32, dataLen int64) (indexJSON, error) {
	var idx indexJSON
	if crc32.ChecksumIEEE(raw) != crc {
		return idx, FormatError("index checksum mismatch")
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return idx, FormatError("index: " + err.Error())
	}
	if len(idx.Entries) == 0 || len(idx.Entries) > maxEntries {
		return idx, FormatError(fmt.Sprintf("%d entries, want 1..%d", len(idx.Entries), maxEntries))
	}
	names := make(map[string]bool, len(idx.Entries))
	var off int64
	for i, e := range idx.Entries {
		if e.Name == "" || names[e.Name] {
			return idx, FormatError(fmt.Sprintf("entry %d: empty or duplicate name %q", i, e.Name))
		}
		names[e.Name] = true
		if e.Width <= 0 || e.Height <= 0 || e.Width > maxSide || e.Height > maxSide || int64(e.Width)*int64(e.Height) > maxPixels {
			return idx, FormatError(fmt.Sprintf("entry %q: size %dx%d out of range", e.Name, e.Width, e.Height))
		}
		want := 3
		if e.Classes != "" || e.NumClasses != 0 {
			if e.Classes == "" || e.NumClasses < 1 || e.NumClasses > maxClasses {
				return idx, FormatError(fmt.Sprintf("entry %q: class set %q with %d classes", e.Name, e.Classes, e.NumClasses))
			}
			want = 4
		}
		if len(e.Blobs) != want {
			return idx, FormatError(fmt.Sprintf("entry %q: %d blobs, want %d", e.Name, len(e.Blobs), want))
		}
		for _, b := range e.Blobs {
			// Blobs must tile the data area in order: any gap or overlap
			// means the index and the data disagree.
			if b.Offset != off || b.Length <= 0 || b.Length > 1<<40 {
				return idx, FormatError(fmt.Sprintf("entry %q: blob at %d+%d, want offset %d", e.Name, b.Offset, b.Length, off))
			}
			off += b.Length
		}
	}
	if dataLen >= 0 && off != dataLen {
		if off > dataLen {
			return idx, FormatError(fmt.Sprintf("truncated: index needs %d data bytes, file has %d", off, dataLen))
		}
		return idx, FormatError(fmt.Sprintf("%d unexpected bytes after the last entry", dataLen-off))
	}
	return idx, nil
}

func configOf(idx indexJSON) Config {
	cfg := Config{Quality: idx.Quality, ChromaQuality: idx.ChromaQuality, Entries: make([]Info, len(idx.Entries))}
	for i, e := range idx.Entries {
		cfg.Entries[i] = Info{Name: e.Name, Classes: e.Classes, NumClasses: e.NumClasses, Width: e.Width, Height: e.Height}
	}
	return cfg
}

// DecodeConfig reads only the header and index from r.
func DecodeConfig(r io.Reader) (Config, error) {
	// An input that ends early is a damaged pack, not an I/O failure.
	eofErr := func(err error) error {
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return FormatError(io.ErrUnexpectedEOF.Error())
		}
		return err
	}
	var hdr [headerSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return Config{}, eofErr(err)
	}
	n, crc, err := readHeader(hdr[:])
	if err != nil {
		return Config{}, err
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(r, raw); err != nil {
		return Config{}, eofErr(err)
	}
	idx, err := parseIndex(raw, crc, -1)
	if err != nil {
		return Config{}, err
	}
	return configOf(idx), nil
}

// Decode validates a whole pack held in data (header, index, every blob's
// checksum) and returns it. data is retained, not copied.
func Decode(data []byte) (*Pack, error) {
	if len(data) < headerSize {
		return nil, FormatError(io.ErrUnexpectedEOF.Error())
	}
	n, crc, err := readHeader(data[:headerSize])
	if err != nil {
		return nil, err
	}
	if len(data) < headerSize+n {
		return nil, FormatError("truncated index: " + io.ErrUnexpectedEOF.Error())
	}
	body := data[headerSize+n:]
	idx, err := parseIndex(data[headerSize:headerSize+n], crc, int64(len(body)))
	if err != nil {
		return nil, err
	}
	for _, e := range idx.Entries {
		for k, b := range e.Blobs {
			if crc32.ChecksumIEEE(body[b.Offset:b.Offset+b.Length]) != b.CRC32 {
				return nil, FormatError(fmt.Sprintf("entry %q: blob %d checksum mismatch", e.Name, k))
			}
		}
	}
	return &Pack{data: body, cfg: configOf(idx), entries: idx.Entries}, nil
}

// Open reads and validates the pack file at path.
func Open(path string) (*Pack, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("datapack: open data pack: %w", err)
	}
	p, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// Len returns the number of entries.
func (p *Pack) Len() int { return len(p.entries) }

// Config returns the pack's qualities and entry descriptions.
func (p *Pack) Config() Config { return p.cfg }

// Info describes entry i.
func (p *Pack) Info(i int) Info {
	if i < 0 || i >= len(p.entries) {
		return Info{}
	}
	return p.cfg.Entries[i]
}

func (p *Pack) blob(e *entryJSON, k int) []byte {
	b := e.Blobs[k]
	return p.data[b.Offset : b.Offset+b.Length : b.Offset+b.Length]
}

// Image decodes entry i's image (opaque RGB, bounds at (0,0)).
func (p *Pack) Image(i int) (*image.RGBA, error) {
	if i < 0 || i >= len(p.entries) {
		return nil, ErrIndex
	}
	e := &p.entries[i]
	img, err := decodePlanes([3][]byte{p.blob(e, 0), p.blob(e, 1), p.blob(e, 2)}, e.Width, e.Height)
	if err != nil {
		return nil, fmt.Errorf("entry %q: %w", e.Name, err)
	}
	return img, nil
}

// Labels decodes entry i's label map (values 0..K-1 or IgnoreLabel), or
// returns nil, nil when the entry is unlabelled.
func (p *Pack) Labels(i int) (*image.Gray, error) {
	if i < 0 || i >= len(p.entries) {
		return nil, ErrIndex
	}
	e := &p.entries[i]
	if e.NumClasses == 0 {
		return nil, nil
	}
	data := p.blob(e, 3)
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, FormatError(fmt.Sprintf("entry %q: labels: %v", e.Name, err))
	}
	if cfg.Width != e.Width || cfg.Height != e.Height || cfg.ColorModel != color.GrayModel {
		return nil, FormatError(fmt.Sprintf("entry %q: labels are %dx%d, want %dx%d gray", e.Name, cfg.Width, cfg.Height, e.Width, e.Height))
	}
	m, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, FormatError(fmt.Sprintf("entry %q: labels: %v", e.Name, err))
	}
	g, ok := m.(*image.Gray)
	if !ok {
		return nil, FormatError(fmt.Sprintf("entry %q: labels decoded to %T", e.Name, m))
	}
	if err := checkLabels(g, e.Classes, e.NumClasses, e.Width, e.Height); err != nil {
		return nil, FormatError(fmt.Sprintf("entry %q: %v", e.Name, err))
	}
	return g, nil
}
