package weights

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sampleFile builds a small model file using every dtype.
func sampleFile(t testing.TB) *File {
	t.Helper()
	f := New(Metadata{
		Model:   "semcodec-test",
		Config:  json.RawMessage(`{"n":8,"m":12}`),
		Lambda:  0.0130,
		Quality: 3,
		Classes: []string{"sky", "building"},
		Palette: []color.RGBA{{128, 128, 128, 255}, {128, 0, 0, 255}},
		Extra:   map[string]string{"steps": "1000"},
	})
	must := func(tt *Tensor, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Add(tt); err != nil {
			t.Fatal(err)
		}
	}
	must(NewF32("hyper_synthesis/up1/weights", []int{3, 3, 2, 8}, seq32(144, 0.01)))
	must(NewF32("hyper_synthesis/up1/biases", []int{8}, seq32(8, -0.5)))
	must(NewF16("analysis/conv1/weights", []int{5, 5, 3, 4}, seq32(300, 0.001)))
	must(NewI32("entropy/z/cdf", []int{2, 5}, []int32{0, 100, 65000, 65535, 65536, 0, 1, 2, 3, 65536}))
	must(NewU16("u16", []int{3}, []uint16{0, 1, 65535}))
	must(NewU8("u8", []int{2, 2}, []uint8{0, 1, 254, 255}))
	must(NewF32("scalar", nil, []float32{math.Pi}))
	must(NewF32("empty", []int{0, 4}, nil))
	return f
}

func seq32(n int, step float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i-n/2) * step
	}
	return v
}

func encoded(t testing.TB, f *File) []byte {
	t.Helper()
	b, err := f.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	src := sampleFile(t)
	data := encoded(t, src)
	if (8+binary.LittleEndian.Uint64(data))%8 != 0 {
		t.Errorf("tensor data not 8-byte aligned")
	}
	for name, parse := range map[string]func([]byte) (*File, error){
		"Parse":  Parse,
		"Decode": func(b []byte) (*File, error) { return Decode(bytes.NewReader(b)) },
	} {
		t.Run(name, func(t *testing.T) {
			got, err := parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Meta, src.Meta) {
				t.Errorf("metadata\n got %+v\nwant %+v", got.Meta, src.Meta)
			}
			if !reflect.DeepEqual(got.Names(), src.Names()) {
				t.Errorf("names %v, want %v", got.Names(), src.Names())
			}
			for _, n := range src.Names() {
				a, _ := src.Tensor(n)
				b, _ := got.Tensor(n)
				if a.DType != b.DType || !bytes.Equal(a.Data, b.Data) || a.NumElements() != b.NumElements() || !b.HasShape(a.Shape...) {
					t.Errorf("tensor %s differs: %v%v vs %v%v", n, a.DType, a.Shape, b.DType, b.Shape)
				}
			}
			if !bytes.Equal(encoded(t, got), data) {
				t.Error("re-encoding a parsed file changed its bytes")
			}
			id1, _ := src.ID()
			id2, _ := got.ID()
			if id1 != id2 || id1 == (ID{}) {
				t.Errorf("IDs %v and %v", id1, id2)
			}
		})
	}
}

func TestValues(t *testing.T) {
	f, err := Parse(encoded(t, sampleFile(t)))
	if err != nil {
		t.Fatal(err)
	}
	w, err := f.Float32("hyper_synthesis/up1/weights", 3, 3, 2, 8)
	if err != nil || !reflect.DeepEqual(w, seq32(144, 0.01)) {
		t.Errorf("F32 values: %v %v", err, w[:4])
	}
	h, err := f.Float32("analysis/conv1/weights", 5, 5, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range seq32(300, 0.001) {
		if d := math.Abs(float64(h[i] - v)); d > math.Abs(float64(v))/1024+1e-7 {
			t.Fatalf("F16 value %d: %v vs %v", i, h[i], v)
		}
	}
	if _, err := f.Float32("analysis/conv1/weights", 5, 5, 4, 3); err == nil {
		t.Error("shape mismatch not reported")
	}
	if _, err := f.Float32("missing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor: %v", err)
	}
	cdf, _ := f.Tensor("entropy/z/cdf")
	ints, err := cdf.Int32()
	if err != nil || ints[3] != 65535 || ints[4] != 65536 {
		t.Errorf("I32: %v %v", ints, err)
	}
	u16, _ := f.Tensor("u16")
	if v, _ := u16.Int32(); !reflect.DeepEqual(v, []int32{0, 1, 65535}) {
		t.Errorf("U16: %v", v)
	}
	u8, _ := f.Tensor("u8")
	if v, _ := u8.Float32(); !reflect.DeepEqual(v, []float32{0, 1, 254, 255}) {
		t.Errorf("U8: %v", v)
	}
	s, _ := f.Tensor("scalar")
	if v, _ := s.Float32(); len(s.Shape) != 0 || v[0] != math.Pi {
		t.Errorf("scalar: %v %v", s.Shape, v)
	}
	w32, _ := f.Tensor("hyper_synthesis/up1/weights")
	if _, err := w32.Int32(); err == nil {
		t.Error("Int32 of a float tensor must fail")
	}
}

func TestWriteFileAndRead(t *testing.T) {
	src := sampleFile(t)
	path := filepath.Join(t.TempDir(), "m.smw")
	if err := WriteFile(path, src); err != nil {
		t.Fatal(err)
	}
	got, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if h1, _ := src.Hash(); true {
		h2, _ := got.Hash()
		disk, _ := os.ReadFile(path)
		if h1 != h2 || !bytes.Equal(disk, encoded(t, src)) {
			t.Error("file on disk differs from the encoding")
		}
	}
	if _, err := Read(filepath.Join(t.TempDir(), "none.smw")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestEditedMetadataReencodes(t *testing.T) {
	f, err := Parse(encoded(t, sampleFile(t)))
	if err != nil {
		t.Fatal(err)
	}
	id1, _ := f.ID()
	f.Meta.Quality = 4
	id2, _ := f.ID()
	g, err := Parse(encoded(t, f))
	if err != nil || g.Meta.Quality != 4 || id1 == id2 {
		t.Errorf("edit lost: %v quality %d ids %v %v", err, g.Meta.Quality, id1, id2)
	}
}

func TestAddErrors(t *testing.T) {
	f := New(Metadata{Model: "x", Quality: 1})
	a, _ := NewU8("a", []int{1}, []uint8{1})
	if err := f.Add(a); err != nil {
		t.Fatal(err)
	}
	if err := f.Add(a); err == nil {
		t.Error("duplicate accepted")
	}
	if err := f.Add(&Tensor{Name: "bad", DType: F32, Shape: []int{2}, Data: make([]byte, 4)}); err == nil {
		t.Error("short data accepted")
	}
	if err := f.Add(&Tensor{Name: metadataKey, DType: U8, Shape: []int{1}, Data: []byte{1}}); err == nil {
		t.Error("reserved name accepted")
	}
	if _, err := NewF32("x", []int{2, 2}, []float32{1}); err == nil {
		t.Error("value count mismatch accepted")
	}
	f.Meta.Extra = map[string]string{KeyQuality: "9"}
	if _, err := f.Bytes(); err == nil {
		t.Error("reserved metadata key in Extra accepted")
	}
	f.Meta.Extra = nil
	f.Meta.Config = json.RawMessage(`{`)
	if _, err := f.Bytes(); err == nil {
		t.Error("invalid config JSON accepted")
	}
}

// rawFile assembles a file from a literal header and data section.
func rawFile(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	return append(append(b, header...), data...)
}

const okMeta = `"__metadata__":{"format":"semcodec-model","format_version":"1","model":"m","quality":"1"}`

func TestHostileInput(t *testing.T) {
	valid := encoded(t, sampleFile(t))
	hugeLen := make([]byte, 16)
	binary.LittleEndian.PutUint64(hugeLen, math.MaxUint64)
	cases := []struct {
		name string
		data []byte
		want any // *FormatError-like type to match with errors.As
	}{
		{"empty", nil, FormatError("")},
		{"short length", []byte{1, 2, 3}, FormatError("")},
		{"header length max", hugeLen, FormatError("")},
		{"header past end", rawFile(`{}`, nil)[:9], FormatError("")},
		{"not object", rawFile(`[]`, nil), FormatError("")},
		{"garbage", rawFile(`{"a":`, nil), FormatError("")},
		{"no metadata", rawFile(`{}`, nil), FormatError("")},
		{"wrong format", rawFile(`{"__metadata__":{"format":"other","format_version":"1"}}`, nil), FormatError("")},
		{"future version", rawFile(`{"__metadata__":{"format":"semcodec-model","format_version":"2"}}`, nil), UnsupportedError("")},
		{"bad quality", rawFile(`{"__metadata__":{"format":"semcodec-model","format_version":"1","quality":"x"}}`, nil), FormatError("")},
		{"bad palette", rawFile(`{`+okMeta[:len(okMeta)-1]+`,"palette":"[[1,2,300]]"}}`, nil), FormatError("")},
		{"metadata not strings", rawFile(`{"__metadata__":{"format":1}}`, nil), FormatError("")},
		{"duplicate tensor", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1}), FormatError("")},
		{"unknown dtype", rawFile(`{`+okMeta+`,"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}}`, []byte{1}), FormatError("")},
		{"unsupported dtype", rawFile(`{`+okMeta+`,"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, []byte{1, 2}), UnsupportedError("")},
		{"size mismatch", rawFile(`{`+okMeta+`,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,2]}}`, []byte{1, 2}), FormatError("")},
		{"offset past end", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}`, []byte{1, 2}), FormatError("")},
		{"trailing data", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1, 2}), FormatError("")},
		{"gap", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), FormatError("")},
		{"overlap", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}`, []byte{1, 2, 3}), FormatError("")},
		{"negative dim", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}`, nil), FormatError("")},
		{"overflowing shape", rawFile(`{`+okMeta+`,"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,0]}}`, nil), FormatError("")},
		{"rank too high", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}}`, []byte{1}), FormatError("")},
		{"reversed offsets", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}`, []byte{1}), FormatError("")},
		{"three offsets", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}}`, []byte{1}), FormatError("")},
		{"missing field", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","data_offsets":[0,1]}}`, []byte{1}), FormatError("")},
		{"unknown field", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, []byte{1}), FormatError("")},
		{"float offset", rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1.5]}}`, []byte{1}), FormatError("")},
		{"trailing JSON", rawFile(`{`+okMeta+`} {}`, nil), FormatError("")},
		{"truncated valid", valid[:len(valid)-1], FormatError("")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.data)
			if err == nil {
				t.Fatal("Parse: no error")
			}
			if !strings.HasPrefix(err.Error(), "weights:") {
				t.Errorf("error %q lacks the prefix", err)
			}
			switch c.want.(type) {
			case FormatError:
				var fe FormatError
				if !errors.As(err, &fe) {
					t.Errorf("Parse: %v is not a FormatError", err)
				}
			case UnsupportedError:
				var ue UnsupportedError
				if !errors.As(err, &ue) {
					t.Errorf("Parse: %v is not an UnsupportedError", err)
				}
			}
			// Decode must fail too (its truncation errors are io.ErrUnexpectedEOF).
			if _, err := Decode(bytes.NewReader(c.data)); err == nil && c.name != "trailing data" {
				t.Error("Decode: no error")
			}
		})
	}
}

func TestDecodeTruncated(t *testing.T) {
	valid := encoded(t, sampleFile(t))
	for _, n := range []int{0, 4, 8, 20, len(valid) - 1} {
		_, err := Decode(bytes.NewReader(valid[:n]))
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("Decode of %d/%d bytes: %v, want io.ErrUnexpectedEOF", n, len(valid), err)
		}
	}
}

// A header that claims a huge data section must not make Decode allocate it.
func TestDecodeLyingHeaderAllocatesLittle(t *testing.T) {
	data := rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1000000000],"data_offsets":[0,1000000000]}}`, []byte{1, 2, 3})
	var ms1, ms2 runtimeMem
	ms1.read()
	_, err := Decode(bytes.NewReader(data))
	ms2.read()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("got %v, want io.ErrUnexpectedEOF", err)
	}
	if d := ms2.total - ms1.total; d > 10<<20 {
		t.Errorf("Decode allocated %d bytes for a 3-byte data section", d)
	}
}

func TestDecodeMetadata(t *testing.T) {
	src := sampleFile(t)
	data := encoded(t, src)
	hlen := binary.LittleEndian.Uint64(data)
	// Only the header is given: DecodeMetadata must not need the data.
	meta, err := DecodeMetadata(bytes.NewReader(data[:8+hlen]))
	if err != nil || !reflect.DeepEqual(meta, src.Meta) {
		t.Errorf("got %+v, %v", meta, err)
	}
}
