package bitstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead parses arbitrary bytes. Every error must be one of the package's
// typed errors, and a file that parses must write back to exactly the bytes
// it was read from (the format has one encoding per file), with ReadHeader
// and ReadPartial agreeing with Read.
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.smc"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	// Hostile inline seeds: other formats, a future version, oversized
	// dimensions behind a good checksum, a 1 GiB segment on a short input.
	hdr := rawHeader(Version, 0, "m", 64, 64, 4, 4)
	f.Add([]byte{})
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"))
	f.Add(rawHeader(2, 0, "m", 64, 64, 4, 4))
	f.Add(rawHeader(Version, 0, "m", 65535, 65535, 4096, 4096))
	f.Add(append(bytes.Clone(hdr), rawSegment(1, DefaultMaxSegmentSize, []byte{1, 2, 3})...))
	f.Add(append(bytes.Clone(hdr), rawSegment(1, 0xffffffff, nil)...))
	f.Add(append(append(append(bytes.Clone(hdr), rawSegment(1, 1, []byte{7})...), rawSegment(2, 0, nil)...), rawSegment(3, 2, []byte{8, 9})...))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRead(t, data)
		// Mutations nearly always break a checksum; repairing them lets the
		// fuzzer reach the field and segment checks behind the CRCs.
		checkRead(t, repairChecksums(data))
	})
}

// repairChecksums returns data with the header and segment CRCs recomputed
// wherever the lengths it declares fit in the input.
func repairChecksums(data []byte) []byte {
	b := bytes.Clone(data)
	if len(b) < 8 {
		return b
	}
	end := headerSize(int(b[7])) - 4
	if len(b) < end+4 {
		return b
	}
	binary.LittleEndian.PutUint32(b[end:], crc32.ChecksumIEEE(b[:end]))
	pos := end + 4
	for range 3 {
		if len(b) < pos+5 {
			return b
		}
		end := int64(pos) + 5 + int64(binary.LittleEndian.Uint32(b[pos+1:]))
		if end+4 > int64(len(b)) {
			return b
		}
		binary.LittleEndian.PutUint32(b[end:], crc32.ChecksumIEEE(b[pos:end]))
		pos = int(end) + 4
	}
	return b
}

// checkRead runs the readers on data: every error must be typed, and a
// file that parses must write back to exactly its own bytes.
func checkRead(t *testing.T, data []byte) {
	h, herr := ReadHeader(bytes.NewReader(data))
	file, err := Read(bytes.NewReader(data))
	if err != nil {
		var fe FormatError
		var ve UnsupportedVersionError
		if !errors.As(err, &fe) && !errors.As(err, &ve) && !errors.Is(err, ErrTruncated) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("untyped error %v", err)
		}
		if herr == nil && errors.Is(err, ErrFormat) {
			t.Fatal("ReadHeader accepted what Read calls not a semcodec file")
		}
		return
	}
	if herr != nil || h != file.Header {
		t.Fatalf("ReadHeader = %+v, %v; Read gave %+v", h, herr, file.Header)
	}
	var out bytes.Buffer
	if err := Write(&out, file); err != nil {
		t.Fatalf("Write of a file Read accepted: %v", err)
	}
	if !bytes.Equal(out.Bytes(), data[:out.Len()]) {
		t.Fatal("file does not write back to its own bytes")
	}
	part, err := ReadPartial(bytes.NewReader(data), SegmentSemantic)
	if err != nil || !bytes.Equal(part.Hyper, file.Hyper) || !bytes.Equal(part.Semantic, file.Semantic) {
		t.Fatalf("ReadPartial disagrees with Read: %v", err)
	}
}
