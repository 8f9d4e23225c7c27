package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

// TestJPEGMatchesMetricsPath scores a JPEG of a Kodak image through the
// harness and through the path `semcodec metrics` takes (read both files with
// imageio, compare with metrics.CompareImages): the numbers must be equal.
func TestJPEGMatchesMetricsPath(t *testing.T) {
	_, paths := kodakCrops(t, 1, 256, 192)
	const q = 75
	rep, err := RunCompression(context.Background(), CompressionConfig{
		Images: paths, Codecs: []string{"jpeg"}, Options: map[string]Options{"jpeg": {Qualities: []int{q}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Results[0].Points[0]

	orig, err := imageio.ReadImage(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, orig, &jpeg.Options{Quality: q}); err != nil {
		t.Fatal(err)
	}
	jpgPath := filepath.Join(t.TempDir(), "q75.jpg")
	if err := os.WriteFile(jpgPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	dist, err := imageio.ReadImage(jpgPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := metrics.CompareImages(orig, dist)
	if err != nil {
		t.Fatal(err)
	}
	wantBPP := metrics.BPP(int64(buf.Len()), 256, 192)
	if got.PSNR != want.PSNR || got.MSSSIM != want.MSSSIM || got.BPP != wantBPP || got.ChannelBias != want.ChannelBias {
		t.Errorf("eval: bpp %v PSNR %v MS-SSIM %v bias %v; metrics path: bpp %v PSNR %v MS-SSIM %v bias %v",
			got.BPP, got.PSNR, got.MSSSIM, got.ChannelBias, wantBPP, want.PSNR, want.MSSSIM, want.ChannelBias)
	}
	if got.PSNR < 25 || got.PSNR > 45 || got.MSSSIM < 0.9 || got.MSSSIM >= 1 {
		t.Errorf("implausible JPEG q75 scores: PSNR %v, MS-SSIM %v", got.PSNR, got.MSSSIM)
	}
}

// tintCodec stores pixels uncompressed and decodes them with quality q
// added to blue and q/2 taken from red, a colour cast of known size.
type tintCodec struct{}

func (tintCodec) Name() string        { return "test-tint" }
func (tintCodec) Description() string { return "raw RGB, decoded with a blue cast of q levels" }
func (tintCodec) Qualities() []int    { return []int{0, 10} }

func (tintCodec) Encode(img *image.RGBA, q int) ([]byte, error) {
	b := img.Bounds()
	out := []byte{byte(q), byte(b.Dx() >> 8), byte(b.Dx()), byte(b.Dy() >> 8), byte(b.Dy())}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := img.RGBAAt(x, y)
			out = append(out, c.R, c.G, c.B)
		}
	}
	return out, nil
}

func (tintCodec) Decode(data []byte) (*image.RGBA, error) {
	q, w, h := int(data[0]), int(data[1])<<8|int(data[2]), int(data[3])<<8|int(data[4])
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		px := data[5+3*i:][:3]
		img.Pix[4*i] = byte(max(0, int(px[0])-q/2))
		img.Pix[4*i+1] = px[1]
		img.Pix[4*i+2] = byte(min(255, int(px[2])+q))
		img.Pix[4*i+3] = 255
	}
	return img, nil
}

func init() { Register("test-tint", func(Options) (Codec, error) { return tintCodec{}, nil }) }

// TestChannelBiasOfTintedDecoder runs a codec whose decoder shifts red and
// blue by known amounts on images whose samples never clip: the points, the
// JSON and the table must all show exactly that cast.
func TestChannelBiasOfTintedDecoder(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for n := range 2 {
		img := image.NewRGBA(image.Rect(0, 0, 64+8*n, 48))
		for i := range img.Pix {
			img.Pix[i] = byte(20 + (i*7+n*31)%200) // 20..219: room for ±10
			if i%4 == 3 {
				img.Pix[i] = 255
			}
		}
		p := filepath.Join(dir, fmt.Sprintf("synthetic%d.png", n))
		if err := imageio.WritePNG(p, img); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	rep, err := RunCompression(context.Background(), CompressionConfig{Images: paths, Codecs: []string{"test-tint", "jpeg"}, Workers: 2,
		Options: map[string]Options{"jpeg": {Qualities: []int{90}}}})
	if err != nil {
		t.Fatal(err)
	}
	pts := rep.Results[0].Points
	for i, want := range [][3]float64{{0, 0, 0}, {-5, 0, 10}} {
		if pts[i].ChannelBias != want {
			t.Errorf("q%d: point bias %v, want %v", pts[i].Quality, pts[i].ChannelBias, want)
		}
		for _, im := range pts[i].Images {
			if im.ChannelBias != want {
				t.Errorf("q%d %s: image bias %v, want %v", pts[i].Quality, im.Image, im.ChannelBias, want)
			}
		}
	}
	if !math.IsInf(pts[0].PSNR, 1) {
		t.Errorf("q0 should be lossless, PSNR %v", pts[0].PSNR)
	}

	path := filepath.Join(t.TempDir(), "r.json")
	if err := WriteReport(path, NewReport(rep, "synthetic", nil)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Codecs []struct {
			Results struct {
				ChannelBias [][]float64 `json:"channel_bias"`
			}
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(file.Codecs[0].Results.ChannelBias); got != "[[0 0 0] [-5 0 10]]" {
		t.Errorf("JSON channel_bias = %s", got)
	}
	back, err := ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := back.Codecs[0].Results.ChannelBias; len(got) != 2 || got[1] != [3]float64{-5, 0, 10} {
		t.Errorf("read back channel_bias %v", got)
	}
	if got, want := back.Codecs[1].Results.ChannelBias, rep.Results[1].Points[0].ChannelBias; len(got) != 1 || got[0] != want {
		t.Errorf("jpeg: read back channel_bias %v, measured %v", got, want)
	}
	var md bytes.Buffer
	if err := back.Markdown(&md, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| colour bias R/G/B |", " | +0.0/+0.0/+0.0 |\n", " | -5.0/+0.0/+10.0 |\n"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

func TestMeanPointChannelBias(t *testing.T) {
	p := meanPoint(7, []ImageScore{{ChannelBias: [3]float64{1, 2, 3}}, {ChannelBias: [3]float64{3, -2, 0}}})
	if want := [3]float64{2, 0, 1.5}; p.ChannelBias != want {
		t.Errorf("mean bias %v, want %v", p.ChannelBias, want)
	}
}

// TestJSONBPPIsTotalBitsOverTotalPixels checks the bpp written to JSON
// against 8·(total bytes)/(total pixels), with the bytes recomputed outside
// the harness (equal-size images, so the mean of per-image bpp is the same).
func TestJSONBPPIsTotalBitsOverTotalPixels(t *testing.T) {
	const w, h = 192, 176
	_, paths := kodakCrops(t, 3, w, h)
	qs := []int{20, 80}
	codecs := []string{"jpeg"}
	_, cwebpErr := exec.LookPath("cwebp")
	if cwebpErr == nil {
		codecs = append(codecs, "webp")
	}
	rep, err := RunCompression(context.Background(), CompressionConfig{
		Images: paths, Codecs: codecs, Workers: 2,
		Options: map[string]Options{"jpeg": {Qualities: qs}, "webp": {Qualities: qs}},
	})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "r.json")
	if err := WriteReport(out, NewReport(rep, "crops", nil)); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Codecs []struct {
			Name    string
			Results struct{ BPP []float64 }
		}
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.Codecs) != len(codecs) {
		t.Fatalf("JSON has %d codecs, want %d", len(file.Codecs), len(codecs))
	}
	for ci, c := range file.Codecs {
		for qi, q := range qs {
			var total int64
			for _, p := range paths {
				img, err := imageio.ReadImage(p)
				if err != nil {
					t.Fatal(err)
				}
				switch c.Name {
				case "jpeg":
					var buf bytes.Buffer
					if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
						t.Fatal(err)
					}
					total += int64(buf.Len())
				case "webp":
					dst := filepath.Join(t.TempDir(), "x.webp")
					if out, err := exec.Command("cwebp", "-quiet", "-q", strconv.Itoa(q), "-m", "6", p, "-o", dst).CombinedOutput(); err != nil {
						t.Fatalf("cwebp: %v: %s", err, out)
					}
					st, err := os.Stat(dst)
					if err != nil {
						t.Fatal(err)
					}
					total += st.Size()
				}
			}
			want := 8 * float64(total) / float64(len(paths)*w*h)
			got := c.Results.BPP[qi]
			if d := got - want; d > 1e-12 || d < -1e-12 {
				t.Errorf("%s q%d: JSON bpp %v, 8*bytes/pixels %v", codecs[ci], q, got, want)
			}
		}
	}
	if rep.Pixels != int64(len(paths)*w*h) {
		t.Errorf("Pixels = %d, want %d", rep.Pixels, len(paths)*w*h)
	}
}

// TestBaselinesRoundTrip runs every baseline once on a small image: each
// must give an image of the right size at a sane quality, or report itself
// unavailable.
func TestBaselinesRoundTrip(t *testing.T) {
	_, paths := kodakCrops(t, 1, 192, 176)
	img, err := imageio.ReadImage(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"jpeg"}
	for _, s := range baselineTools {
		names = append(names, s.name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			c, err := New(name, Options{})
			var un *UnavailableError
			if errors.As(err, &un) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if cl, ok := c.(interface{ Close() error }); ok {
					cl.Close()
				}
			}()
			if c.Name() != name || c.Description() == "" || len(c.Qualities()) < 4 {
				t.Errorf("name %q, description %q, %d qualities", c.Name(), c.Description(), len(c.Qualities()))
			}
			qs := c.Qualities()
			q := qs[len(qs)*2/3] // a good quality, so the PSNR bound below is safe
			data, err := c.Encode(img, q)
			if err != nil {
				t.Fatal(err)
			}
			dec, err := c.Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			m, err := metrics.CompareImages(img, dec)
			if err != nil {
				t.Fatal(err)
			}
			if bpp := 8 * float64(len(data)) / (192 * 176); m.PSNR < 24 || bpp > 8 {
				t.Errorf("quality %d: %.3f bpp, PSNR %.2f dB", q, bpp, m.PSNR)
			}
			if _, err := c.Encode(img, -5); err == nil {
				t.Error("quality -5 accepted")
			}
			if _, err := c.Decode([]byte("not a bitstream")); err == nil {
				t.Error("garbage decoded without error")
			}
		})
	}
}

func TestMissingToolIsSkipped(t *testing.T) {
	_, paths := kodakCrops(t, 1, 192, 176)
	t.Setenv("PATH", t.TempDir()) // no tools at all
	var notes []string
	rep, err := RunCompression(context.Background(), CompressionConfig{
		Images: paths, Codecs: []string{"webp", "jpeg"},
		Options: map[string]Options{"jpeg": {Qualities: []int{50}}},
		Notes:   func(m string) { notes = append(notes, m) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 1 || rep.Results[0].Name != "jpeg" {
		t.Errorf("results for %v, want jpeg only", rep.Results)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Codec != "webp" || !strings.Contains(rep.Skipped[0].Reason, "cwebp") {
		t.Errorf("skipped = %+v", rep.Skipped)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "webp") {
		t.Errorf("notes = %q", notes)
	}
	_, err = RunCompression(context.Background(), CompressionConfig{Images: paths, Codecs: []string{"webp", "avif"}})
	if err == nil || !strings.Contains(err.Error(), "avifenc not found") {
		t.Errorf("every codec missing: error %v", err)
	}
}

func TestUnknownCodec(t *testing.T) {
	_, err := RunCompression(context.Background(), CompressionConfig{Images: []string{"x.png"}, Codecs: []string{"semcodec"}})
	if !errors.Is(err, ErrUnknownCodec) || !strings.Contains(err.Error(), "not registered") || !strings.Contains(err.Error(), "jpeg") {
		t.Errorf("error = %v", err)
	}
	_, err = RunCompression(context.Background(), CompressionConfig{Images: []string{"x.png"}, Codecs: []string{"jpeg", "jpeg"}})
	if err == nil {
		t.Error("duplicate codec accepted")
	}
	_, err = RunCompression(context.Background(), CompressionConfig{Codecs: []string{"jpeg"}})
	if !errors.Is(err, ErrNoImages) {
		t.Errorf("no images: error = %v", err)
	}
}

func TestBadImageFails(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	_, err := RunCompression(context.Background(), CompressionConfig{Images: []string{bad}, Codecs: []string{"jpeg"}})
	var fe *imageio.FileError
	if !errors.As(err, &fe) {
		t.Errorf("error = %v, want an imageio.FileError", err)
	}
}

// TestDeterministicAcrossWorkers checks that scheduling does not change
// any reported number except times.
func TestDeterministicAcrossWorkers(t *testing.T) {
	_, paths := kodakCrops(t, 3, 192, 176)
	run := func(workers int) CodecResult {
		var calls int
		rep, err := RunCompression(context.Background(), CompressionConfig{
			Images: paths, Codecs: []string{"jpeg"}, Workers: workers,
			Options:  map[string]Options{"jpeg": {Qualities: []int{10, 50, 90}}},
			Progress: func(done, total int) { calls++; _ = total },
		})
		if err != nil {
			t.Fatal(err)
		}
		if calls != 9 {
			t.Errorf("progress called %d times, want 9", calls)
		}
		return rep.Results[0]
	}
	a, b := run(1), run(3)
	for i := range a.Points {
		pa, pb := a.Points[i], b.Points[i]
		if pa.BPP != pb.BPP || pa.PSNR != pb.PSNR || pa.MSSSIM != pb.MSSSIM {
			t.Errorf("q%d: 1 worker %v/%v/%v, 3 workers %v/%v/%v", pa.Quality, pa.BPP, pa.PSNR, pa.MSSSIM, pb.BPP, pb.PSNR, pb.MSSSIM)
		}
		if i > 0 && !(pa.BPP > a.Points[i-1].BPP && pa.PSNR > a.Points[i-1].PSNR) {
			t.Errorf("rate and PSNR should grow with JPEG quality: %+v then %+v", a.Points[i-1], pa)
		}
	}
}

func TestContextCancel(t *testing.T) {
	_, paths := kodakCrops(t, 2, 192, 176)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := RunCompression(ctx, CompressionConfig{Images: paths, Codecs: []string{"jpeg"}})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestListImages(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.PNG", "a.jpg", "c.txt", "d.jpeg"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	os.Mkdir(filepath.Join(dir, "e.png"), 0o755)
	got, err := ListImages(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	if strings.Join(names, ",") != "a.jpg,b.PNG,d.jpeg" {
		t.Errorf("ListImages = %v", names)
	}
	if _, err := ListImages(t.TempDir()); !errors.Is(err, ErrNoImages) {
		t.Errorf("empty folder: %v", err)
	}
}

func TestRegistry(t *testing.T) {
	if _, err := Lookup("jpeg"); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering jpeg twice did not panic")
		}
	}()
	Register("jpeg", newGoJPEG)
}

// BenchmarkGoJPEGRoundTrip measures the always-available baseline's encode
// and decode of a 256x192 Kodak crop at quality 75.
func BenchmarkGoJPEGRoundTrip(b *testing.B) {
	_, paths := kodakCrops(b, 1, 256, 192)
	img, err := imageio.ReadImage(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	c := goJPEG{}
	var n int
	b.SetBytes(256 * 192 * 3)
	b.ReportAllocs()
	for b.Loop() {
		data, err := c.Encode(img, 75)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decode(data); err != nil {
			b.Fatal(err)
		}
		n = len(data)
	}
	b.ReportMetric(8*float64(n)/(256*192), "bpp")
}
