package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func rgbAt(img *image.RGBA, x, y int) [4]uint8 {
	i := img.PixOffset(x, y)
	return [4]uint8(img.Pix[i : i+4])
}

// TestReadColourTypes checks the colour rules on every PNG colour type, with
// expected values worked out by hand.
func TestReadColourTypes(t *testing.T) {
	gray := image.NewGray(image.Rect(0, 0, 2, 1))
	gray.Pix = []uint8{0, 77}

	gray16 := image.NewGray16(image.Rect(0, 0, 3, 1))
	for i, v := range []uint16{0x1234, 0x8080, 0x807f} { // 18.13, 128, 127.996
		gray16.SetGray16(i, 0, color.Gray16{v})
	}

	nrgba := image.NewNRGBA(image.Rect(0, 0, 3, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 0, 128}) // (200·128+255·127)/255 = 227.4
	nrgba.SetNRGBA(1, 0, color.NRGBA{10, 20, 30, 0})    // transparent: white
	nrgba.SetNRGBA(2, 0, color.NRGBA{10, 20, 30, 255})  // opaque: unchanged

	rgba64 := image.NewRGBA64(image.Rect(0, 0, 1, 1))
	rgba64.SetRGBA64(0, 0, color.RGBA64{0xffff, 0x0101, 0x7f7f, 0xffff})

	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{
		color.NRGBA{0, 0, 255, 255}, color.NRGBA{255, 0, 0, 51}, // 51/255 = 0.2 opaque red
	})
	pal.Pix = []uint8{0, 1}

	tests := []struct {
		name string
		img  image.Image
		want [][4]uint8 // row 0, left to right
	}{
		{"gray8", gray, [][4]uint8{{0, 0, 0, 255}, {77, 77, 77, 255}}},
		{"gray16", gray16, [][4]uint8{{18, 18, 18, 255}, {128, 128, 128, 255}, {128, 128, 128, 255}}},
		{"rgba8 with alpha", nrgba, [][4]uint8{{227, 177, 127, 255}, {255, 255, 255, 255}, {10, 20, 30, 255}}},
		{"rgb16", rgba64, [][4]uint8{{255, 1, 127, 255}}},
		{"paletted with transparency", pal, [][4]uint8{{0, 0, 255, 255}, {255, 204, 204, 255}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "in.png", encodePNG(t, tc.img))
			got, err := ReadImage(path)
			if err != nil {
				t.Fatal(err)
			}
			if got.Rect != image.Rect(0, 0, len(tc.want), 1) {
				t.Fatalf("bounds %v", got.Rect)
			}
			for x, want := range tc.want {
				if px := rgbAt(got, x, 0); px != want {
					t.Errorf("pixel %d = %v, want %v", x, px, want)
				}
			}
			// The in-memory conversion follows the same rules.
			mem := ToRGB(tc.img)
			if !bytes.Equal(mem.Pix, got.Pix) {
				t.Errorf("ToRGB %v differs from the decoded file %v", mem.Pix, got.Pix)
			}
		})
	}
}

func TestToRGBPremultipliedAndOffset(t *testing.T) {
	// Premultiplied half-transparent red over white gives pink; a sub-image
	// with a non-zero origin comes back at (0, 0).
	m := image.NewRGBA(image.Rect(0, 0, 3, 3))
	m.SetRGBA(2, 2, color.RGBA{128, 0, 0, 128})
	sub := m.SubImage(image.Rect(1, 1, 3, 3)).(*image.RGBA)
	got := ToRGB(sub)
	if got.Rect != image.Rect(0, 0, 2, 2) {
		t.Fatalf("bounds %v", got.Rect)
	}
	if px := rgbAt(got, 1, 1); px != [4]uint8{255, 127, 127, 255} {
		t.Errorf("pixel = %v", px)
	}
	if px := rgbAt(got, 0, 0); px != [4]uint8{255, 255, 255, 255} { // zero alpha: white
		t.Errorf("transparent pixel = %v", px)
	}
}

func TestReadJPEG(t *testing.T) {
	t.Run("gray", func(t *testing.T) {
		g := image.NewGray(image.Rect(0, 0, 16, 16))
		for i := range g.Pix {
			g.Pix[i] = uint8(i)
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, g, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		got, err := ReadImage(writeFile(t, "g.jpg", buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(got.Pix); i += 4 {
			if got.Pix[i] != got.Pix[i+1] || got.Pix[i] != got.Pix[i+2] {
				t.Fatalf("gray JPEG pixel %d is not gray: %v", i/4, got.Pix[i:i+3])
			}
		}
	})
	t.Run("colour", func(t *testing.T) {
		src := image.NewRGBA(image.Rect(0, 0, 16, 16))
		for i := range src.Pix {
			src.Pix[i] = 255
		}
		for y := 0; y < 16; y++ {
			for x := 0; x < 16; x++ {
				src.SetRGBA(x, y, color.RGBA{200, 40, 60, 255})
			}
		}
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 100}); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeImage(&buf)
		if err != nil {
			t.Fatal(err)
		}
		px := rgbAt(got, 8, 8)
		for c, want := range []uint8{200, 40, 60} {
			if d := int(px[c]) - int(want); d < -3 || d > 3 {
				t.Errorf("channel %d = %d, want about %d", c, px[c], want)
			}
		}
	})
}

// pngHeader builds the signature and an IHDR chunk with a valid CRC.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit truecolour
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestReadErrors(t *testing.T) {
	good := encodePNG(t, image.NewGray(image.Rect(0, 0, 64, 64)))
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"truncated PNG", good[:len(good)/2], ErrTruncated},
		{"header only", good[:20], ErrTruncated},
		{"text file", []byte("hello, this is not an image\n"), ErrFormat},
		{"empty file", nil, ErrFormat},
		{"huge header", pngHeader(100000, 100000), ErrTooLarge},
		{"too many pixels", pngHeader(16384, 16385), ErrTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "bad.png", tc.data)
			_, err := ReadImage(path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.Path != path || !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if !strings.HasPrefix(err.Error(), "imageio: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if _, err := DecodeImage(bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
				t.Errorf("DecodeImage err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nope.png")
		_, err := ReadImage(path)
		if !errors.Is(err, fs.ErrNotExist) || strings.Count(err.Error(), path) != 1 {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestReadConfig(t *testing.T) {
	path := writeFile(t, "a.png", encodePNG(t, image.NewRGBA(image.Rect(0, 0, 7, 5))))
	cfg, format, err := ReadConfig(path)
	if err != nil || cfg.Width != 7 || cfg.Height != 5 || format != "png" {
		t.Fatalf("ReadConfig = %+v, %q, %v", cfg, format, err)
	}
	if _, _, err := DecodeConfig(bytes.NewReader(pngHeader(0, 5))); err == nil {
		t.Fatal("zero width accepted")
	}
}

// oneByteReader defeats any buffering assumption in DecodeImage.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

func TestDecodeImageStream(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 33, 17))
	for i := range src.Pix {
		src.Pix[i] = uint8(i * 7)
		if i%4 == 3 {
			src.Pix[i] = 255
		}
	}
	got, err := DecodeImage(oneByteReader{bytes.NewReader(encodePNG(t, src))})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Pix, src.Pix) {
		t.Fatal("round trip through a one-byte reader changed pixels")
	}
}

func TestFloat32RoundTrip(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 256, 1))
	for x := 0; x < 256; x++ {
		src.SetRGBA(x, 0, color.RGBA{uint8(x), uint8(255 - x), uint8(x / 2), 255})
	}
	f := ToFloat32(src)
	if len(f) != 256*3 || f[3] != 1.0/255 || f[4] != 254.0/255 {
		t.Fatalf("ToFloat32 layout wrong: len %d, f[3:6] = %v", len(f), f[3:6])
	}
	back := FromFloat32(f, 256, 1)
	if !bytes.Equal(back.Pix, src.Pix) {
		t.Fatal("round trip changed pixels")
	}
	// Clamping, rounding to nearest and NaN.
	got := FromFloat32([]float32{-0.5, 1.5, float32(math.NaN()), 0.5 / 255, 0.49 / 255, 127.5 / 255}, 2, 1)
	want := []uint8{0, 255, 0, 255, 1, 0, 128, 255}
	if !bytes.Equal(got.Pix, want) {
		t.Fatalf("FromFloat32 = %v, want %v", got.Pix, want)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("wrong length did not panic")
		}
	}()
	FromFloat32(make([]float32, 5), 2, 1)
}

func TestWritePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.png")
	src := image.NewRGBA(image.Rect(0, 0, 9, 4))
	for i := range src.Pix {
		src.Pix[i] = uint8(i*31) | 1
		if i%4 == 3 {
			src.Pix[i] = 255
		}
	}
	if err := WritePNG(path, src); err != nil {
		t.Fatal(err)
	}
	got, err := ReadImage(path)
	if err != nil || !bytes.Equal(got.Pix, src.Pix) {
		t.Fatalf("read back: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d entries in the folder, want only out.png", len(entries))
	}
	if err := WritePNG(filepath.Join(dir, "missing", "x.png"), src); err == nil {
		t.Fatal("write into a missing folder succeeded")
	}
	if err := WritePNG(path, image.NewRGBA(image.Rectangle{})); !errors.Is(err, ErrEmpty) {
		t.Fatalf("empty image: %v", err)
	}
}
