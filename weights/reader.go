package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// Read reads and validates the model file at path.
func Read(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil && st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%w: %s is %d bytes", ErrTooLarge, path, st.Size())
	}
	f, err := Decode(fh)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return f, nil
}

// ReadFS reads and validates a model file from a file system, e.g. an
// embed.FS holding the default models.
func ReadFS(fsys fs.FS, name string) (*File, error) {
	fh, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	defer fh.Close()
	f, err := Decode(fh)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, name)
	}
	return f, nil
}

// Decode reads one model file from r and validates it. It reads the header
// first and then exactly the data the header describes, growing its buffer
// only as bytes arrive, so a lying header cannot force a huge allocation.
// A stream that ends early gives io.ErrUnexpectedEOF.
func Decode(r io.Reader) (*File, error) {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, noEOF(err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > MaxHeaderSize {
		return nil, FormatError(fmt.Sprintf("header length %d exceeds %d", hlen, MaxHeaderSize))
	}
	var buf bytes.Buffer
	buf.Write(lenBuf[:])
	if _, err := io.CopyN(&buf, r, int64(hlen)); err != nil {
		return nil, noEOF(err)
	}
	h, err := parseHeader(buf.Bytes()[8:], -1)
	if err != nil {
		return nil, err
	}
	if 8+int64(hlen)+h.dataLen > MaxFileSize {
		return nil, ErrTooLarge
	}
	if _, err := io.CopyN(&buf, r, h.dataLen); err != nil {
		return nil, noEOF(err)
	}
	return build(buf.Bytes(), h)
}

// Parse validates data as a model file and returns it. The tensors share
// memory with data (no copy), which suits read-only data such as go:embed
// variables; the caller must not modify data afterwards. Unlike Decode, Parse
// rejects trailing bytes after the tensor data.
func Parse(data []byte) (*File, error) {
	if len(data) < 8 {
		return nil, FormatError(fmt.Sprintf("%d bytes is too short for a header", len(data)))
	}
	hlen := binary.LittleEndian.Uint64(data)
	if hlen > MaxHeaderSize || hlen > uint64(len(data)-8) {
		return nil, FormatError(fmt.Sprintf("header length %d exceeds the limit or the file (%d bytes)", hlen, len(data)))
	}
	h, err := parseHeader(data[8:8+hlen], int64(len(data))-8-int64(hlen))
	if err != nil {
		return nil, err
	}
	return build(data, h)
}

// DecodeMetadata reads only the header of a model file from r and returns its
// metadata. Nothing is read past the header.
func DecodeMetadata(r io.Reader) (Metadata, error) {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return Metadata{}, noEOF(err)
	}
	hlen := binary.LittleEndian.Uint64(lenBuf[:])
	if hlen > MaxHeaderSize {
		return Metadata{}, FormatError(fmt.Sprintf("header length %d exceeds %d", hlen, MaxHeaderSize))
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, int64(hlen)); err != nil {
		return Metadata{}, noEOF(err)
	}
	h, err := parseHeader(buf.Bytes(), -1)
	if err != nil {
		return Metadata{}, err
	}
	return h.meta, nil
}

// noEOF turns a premature end of input into io.ErrUnexpectedEOF: any EOF
// inside a model file is unexpected.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("weights: model file truncated: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("weights: reading model file: %w", err)
}

// header is a parsed and validated JSON header.
type header struct {
	meta    Metadata
	version int
	tensors []headerTensor // sorted by data offset
	dataLen int64
}

type headerTensor struct {
	name       string
	dtype      DType
	shape      []int
	begin, end int64
}

// parseHeader validates the JSON header. dataLen is the size of the data
// section, or -1 when unknown (streaming), in which case the tensors must
// still tile a section that starts at 0, and its length is returned.
func parseHeader(hdr []byte, dataLen int64) (*header, error) {
	// The safetensors reference requires an object and allows trailing spaces
	// as padding; anything else around it is corruption.
	trimmed := bytes.TrimRight(hdr, " ")
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, FormatError("header is not a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, FormatError("header is not a JSON object")
	}
	h := &header{}
	var rawMeta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, FormatError("header JSON: " + err.Error())
		}
		name, ok := tok.(string)
		if !ok {
			return nil, FormatError("header JSON: key is not a string")
		}
		if seen[name] {
			return nil, FormatError(fmt.Sprintf("duplicate header entry %q", name))
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&rawMeta); err != nil {
				return nil, FormatError("metadata must map strings to strings: " + err.Error())
			}
			continue
		}
		if name == "" {
			return nil, FormatError("empty tensor name")
		}
		if len(h.tensors) >= MaxTensors {
			return nil, FormatError(fmt.Sprintf("more than %d tensors", MaxTensors))
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, FormatError("header JSON: " + err.Error())
		}
		t, err := parseEntry(name, raw)
		if err != nil {
			return nil, err
		}
		h.tensors = append(h.tensors, t)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, FormatError("header JSON object is not closed")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, FormatError("trailing bytes after the header JSON")
	}
	if rawMeta == nil {
		return nil, FormatError("no " + metadataKey + " entry")
	}
	var err error
	if h.meta, h.version, err = decodeMetadata(rawMeta); err != nil {
		return nil, err
	}

	// The data section must be tiled exactly: no gaps, no overlaps, no bytes
	// left over. Zero-sized tensors sit anywhere within it.
	slices.SortFunc(h.tensors, func(a, b headerTensor) int {
		if a.begin != b.begin {
			return cmpInt64(a.begin, b.begin)
		}
		if a.end != b.end {
			return cmpInt64(a.end, b.end)
		}
		return strings.Compare(a.name, b.name)
	})
	var pos int64
	for _, t := range h.tensors {
		if t.begin == t.end {
			if t.begin > pos {
				return nil, FormatError(fmt.Sprintf("tensor %q: data offset %d leaves a gap", t.name, t.begin))
			}
			continue
		}
		if t.begin != pos {
			if t.begin < pos {
				return nil, FormatError(fmt.Sprintf("tensor %q overlaps the previous tensor", t.name))
			}
			return nil, FormatError(fmt.Sprintf("gap in tensor data before %q", t.name))
		}
		pos = t.end
	}
	if dataLen >= 0 && pos != dataLen {
		if pos > dataLen {
			return nil, FormatError(fmt.Sprintf("tensor data ends at %d beyond the file's %d data bytes", pos, dataLen))
		}
		return nil, FormatError(fmt.Sprintf("%d unused bytes after the tensor data", dataLen-pos))
	}
	h.dataLen = pos
	return h, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseEntry validates one tensor entry of the header.
func parseEntry(name string, raw json.RawMessage) (headerTensor, error) {
	var e struct {
		DType       *string  `json:"dtype"`
		Shape       *[]int64 `json:"shape"`
		DataOffsets *[]int64 `json:"data_offsets"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return headerTensor{}, FormatError(fmt.Sprintf("tensor %q: %v", name, err))
	}
	if e.DType == nil || e.Shape == nil || e.DataOffsets == nil {
		return headerTensor{}, FormatError(fmt.Sprintf("tensor %q: dtype, shape and data_offsets are required", name))
	}
	dt, err := parseDType(name, *e.DType)
	if err != nil {
		return headerTensor{}, err
	}
	if len(*e.Shape) > MaxRank {
		return headerTensor{}, FormatError(fmt.Sprintf("tensor %q: rank %d exceeds %d", name, len(*e.Shape), MaxRank))
	}
	shape := make([]int, len(*e.Shape))
	for i, d := range *e.Shape {
		if d < 0 || d > MaxFileSize {
			return headerTensor{}, FormatError(fmt.Sprintf("tensor %q: bad dimension %d", name, d))
		}
		shape[i] = int(d)
	}
	n, err := numElements(shape, MaxFileSize)
	if err != nil {
		return headerTensor{}, FormatError(fmt.Sprintf("tensor %q: shape %v too large", name, shape))
	}
	off := *e.DataOffsets
	if len(off) != 2 || off[0] < 0 || off[1] < off[0] || off[1] > MaxFileSize {
		return headerTensor{}, FormatError(fmt.Sprintf("tensor %q: bad data_offsets %v", name, off))
	}
	if off[1]-off[0] != n*int64(dt.Size()) {
		return headerTensor{}, FormatError(fmt.Sprintf("tensor %q: %d data bytes for %v%v", name, off[1]-off[0], dt, shape))
	}
	return headerTensor{name: name, dtype: dt, shape: shape, begin: off[0], end: off[1]}, nil
}

// build makes a File over data (the whole file) from a validated header.
func build(data []byte, h *header) (*File, error) {
	start := int64(len(data)) - h.dataLen
	f := &File{Meta: h.meta, tensors: make(map[string]*Tensor, len(h.tensors)), version: h.version, raw: data, rawMeta: cloneMeta(h.meta)}
	for _, t := range h.tensors {
		f.tensors[t.name] = &Tensor{Name: t.name, DType: t.dtype, Shape: t.shape,
			Data: data[start+t.begin : start+t.end : start+t.end]}
	}
	return f, nil
}

// cloneMeta deep-copies m so later edits of File.Meta can be detected.
func cloneMeta(m Metadata) Metadata {
	c := m
	c.Config = slices.Clone(m.Config)
	c.Classes = slices.Clone(m.Classes)
	c.Palette = slices.Clone(m.Palette)
	if m.Extra != nil {
		c.Extra = make(map[string]string, len(m.Extra))
		for k, v := range m.Extra {
			c.Extra[k] = v
		}
	}
	return c
}
