package weights

import (
	"bytes"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse, Decode and DecodeMetadata. They
// must never panic, must agree, and whatever parses must re-encode to a file
// that parses to the same tensors.
func FuzzParse(f *testing.F) {
	f.Add(encoded(f, sampleFile(f)))
	small := New(Metadata{Model: "m", Quality: 1})
	t1, _ := NewU8("a", []int{2}, []uint8{7, 9})
	small.Add(t1)
	f.Add(encoded(f, small))
	f.Add(rawFile(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`, []byte{1}))
	f.Add(rawFile(`{`+okMeta+`,"a":{"dtype":"F16","shape":[0],"data_offsets":[0,0]}}`, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, metaErr := DecodeMetadata(bytes.NewReader(data))
		file, err := Parse(data)
		decoded, decErr := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if metaErr != nil || decErr != nil {
			t.Fatalf("Parse accepted what DecodeMetadata (%v) or Decode (%v) rejected", metaErr, decErr)
		}
		if decoded.Len() != file.Len() {
			t.Fatalf("Parse found %d tensors, Decode %d", file.Len(), decoded.Len())
		}
		for _, name := range file.Names() {
			tt, _ := file.Tensor(name)
			if _, err := tt.Float32(); err != nil {
				t.Fatalf("tensor %q: %v", name, err)
			}
		}
		file.Meta.Extra = cloneMeta(file.Meta).Extra // force the canonical encoder
		file.raw = nil
		enc, err := file.Bytes()
		if err != nil {
			return // e.g. Extra holding a reserved key cannot occur; other encode errors are fine
		}
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-encoded file does not parse: %v", err)
		}
		for _, name := range file.Names() {
			a, _ := file.Tensor(name)
			b, err := again.Tensor(name)
			if err != nil || !bytes.Equal(a.Data, b.Data) || a.DType != b.DType {
				t.Fatalf("tensor %q changed on re-encoding", name)
			}
		}
	})
}
