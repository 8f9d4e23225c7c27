package bitstream

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// updateGolden regenerates testdata/*.smc instead of comparing with it:
// SEMCODEC_UPDATE_GOLDEN=1 go test ./bitstream -run Golden
var updateGolden = os.Getenv("SEMCODEC_UPDATE_GOLDEN") != ""

func sampleFile() *File {
	return &File{
		Header: Header{
			Version:   Version,
			ModelName: "semcodec-small-q3",
			ModelID:   [8]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4},
			Quality:   3,
			Width:     768, Height: 512,
			LatentWidth: 48, LatentHeight: 32,
		},
		Hyper:    []byte("hyper-latent bytes"),
		Semantic: []byte("semantic latent bytes"),
		Image:    bytes.Repeat([]byte{0xa5, 0x5a}, 100),
	}
}

func encode(t testing.TB, f *File) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if int64(b.Len()) != f.EncodedSize() {
		t.Fatalf("wrote %d bytes, EncodedSize says %d", b.Len(), f.EncodedSize())
	}
	return b.Bytes()
}

// normalize maps empty payloads to nil so read files compare with written
// ones.
func normalize(f *File) *File {
	g := *f
	for _, p := range []*[]byte{&g.Hyper, &g.Semantic, &g.Image} {
		if len(*p) == 0 {
			*p = nil
		}
	}
	return &g
}

func TestRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB: the growing-buffer path
	tests := []struct {
		name string
		edit func(f *File)
	}{
		{"sample", func(f *File) {}},
		{"empty name and payloads", func(f *File) { f.ModelName = ""; f.Hyper, f.Semantic, f.Image = nil, nil, nil }},
		{"longest name", func(f *File) { f.ModelName = strings.Repeat("n", MaxModelName) }},
		{"unicode name", func(f *File) { f.ModelName = "modèle-λ=0.0130" }},
		{"one pixel", func(f *File) { f.Width, f.Height, f.LatentWidth, f.LatentHeight = 1, 1, 1, 1 }},
		{"largest", func(f *File) {
			f.Width, f.Height = MaxDimension, MaxDimension
			f.LatentWidth, f.LatentHeight = MaxLatentDimension, MaxLatentDimension
		}},
		{"padded grid", func(f *File) { f.Width, f.Height, f.LatentWidth, f.LatentHeight = 100, 65, 8, 8 }},
		{"oldest version", func(f *File) { f.Version = MinVersion }},
		{"big image segment", func(f *File) { f.Image = big }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleFile()
			tc.edit(f)
			data := encode(t, f)
			got, err := Read(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(f)) {
				t.Fatalf("read %+v\nwrote %+v", got.Header, f.Header)
			}
			h, err := ReadHeader(bytes.NewReader(data))
			if err != nil || h != f.Header {
				t.Fatalf("ReadHeader = %+v, %v", h, err)
			}
		})
	}
}

func TestHyperGrid(t *testing.T) {
	for _, tc := range []struct{ latent, hyper int }{{1, 1}, {4, 1}, {5, 2}, {32, 8}, {1024, 256}} {
		h := Header{LatentWidth: tc.latent, LatentHeight: tc.latent}
		if h.HyperWidth() != tc.hyper || h.HyperHeight() != tc.hyper {
			t.Errorf("latent %d: hyper %dx%d, want %d", tc.latent, h.HyperWidth(), h.HyperHeight(), tc.hyper)
		}
	}
}

// limitedReader fails the test if anything reads at or past limit.
type limitedReader struct {
	t     *testing.T
	data  []byte
	pos   int
	limit int
}

func (r *limitedReader) Read(p []byte) (int, error) {
	if r.pos >= len(r.data) {
		return 0, io.EOF
	}
	n := copy(p, r.data[r.pos:])
	if r.pos+n > r.limit {
		r.t.Fatalf("read up to byte %d, past the limit %d", r.pos+n, r.limit)
	}
	r.pos += n
	return n, nil
}

// TestPartialReadsStopEarly checks that the header-only and segmentation
// reads never touch the bytes they do not need.
func TestPartialReadsStopEarly(t *testing.T) {
	f := sampleFile()
	data := encode(t, f)
	hdr := headerSize(len(f.ModelName))
	semEnd := hdr + 2*segmentOverhead + len(f.Hyper) + len(f.Semantic)

	h, err := ReadHeader(&limitedReader{t: t, data: data, limit: hdr})
	if err != nil || h != f.Header {
		t.Fatalf("ReadHeader: %+v, %v", h, err)
	}
	got, err := ReadPartial(&limitedReader{t: t, data: data, limit: semEnd}, SegmentSemantic)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Hyper, f.Hyper) || !bytes.Equal(got.Semantic, f.Semantic) || got.Image != nil {
		t.Fatalf("ReadPartial returned %q %q %q", got.Hyper, got.Semantic, got.Image)
	}
	// The image segment may be damaged: the segmentation still decodes.
	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 0xff
	if _, err := ReadPartial(bytes.NewReader(bad), SegmentSemantic); err != nil {
		t.Errorf("damaged image segment broke ReadPartial: %v", err)
	}
	if _, err := Read(bytes.NewReader(bad)); !errors.Is(err, ErrChecksum) {
		t.Errorf("Read of a damaged image segment: %v", err)
	}
	if _, err := ReadPartial(bytes.NewReader(data), 0); err == nil {
		t.Error("ReadPartial accepted segment 0")
	}
	// Bytes after the file are left alone.
	r := bytes.NewReader(append(bytes.Clone(data), "trailer"...))
	if _, err := Read(r); err != nil || r.Len() != len("trailer") {
		t.Errorf("Read consumed the trailer (left %d, err %v)", r.Len(), err)
	}
}

func TestReaderSegments(t *testing.T) {
	f := sampleFile()
	rd, err := NewReader(bytes.NewReader(encode(t, f)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rd.Header() != f.Header {
		t.Fatal("Header differs")
	}
	for _, want := range []Segment{SegmentHyper, SegmentSemantic, SegmentImage} {
		s, p, err := rd.NextSegment()
		if err != nil || s != want || !bytes.Equal(p, f.Segment(want)) {
			t.Fatalf("NextSegment = %v, %q, %v; want %v", s, p, err, want)
		}
	}
	for range 2 {
		if _, _, err := rd.NextSegment(); err != io.EOF {
			t.Fatalf("after the image: %v, want io.EOF", err)
		}
	}
	if SegmentImage.String() != "image" || Segment(9).String() != "segment(9)" {
		t.Error("Segment.String")
	}
	if (&File{}).Segment(9) != nil {
		t.Error("File.Segment(9) not nil")
	}
}

// rawHeader builds header bytes from raw fields with a valid CRC, so tests
// can reach the field checks behind the checksum.
func rawHeader(version, flags byte, name string, w, h, lw, lh uint16) []byte {
	b := []byte(Magic)
	b = append(b, version, flags, 1, byte(len(name)))
	b = append(b, name...)
	b = append(b, make([]byte, 8)...)
	for _, v := range []uint16{w, h, lw, lh} {
		b = binary.LittleEndian.AppendUint16(b, v)
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}

// rawSegment builds a segment with a valid CRC over a declared length that
// may differ from the payload's.
func rawSegment(kind byte, declared uint32, payload []byte) []byte {
	b := []byte{kind}
	b = binary.LittleEndian.AppendUint32(b, declared)
	crc := crc32.Update(crc32.ChecksumIEEE(b), crc32.IEEETable, payload)
	b = append(b, payload...)
	return binary.LittleEndian.AppendUint32(b, crc)
}

// checkErr checks err against want: a *FormatError or
// *UnsupportedVersionError target for errors.As, or an error for errors.Is.
func checkErr(t *testing.T, err error, want any) {
	t.Helper()
	switch w := want.(type) {
	case *FormatError, *UnsupportedVersionError:
		if !errors.As(err, w) {
			t.Fatalf("err = %v (%T), want a %T", err, err, w)
		}
	case error:
		if !errors.Is(err, w) {
			t.Fatalf("err = %v, want %v", err, w)
		}
	}
}

func TestReadErrors(t *testing.T) {
	good := encode(t, sampleFile())
	hdr := rawHeader(Version, 0, "m", 64, 64, 4, 4)
	segs := append(append(rawSegment(1, 1, []byte{7}), rawSegment(2, 0, nil)...), rawSegment(3, 0, nil)...)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x10; return b }
	var format FormatError
	tests := []struct {
		name string
		data []byte
		want any // error value for errors.Is, or *FormatError / *UnsupportedVersionError for errors.As
	}{
		{"valid raw", append(bytes.Clone(hdr), segs...), nil},
		{"empty", nil, ErrTruncated},
		{"short magic", []byte("\x89SM"), ErrTruncated},
		{"not semcodec", []byte("\x89PNG\r\n\x1a\n"), ErrFormat},
		{"future version", rawHeader(Version+1, 0, "m", 64, 64, 4, 4), &UnsupportedVersionError{}},
		{"version zero", rawHeader(0, 0, "m", 64, 64, 4, 4), &UnsupportedVersionError{}},
		{"header cut", good[:20], ErrTruncated},
		{"header damaged", flip(10), ErrChecksum},
		{"header crc damaged", flip(headerSize(len(sampleFile().ModelName)) - 1), ErrChecksum},
		{"flags set in version 2", rawHeader(2, 1, "m", 64, 64, 4, 4), &format},
		{"zero width", rawHeader(Version, 0, "m", 0, 64, 4, 4), &format},
		{"zero height", rawHeader(Version, 0, "m", 64, 0, 4, 4), &format},
		{"width over limit", rawHeader(Version, 0, "m", MaxDimension+1, 64, 1025, 4), ErrTooLarge},
		{"height at 65535", rawHeader(Version, 0, "m", 64, 65535, 4, 4096), ErrTooLarge},
		{"latent over limit", rawHeader(Version, 0, "m", 64, 64, MaxLatentDimension+1, 4), ErrTooLarge},
		{"latent too small", rawHeader(Version, 0, "m", 64, 64, 3, 4), &format},
		{"latent zero", rawHeader(Version, 0, "m", 64, 64, 4, 0), &format},
		{"name not utf8", rawHeader(Version, 0, "\xff\xfe", 64, 64, 4, 4), &format},
		{"no segments", bytes.Clone(hdr), ErrTruncated},
		{"segment out of order", append(bytes.Clone(hdr), rawSegment(2, 0, nil)...), &format},
		{"unknown segment", append(bytes.Clone(hdr), rawSegment(9, 0, nil)...), &format},
		{"segment over limit", append(bytes.Clone(hdr), rawSegment(1, DefaultMaxSegmentSize+1, nil)...), ErrTooLarge},
		{"segment length past input", append(bytes.Clone(hdr), rawSegment(1, 1000, []byte{1, 2})...), ErrTruncated},
		{"huge length past input", append(bytes.Clone(hdr), rawSegment(1, DefaultMaxSegmentSize, []byte{1, 2})...), ErrTruncated},
		{"segment damaged", flip(len(good) - 10), ErrChecksum},
		{"segment crc damaged", flip(len(good) - 1), ErrChecksum},
		{"segment length damaged", flip(headerSize(len(sampleFile().ModelName)) + 1), ErrChecksum},
		{"missing image", good[:len(good)-len(sampleFile().Image)-segmentOverhead], ErrTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(bytes.NewReader(tc.data))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			checkErr(t, err, tc.want)
			if !strings.HasPrefix(err.Error(), "bitstream: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// TestReadEveryPrefix cuts a valid file at every length: each cut must
// report truncation, nothing else.
func TestReadEveryPrefix(t *testing.T) {
	data := encode(t, sampleFile())
	for n := range len(data) {
		if _, err := Read(bytes.NewReader(data[:n])); !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: err = %v", n, err)
		}
	}
}

// TestHugeLengthAllocatesLittle declares a 1 GiB segment on a short input:
// the reader must fail without allocating anything near that.
func TestHugeLengthAllocatesLittle(t *testing.T) {
	data := append(rawHeader(Version, 0, "m", 64, 64, 4, 4), rawSegment(1, DefaultMaxSegmentSize, make([]byte, 100))...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("allocated %d bytes for a %d-byte input", got, len(data))
	}
}

func TestReadOptionsLimit(t *testing.T) {
	f := sampleFile()
	data := encode(t, f)
	rd, err := NewReader(bytes.NewReader(data), &ReadOptions{MaxSegmentSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // hyper and semantic fit
		if _, _, err := rd.NextSegment(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := rd.NextSegment(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("200-byte image segment under a 100-byte limit: %v", err)
	}
	if _, _, err := rd.NextSegment(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error not sticky: %v", err)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, errors.New("disk full")
	}
	w.n--
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	var format FormatError
	tests := []struct {
		name string
		edit func(f *File)
		want any
	}{
		{"zero width", func(f *File) { f.Width = 0 }, &format},
		{"negative height", func(f *File) { f.Height = -1 }, &format},
		{"too wide", func(f *File) { f.Width, f.LatentWidth = MaxDimension+1, MaxLatentDimension+1 }, ErrTooLarge},
		{"latent too wide", func(f *File) { f.LatentWidth = MaxLatentDimension + 1 }, ErrTooLarge},
		{"latent too small", func(f *File) { f.LatentHeight = 31 }, &format},
		{"name too long", func(f *File) { f.ModelName = strings.Repeat("x", MaxModelName+1) }, &format},
		{"name not utf8", func(f *File) { f.ModelName = "\xc3" }, &format},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := sampleFile()
			tc.edit(f)
			var b bytes.Buffer
			err := Write(&b, f)
			checkErr(t, err, tc.want)
			if b.Len() != 0 {
				t.Error("Write wrote bytes before failing validation")
			}
		})
	}
	for n := range 10 {
		if err := Write(&failWriter{n: n}, sampleFile()); err == nil {
			t.Fatalf("writer failing after %d writes: no error", n)
		}
	}
}

// TestGoldenFile pins the format: testdata/sample.smc must be what Write
// makes of sampleFile, byte for byte.
// TestGoldenFile pins the version 2 container (version 3 differs only in
// byte 5, the quality fraction, which TestQualityFraction covers).
func TestGoldenFile(t *testing.T) {
	path := filepath.Join("testdata", "sample.smc")
	f := sampleFile()
	f.Version = 2
	data := encode(t, f)
	if updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want) {
		t.Fatal("Write output differs from testdata/sample.smc: the format changed")
	}
}

func TestQualityFraction(t *testing.T) {
	f := sampleFile()
	f.QualityFraction = 128
	data := encode(t, f)
	if data[5] != 128 {
		t.Fatalf("byte 5 = %d, want the fraction 128", data[5])
	}
	h, err := ReadHeader(bytes.NewReader(data))
	if err != nil || h.Quality != 3 || h.QualityFraction != 128 {
		t.Fatalf("read quality %d+%d/256, %v", h.Quality, h.QualityFraction, err)
	}
	f.Version = 2
	var b bytes.Buffer
	if err := Write(&b, f); err == nil || b.Len() != 0 {
		t.Fatalf("version 2 with a quality fraction: %v, %d bytes", err, b.Len())
	}
}

// TestWriteVersion checks that a zero Version writes the current one and an
// unknown one is refused before anything is written.
func TestWriteVersion(t *testing.T) {
	f := sampleFile()
	f.Version = 0
	h, err := ReadHeader(bytes.NewReader(encode(t, f)))
	if err != nil || h.Version != Version {
		t.Fatalf("zero Version wrote version %d (%v), want %d", h.Version, err, Version)
	}
	f.Version = Version + 1
	var b bytes.Buffer
	var uv UnsupportedVersionError
	if err := Write(&b, f); !errors.As(err, &uv) || b.Len() != 0 {
		t.Fatalf("Write of version %d: %v, %d bytes", f.Version, err, b.Len())
	}
}
