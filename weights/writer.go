package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"

	"github.com/semcodec/semcodec/atomicfile"
)

// headerAlign pads the header so that tensor data starts 8-byte aligned, as
// the safetensors reference writer does; readers that map the file can then
// view F32 data in place.
const headerAlign = 8

// entry is one tensor's record in the JSON header.
type entry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// encode returns the canonical encoding of f: metadata first, then tensors
// sorted by name, their data laid out contiguously in the same order. The same
// File therefore always encodes to the same bytes and the same ID.
func (f *File) encode() ([]byte, error) {
	meta, err := f.encodeMetadata()
	if err != nil {
		return nil, err
	}
	var hdr bytes.Buffer
	hdr.WriteString(`{"` + metadataKey + `":`)
	enc, err := json.Marshal(meta) // map keys come out sorted
	if err != nil {
		return nil, err
	}
	hdr.Write(enc)
	names := f.Names()
	var offset int64
	for _, name := range names {
		t := f.tensors[name]
		shape := t.Shape
		if shape == nil {
			shape = []int{} // a scalar is written as [], not null
		}
		e := entry{DType: t.DType.String(), Shape: shape, DataOffsets: [2]int64{offset, offset + int64(len(t.Data))}}
		offset += int64(len(t.Data))
		k, _ := json.Marshal(name)
		v, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		hdr.WriteByte(',')
		hdr.Write(k)
		hdr.WriteByte(':')
		hdr.Write(v)
	}
	hdr.WriteByte('}')
	for (8+hdr.Len())%headerAlign != 0 {
		hdr.WriteByte(' ')
	}
	if hdr.Len() > MaxHeaderSize || int64(8+hdr.Len())+offset > MaxFileSize {
		return nil, ErrTooLarge
	}
	out := make([]byte, 8, 8+int64(hdr.Len())+offset)
	binary.LittleEndian.PutUint64(out, uint64(hdr.Len()))
	out = append(out, hdr.Bytes()...)
	for _, name := range names {
		out = append(out, f.tensors[name].Data...)
	}
	return out, nil
}

// WriteTo writes the file's bytes (see Bytes) to w.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	b, err := f.Bytes()
	if err != nil {
		return 0, err
	}
	n, err := w.Write(b)
	return int64(n), err
}

// WriteFile writes f to path atomically: on failure any existing file at path
// is left untouched.
func WriteFile(path string, f *File) error {
	b, err := f.Bytes()
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, b)
}
