package codec

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"io"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/blas"
	"github.com/semcodec/semcodec/imageio"
)

// encodedCache shares encodings between tests: each new image size costs a
// graph compilation.
var encodedCache sync.Map // [2]int{w, h} -> []byte

func encodedImage(t testing.TB, w, h int) []byte {
	t.Helper()
	if v, ok := encodedCache.Load([2]int{w, h}); ok {
		return v.([]byte)
	}
	data := encodeBytes(t, mustModel(t), testImage(w, h))
	encodedCache.Store([2]int{w, h}, data)
	return data
}

func decoder(t testing.TB) *Decoder { return &Decoder{Models: []*Model{mustModel(t)}} }

func toGray(src image.Image) *image.Gray {
	g := image.NewGray(src.Bounds())
	draw.Draw(g, g.Bounds(), src, src.Bounds().Min, draw.Src)
	return g
}

func TestRoundTripFormats(t *testing.T) {
	m := mustModel(t)
	base := testImage(40, 30)
	gray16 := image.NewGray16(base.Bounds())
	draw.Draw(gray16, gray16.Bounds(), base, image.Point{}, draw.Src)
	rgba64 := image.NewRGBA64(base.Bounds())
	draw.Draw(rgba64, rgba64.Bounds(), base, image.Point{}, draw.Src)
	alpha := image.NewNRGBA(base.Bounds())
	draw.Draw(alpha, alpha.Bounds(), base, image.Point{}, draw.Src)
	for i := 0; i < len(alpha.Pix); i += 4 {
		alpha.Pix[i+3] = uint8(i / 4 % 256) // varying transparency
	}
	paletted := image.NewPaletted(base.Bounds(), color.Palette{color.Black, color.White, color.RGBA{200, 30, 30, 255}})
	draw.Draw(paletted, paletted.Bounds(), base, image.Point{}, draw.Src)
	offset := testImage(50, 40).SubImage(image.Rect(7, 5, 47, 35)) // bounds not at the origin
	cases := []struct {
		name string
		img  image.Image
	}{
		{"rgba", base}, {"gray", toGray(base)}, {"gray16", gray16}, {"rgba64", rgba64},
		{"nrgba alpha", alpha}, {"paletted", paletted}, {"offset bounds", offset},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := encodeBytes(t, m, c.img)
			// The encoder must see exactly imageio's 8-bit RGB conversion.
			if want := encodeBytes(t, m, imageio.ToRGB(c.img)); !bytes.Equal(data, want) {
				t.Error("encoding differs from encoding the imageio.ToRGB conversion")
			}
			res, err := decoder(t).Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if res.Image.Bounds() != image.Rect(0, 0, 40, 30) || res.Plain.Bounds() != res.Image.Bounds() {
				t.Errorf("decoded bounds %v / %v", res.Image.Bounds(), res.Plain.Bounds())
			}
		})
	}
}

func TestRoundTripSizes(t *testing.T) {
	m := mustModel(t)
	for _, size := range [][2]int{{1, 1}, {70, 50}, {65, 130}, {64, 64}} {
		w, h := size[0], size[1]
		data := encodedImage(t, w, h)
		cfg, err := DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := Config{Width: w, Height: h, Model: m.Name(), ModelID: m.ID(), Quality: float64(m.Quality()),
			LatentWidth: padded(w) / 16, LatentHeight: padded(h) / 16, FormatVersion: fixedRateVersion}
		if cfg != want {
			t.Errorf("%dx%d: config %+v, want %+v", w, h, cfg, want)
		}
		info, err := Inspect(bytes.NewReader(data))
		if err != nil || info.Bytes != int64(len(data)) || info.Config != want {
			t.Errorf("%dx%d: Inspect %+v, %v (file %d bytes)", w, h, info, err, len(data))
		}
		res, err := decoder(t).Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%dx%d: %v", w, h, err)
		}
		if res.Image.Bounds().Size() != image.Pt(w, h) || res.Segmentation.Map.Bounds().Size() != image.Pt(w, h) {
			t.Errorf("%dx%d: decoded %v, labels %v", w, h, res.Image.Bounds(), res.Segmentation.Map.Bounds())
		}
		for _, v := range res.Segmentation.Map.Pix {
			if int(v) >= len(res.Segmentation.Classes) {
				t.Fatalf("%dx%d: label %d of %d classes", w, h, v, len(res.Segmentation.Classes))
			}
		}
		if res.Config != want || len(res.Segmentation.Palette) != m.Config().Classes {
			t.Errorf("%dx%d: result config %+v, palette %d", w, h, res.Config, len(res.Segmentation.Palette))
		}
	}
}

func TestDeterministic(t *testing.T) {
	m := mustModel(t)
	img := testImage(70, 50)
	data := encodedImage(t, 70, 50)
	if again := encodeBytes(t, m, img); !bytes.Equal(data, again) {
		t.Error("encoding the same image twice gave different files")
	}
	a, err := decoder(t).Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := decoder(t).Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Image.Pix, b.Image.Pix) || !bytes.Equal(a.Plain.Pix, b.Plain.Pix) ||
		!bytes.Equal(a.Segmentation.Map.Pix, b.Segmentation.Map.Pix) {
		t.Error("decoding the same file twice gave different outputs")
	}
}

// decodeLatents runs the entropy-decoding half of a decode: the integers the
// synthesis would get.
func decodeLatents(t *testing.T, d *Decoder, data []byte) *latents {
	t.Helper()
	st, err := d.start(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.readSemantic(); err != nil {
		t.Fatal(err)
	}
	if err := st.readImage(); err != nil {
		t.Fatal(err)
	}
	// The decoder keeps the two segments' latents apart; join them as y.
	m := st.m
	st.l.y = joinChannels(st.yImg, st.ySem, m.cfg.MImage, m.cfg.LatentChannels()-m.cfg.MImage)
	return &st.l
}

// joinChannels is the inverse of splitChannels.
func joinChannels(first, rest []int32, k, r int) []int32 {
	n := len(first) / max(k, 1)
	v := make([]int32, 0, n*(k+r))
	for p := range n {
		v = append(v, first[p*k:(p+1)*k]...)
		v = append(v, rest[p*r:(p+1)*r]...)
	}
	return v
}

// The decoder must recover exactly the encoder's latents whatever the
// parallelism or backend on either side.
func TestLatentsExactAcrossProcsAndBackends(t *testing.T) {
	m := mustModel(t)
	img := testImage(65, 130)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range [][2]int{{1, 2}, {2, 1}} {
		runtime.GOMAXPROCS(procs[0])
		enc, err := m.analyse(img)
		if err != nil {
			t.Fatal(err)
		}
		data := encodeBytes(t, m, img)
		runtime.GOMAXPROCS(procs[1])
		dec := decodeLatents(t, decoder(t), data)
		if !slices.Equal(enc.y, dec.y) || !slices.Equal(enc.z, dec.z) {
			t.Errorf("encoded with GOMAXPROCS=%d, decoded with %d: latents differ", procs[0], procs[1])
		}
	}
	runtime.GOMAXPROCS(2)
	f, err := testModelFile()
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewModel(f)
	if err != nil {
		t.Fatal(err)
	}
	if other.be, err = backend.NewSemCPU("ops_sequential,dotgeneral_large"); err != nil {
		t.Fatal(err)
	}
	enc, err := other.analyse(img)
	if err != nil {
		t.Fatal(err)
	}
	data := encodeBytes(t, other, img)
	dec := decodeLatents(t, decoder(t), data)
	if !slices.Equal(enc.y, dec.y) || !slices.Equal(enc.z, dec.z) {
		t.Error("encoded on semcpu:ops_sequential,dotgeneral_large, decoded with the default backend: latents differ")
	}
	if _, err := (&Decoder{Models: []*Model{other}}).Decode(bytes.NewReader(encodedImage(t, 70, 50))); err != nil {
		t.Errorf("decoding on the other backend: %v", err)
	}
	// OpenBLAS or the pure-Go sgemm, semcpu's kernels or simplego's own: a
	// file encoded on one path decodes to the same integers on another.
	for _, path := range []struct {
		name string
		set  func() (restore func())
	}{
		{"pure-Go sgemm", func() func() { return blas.SetEnabled(false) }},
		{"simplego executors", func() func() { return backend.SetFastPath(false) }},
	} {
		restore := path.set()
		enc, err := m.analyse(img)
		if err != nil {
			t.Fatal(err)
		}
		data := encodeBytes(t, m, img)
		restore()
		dec := decodeLatents(t, decoder(t), data)
		if !slices.Equal(enc.y, dec.y) || !slices.Equal(enc.z, dec.z) {
			t.Errorf("encoded with %s, decoded with the default path: latents differ", path.name)
		}
		restore = path.set()
		again := decodeLatents(t, decoder(t), data)
		restore()
		if !slices.Equal(again.y, dec.y) || !slices.Equal(again.z, dec.z) {
			t.Errorf("decoded with %s and with the default path: latents differ", path.name)
		}
	}
}

func TestSegmentationOnly(t *testing.T) {
	data := encodedImage(t, 70, 50)
	full, err := decoder(t).Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	// Cut the file right after the semantic segment: DecodeSegmentation must
	// not need the rest.
	f, err := bitstream.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:len(data)-len(f.Image)-9]
	seg, err := decoder(t).DecodeSegmentation(bytes.NewReader(cut))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seg.Map.Pix, full.Segmentation.Map.Pix) || seg.Map.Rect != full.Segmentation.Map.Rect {
		t.Error("segmentation-only map differs from the full decode's")
	}
	if _, err := decoder(t).Decode(bytes.NewReader(cut)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("full decode of the cut file: %v, want io.ErrUnexpectedEOF", err)
	}
	plain, err := (&Decoder{Models: []*Model{mustModel(t)}, NoEnhance: true}).Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain.Image.Pix, full.Plain.Pix) || !bytes.Equal(plain.Segmentation.Map.Pix, full.Segmentation.Map.Pix) {
		t.Error("NoEnhance decode differs from the full decode's plain image or labels")
	}
	if bytes.Equal(full.Image.Pix, full.Plain.Pix) {
		t.Error("the enhanced image equals the plain one: enhancement did not run")
	}
	lean, err := (&Decoder{Models: []*Model{mustModel(t)}, SkipPlain: true}).Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if lean.Plain != nil || !bytes.Equal(lean.Image.Pix, full.Image.Pix) {
		t.Errorf("SkipPlain: Plain %v, image equal to the full decode's: %v", lean.Plain != nil, bytes.Equal(lean.Image.Pix, full.Image.Pix))
	}
}

// Files of format version 1, whose table indexes round scales up, still
// decode to the encoder's latents, and the current version is smaller.
func TestOlderVersionDecodes(t *testing.T) {
	m := mustModel(t)
	img, err := imageio.ReadImage("../testdata/kodim23_crop.png")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := m.analyse(img)
	if err != nil {
		t.Fatal(err)
	}
	// Version 2 changed the table rule, which makes files smaller; version 3
	// is version 2's rule, and later versions add a colour transform.
	var size [3]int
	for i, v := range []uint8{1, 3, bitstream.Version} {
		f, err := m.encodeVersion(img, v, 0, rate{quality: uint8(m.Quality())})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := bitstream.Write(&buf, f); err != nil {
			t.Fatal(err)
		}
		size[i] = buf.Len()
		dec := decodeLatents(t, decoder(t), buf.Bytes())
		if !slices.Equal(enc.y, dec.y) || !slices.Equal(enc.z, dec.z) {
			t.Errorf("version %d: decoded latents differ from the encoder's", v)
		}
	}
	t.Logf("version 1: %d bytes, version 3: %d bytes, version %d: %d bytes", size[0], size[1], bitstream.Version, size[2])
	if size[1] >= size[0] {
		t.Errorf("version 3 file (%d bytes) is not smaller than version 1's (%d)", size[1], size[0])
	}
	if size[2] != size[1]+colourBlockSize {
		t.Errorf("version %d file is %d bytes, want version 3's %d and the colour transform's %d", bitstream.Version, size[2], size[1], colourBlockSize)
	}
}

// The coded size must match the network's own rate estimate: the payloads
// within 2% plus the 4 bytes each rANS stream flushes.
func TestRateMatchesEstimate(t *testing.T) {
	m := mustModel(t)
	// A real photograph (256x256 crop of Kodak's kodim23, shipped in the repo).
	img, err := imageio.ReadImage("../testdata/kodim23_crop.png")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	f, err := bitstream.Read(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	payload := float64(len(f.Hyper) + len(f.Semantic) + len(f.Image))
	bits, err := m.EstimateBits(img)
	if err != nil {
		t.Fatal(err)
	}
	est := bits / 8
	t.Logf("file %d bytes, payload %.0f bytes, model estimate %.1f bytes (%+.2f%%)", buf.Len(), payload, est, 100*(payload/est-1))
	if est < 200 {
		t.Fatalf("estimate %.1f bytes: the test model codes almost nothing", est)
	}
	if d := payload - est; d > 0.02*est+12 || d < -0.02*est {
		t.Errorf("payload %.0f bytes vs estimate %.1f", payload, est)
	}
}

func TestLimitsAndErrors(t *testing.T) {
	m := mustModel(t)
	data := encodedImage(t, 70, 50)
	if _, err := (&Decoder{Models: []*Model{m}, MaxPixels: 70*50 - 1}).Decode(bytes.NewReader(data)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("pixel limit: %v", err)
	}
	if len(DefaultQualities()) == 0 {
		if _, err := Decode(bytes.NewReader(data)); !errors.Is(err, ErrUnknownModel) {
			t.Errorf("decode without the model: %v", err)
		}
		if err := Encode(io.Discard, testImage(8, 8), nil); !errors.Is(err, ErrNoModel) {
			t.Errorf("encode without a model: %v", err)
		}
	}
	if err := m.Encode(io.Discard, image.NewRGBA(image.Rect(0, 0, 0, 5))); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty image: %v", err)
	}
	if err := m.Encode(io.Discard, image.NewGray(image.Rect(0, 0, MaxDimension+1, 1))); !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized image: %v", err)
	}
	if _, err := DecodeConfig(bytes.NewReader([]byte("not a file"))); err == nil {
		t.Error("DecodeConfig accepted garbage")
	}
	// image.DecodeConfig finds the format by its magic.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || format != "smc" || cfg.Width != 70 || cfg.Height != 50 {
		t.Errorf("image.DecodeConfig: %v %q %v", cfg, format, err)
	}
}

// Truncated or damaged files must give errors, never panics.
func TestCorruptFiles(t *testing.T) {
	data := encodedImage(t, 70, 50)
	d := decoder(t)
	for n := 0; n < len(data); n += max(1, len(data)/97) {
		if _, err := d.Decode(bytes.NewReader(data[:n])); err == nil {
			t.Fatalf("truncated to %d of %d bytes: no error", n, len(data))
		}
		if _, err := d.DecodeSegmentation(bytes.NewReader(data[:n])); err == nil && n < len(data)-9 {
			// The segmentation survives only the loss of the image segment.
			f, _ := bitstream.Read(bytes.NewReader(data))
			if n < len(data)-len(f.Image)-9 {
				t.Fatalf("segmentation of a file truncated to %d bytes: no error", n)
			}
		}
	}
	for i := range data {
		bad := slices.Clone(data)
		bad[i] ^= 1 << (i % 8)
		if _, err := d.Decode(bytes.NewReader(bad)); err == nil {
			t.Fatalf("bit %d of byte %d flipped: no error", i%8, i)
		}
	}
}

// Damage inside a segment with a recomputed checksum reaches the entropy
// decoder and the network: errors or garbage, never a panic.
func TestCorruptPayloads(t *testing.T) {
	data := encodedImage(t, 70, 50)
	f, err := bitstream.Read(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	d := decoder(t)
	for i, seg := range []*[]byte{&f.Hyper, &f.Semantic, &f.Image} {
		orig := *seg
		for _, mutate := range []func([]byte) []byte{
			func(b []byte) []byte { return b[:len(b)/2] },
			func(b []byte) []byte { c := slices.Clone(b); c[len(c)/3] ^= 0x5a; return c },
			func(b []byte) []byte { return append(slices.Clone(b), 0) },
			func(b []byte) []byte { return nil },
		} {
			*seg = mutate(orig)
			var buf bytes.Buffer
			if err := bitstream.Write(&buf, f); err != nil {
				t.Fatal(err)
			}
			res, err := d.Decode(bytes.NewReader(buf.Bytes()))
			if err == nil && res.Image.Bounds().Dx() != 70 {
				t.Errorf("segment %d: decoded a wrong size", i)
			}
		}
		*seg = orig
	}
}
