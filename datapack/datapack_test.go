package datapack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/metrics"
)

// testImage is a smooth gradient with mild noise: JPEG-like content that
// packs at a predictable quality.
func testImage(w, h int, seed uint64) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 1))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			n := uint8(r.IntN(8))
			img.SetRGBA(x, y, color.RGBA{uint8(x*255/w) + n, uint8(y*255/h) + n, uint8((x+y)*127/(w+h)) + n, 255})
		}
	}
	return img
}

func testLabels(w, h, k int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(i % (k + 1))
		if int(g.Pix[i]) == k {
			g.Pix[i] = IgnoreLabel
		}
	}
	return g
}

func buildPack(t testing.TB, opts *Options) ([]byte, []Sample) {
	t.Helper()
	samples := []Sample{
		{Name: "a.png", Classes: "camvid", NumClasses: 11, Image: testImage(40, 24, 1), Labels: testLabels(40, 24, 11)},
		{Name: "b.png", Image: testImage(17, 33, 2)},
		{Name: "c.png", Classes: "cityscapes", NumClasses: 19, Image: testImage(9, 8, 3), Labels: testLabels(9, 8, 19)},
	}
	w, err := NewWriter(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range samples {
		if err := w.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	n, err := w.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if size, _ := w.Size(); size != n || int64(buf.Len()) != n {
		t.Fatalf("Size %d, wrote %d, buffer %d", size, n, buf.Len())
	}
	return buf.Bytes(), samples
}

func TestRoundTrip(t *testing.T) {
	data, samples := buildPack(t, nil)
	p, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Len() != len(samples) {
		t.Fatalf("Len %d, want %d", p.Len(), len(samples))
	}
	if q := p.Config(); q.Quality != DefaultQuality || q.ChromaQuality != DefaultQuality-DefaultChromaDrop {
		t.Errorf("qualities %d/%d", q.Quality, q.ChromaQuality)
	}
	for i, s := range samples {
		info := p.Info(i)
		if info.Name != s.Name || info.Classes != s.Classes || info.NumClasses != s.NumClasses ||
			info.Width != s.Image.Bounds().Dx() || info.Height != s.Image.Bounds().Dy() {
			t.Errorf("entry %d: info %+v", i, info)
		}
		img, err := p.Image(i)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := metrics.PSNR(s.Image, img); got < 35 {
			t.Errorf("entry %s: PSNR %.2f dB, want >= 35", s.Name, got)
		}
		l, err := p.Labels(i)
		if err != nil {
			t.Fatal(err)
		}
		if (l == nil) != (s.Labels == nil) {
			t.Fatalf("entry %s: labels presence %v, want %v", s.Name, l != nil, s.Labels != nil)
		}
		if l != nil && !bytes.Equal(l.Pix, s.Labels.Pix) {
			t.Errorf("entry %s: labels differ", s.Name)
		}
	}
	if _, err := p.Image(3); !errors.Is(err, ErrIndex) {
		t.Errorf("Image(3): %v, want ErrIndex", err)
	}
	cfg, err := DecodeConfig(bytes.NewReader(data))
	if err != nil || len(cfg.Entries) != 3 || cfg.Entries[1].Labelled() {
		t.Errorf("DecodeConfig: %+v, %v", cfg, err)
	}
}

// Higher quality must cost bytes and buy PSNR: the options are honoured.
func TestQualityTradeoff(t *testing.T) {
	img := testImage(64, 64, 7)
	var prevBytes int64
	prevPSNR := 0.0
	for _, q := range []int{60, 85, 98} {
		e, err := Encode(Sample{Name: "x", Image: img}, &Options{Quality: q})
		if err != nil {
			t.Fatal(err)
		}
		st := e.Stat()
		if st.ImageBytes <= prevBytes || st.PSNR() <= prevPSNR {
			t.Errorf("q=%d: %d bytes %.2f dB, not above %d bytes %.2f dB", q, st.ImageBytes, st.PSNR(), prevBytes, prevPSNR)
		}
		prevBytes, prevPSNR = st.ImageBytes, st.PSNR()
	}
}

func TestWriterErrors(t *testing.T) {
	img := testImage(8, 8, 1)
	bad := testLabels(8, 8, 11)
	bad.Pix[5] = 11 // CamVid void must have been mapped to IgnoreLabel
	tests := []struct {
		name string
		s    Sample
		want string
	}{
		{"no name", Sample{Image: img}, "empty name"},
		{"no image", Sample{Name: "x"}, "no image"},
		{"label out of range", Sample{Name: "x", Classes: "camvid", NumClasses: 11, Image: img, Labels: bad}, "outside 0..10"},
		{"label size", Sample{Name: "x", Classes: "camvid", NumClasses: 11, Image: img, Labels: testLabels(8, 7, 11)}, "labels are 8x7"},
		{"labels without classes", Sample{Name: "x", Image: img, Labels: testLabels(8, 8, 3)}, "class set"},
		{"classes without labels", Sample{Name: "x", Classes: "camvid", NumClasses: 11, Image: img}, "without labels"},
		{"empty image", Sample{Name: "x", Image: image.NewRGBA(image.Rect(0, 0, 0, 5))}, "size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Encode(tc.s, nil)
			var se *SampleError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want a SampleError containing %q", err, tc.want)
			}
		})
	}
	if _, err := NewWriter(&Options{Quality: 101}); err == nil {
		t.Error("quality 101 accepted")
	}
	w, _ := NewWriter(nil)
	if err := w.Add(Sample{Name: "x", Image: img}); err != nil {
		t.Fatal(err)
	}
	if err := w.Add(Sample{Name: "x", Image: img}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
	w.maxBytes = 100
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); !errors.Is(err, ErrTooLarge) || buf.Len() != 0 {
		t.Errorf("over budget: %v, %d bytes written", err, buf.Len())
	}
	empty, _ := NewWriter(nil)
	if _, err := empty.WriteTo(&buf); err == nil {
		t.Error("empty pack written")
	}
}

func TestCorruptPacks(t *testing.T) {
	data, _ := buildPack(t, nil)
	idxLen := int(binary.LittleEndian.Uint32(data[8:]))
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), data...)) }
	tests := []struct {
		name string
		data []byte
		want any
	}{
		{"empty", nil, FormatError("")},
		{"header only", data[:headerSize], FormatError("")},
		{"bad magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), FormatError("")},
		{"new version", mutate(func(b []byte) []byte { b[4] = 2; return b }), UnsupportedError("")},
		{"flags", mutate(func(b []byte) []byte { b[6] = 1; return b }), UnsupportedError("")},
		{"huge index", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[8:], 1<<31); return b }), FormatError("")},
		{"index byte", mutate(func(b []byte) []byte { b[headerSize+10] ^= 1; return b }), FormatError("")},
		{"first plane byte", mutate(func(b []byte) []byte { b[headerSize+idxLen+100] ^= 0x40; return b }), FormatError("")},
		{"last byte", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), FormatError("")},
		{"truncated", data[:len(data)-1], FormatError("")},
		{"extended", append(append([]byte(nil), data...), 0), FormatError("")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.data)
			switch tc.want.(type) {
			case FormatError:
				var fe FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("got %v, want FormatError", err)
				}
			case UnsupportedError:
				var ue UnsupportedError
				if !errors.As(err, &ue) {
					t.Fatalf("got %v, want UnsupportedError", err)
				}
			}
			if !strings.HasPrefix(err.Error(), "datapack:") {
				t.Errorf("error %q lacks the datapack: prefix", err)
			}
		})
	}
}

func TestOpenFile(t *testing.T) {
	data, _ := buildPack(t, nil)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.pack")
	if err := os.WriteFile(good, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if p, err := Open(good); err != nil || p.Len() != 3 {
		t.Fatalf("Open: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing.pack")); err == nil || !strings.Contains(err.Error(), "missing.pack") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.pack")
	if err := os.WriteFile(bad, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(bad); err == nil || !strings.Contains(err.Error(), "bad.pack") {
		t.Errorf("half a pack: %v", err)
	}
}

func TestStatPSNR(t *testing.T) {
	if s := (Stat{}); !math.IsInf(s.PSNR(), 1) {
		t.Errorf("lossless PSNR %v, want +Inf", s.PSNR())
	}
	s := Stat{Pixels: 1, SquaredErr: 3 * 255 * 255}
	if s.PSNR() != 0 {
		t.Errorf("PSNR of full-scale error %v, want 0", s.PSNR())
	}
}
