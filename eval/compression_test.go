package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"semcodec/imageio"
	"semcodec/metrics"
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
	if got.PSNR != want.PSNR || got.MSSSIM != want.MSSSIM || got.BPP != wantBPP {
		t.Errorf("eval: bpp %v PSNR %v MS-SSIM %v; metrics path: bpp %v PSNR %v MS-SSIM %v",
			got.BPP, got.PSNR, got.MSSSIM, wantBPP, want.PSNR, want.MSSSIM)
	}
	if got.PSNR < 25 || got.PSNR > 45 || got.MSSSIM < 0.9 || got.MSSSIM >= 1 {
		t.Errorf("implausible JPEG q75 scores: PSNR %v, MS-SSIM %v", got.PSNR, got.MSSSIM)
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
