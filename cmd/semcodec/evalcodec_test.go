package main

import (
	"encoding/json"
	"image"
	"image/draw"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/eval/learned/learnedtest"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

// learnedEvalFixture writes a tiny two-quality model family and a 96x64
// CamVid crop, as an image folder and as a one-image CamVid split.
func learnedEvalFixture(t *testing.T) (models, images, camvid string) {
	t.Helper()
	root := shareddata.Path(t, "data", "camvid")
	dir := t.TempDir()
	models = filepath.Join(dir, "models")
	images = filepath.Join(dir, "images")
	camvid = filepath.Join(dir, "camvid")
	for _, d := range []string{models, images, filepath.Join(camvid, "val"), filepath.Join(camvid, "valannot")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := learnedtest.TinyConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := learnedtest.WriteFamily(models, cfg, "cli-eval-test", true, 1, 2); err != nil {
		t.Fatal(err)
	}
	img, err := imageio.ReadImage(filepath.Join(root, "val", "0016E5_07959.png"))
	if err != nil {
		t.Fatal(err)
	}
	lab, err := imageio.ReadLabels(filepath.Join(root, "valannot", "0016E5_07959.png"))
	if err != nil {
		t.Fatal(err)
	}
	r := image.Rect(0, 0, 96, 64)
	ci, cl := image.NewRGBA(r), image.NewGray(r)
	draw.Draw(ci, r, img, image.Pt(160, 200), draw.Src)
	draw.Draw(cl, r, lab, image.Pt(160, 200), draw.Src)
	for _, p := range []string{filepath.Join(images, "crop.png"), filepath.Join(camvid, "val", "crop.png")} {
		if err := imageio.WritePNG(p, ci); err != nil {
			t.Fatal(err)
		}
	}
	if err := imageio.WriteLabels(filepath.Join(camvid, "valannot", "crop.png"), cl); err != nil {
		t.Fatal(err)
	}
	return models, images, camvid
}

func TestEvalLearnedCodec(t *testing.T) {
	models, images, camvid := learnedEvalFixture(t)
	out := t.TempDir()

	t.Run("compression", func(t *testing.T) {
		js := filepath.Join(out, "rd.json")
		code, stdout, stderr := evalCLI("eval", "compression", "--data", images, "--codecs", "semcodec,semcodec-plain",
			"--model", models, "--json", js, "--quiet")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		r := readEvalJSON(t, js)
		if len(r.Codecs) != 2 || r.Codecs[0].Name != "semcodec" || r.Codecs[1].Name != "semcodec-plain" {
			t.Fatalf("codecs %+v", r.Codecs)
		}
		for _, c := range r.Codecs {
			bpp := c.Results["bpp"]
			if len(c.Quality) != 2 || c.Quality[0] != 1 || c.Quality[1] != 2 || len(bpp) != 2 || !(bpp[0] > 0 && bpp[1] > bpp[0]) {
				t.Errorf("%s: qualities %v bpp %v", c.Name, c.Quality, bpp)
			}
		}
		if !strings.Contains(stdout, "| semcodec-plain | 2 |") {
			t.Errorf("table:\n%s", stdout)
		}
	})

	t.Run("segmentation", func(t *testing.T) {
		js := filepath.Join(out, "seg.json")
		code, stdout, stderr := evalCLI("eval", "segmentation", "--data", camvid, "--split", "val", "--model", models,
			"--json", js, "--quiet")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		b, err := os.ReadFile(js)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Codec      string
			Images     int
			UpperBound *struct {
				MIoU *float64 `json:"miou"`
			} `json:"upper_bound"`
			Points []struct {
				Quality  int
				Mismatch *int64 `json:"seg_only_mismatched_pixels"`
				Decoded  struct {
					MIoU *float64 `json:"miou"`
				}
			}
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		if r.Images != 1 || r.UpperBound == nil || r.UpperBound.MIoU == nil || len(r.Points) != 2 || !strings.Contains(r.Codec, "cli-eval-test") {
			t.Fatalf("report %s", b)
		}
		for _, p := range r.Points {
			if p.Mismatch == nil || *p.Mismatch != 0 || p.Decoded.MIoU == nil {
				t.Errorf("quality %d: %s", p.Quality, b)
			}
		}
		if !strings.Contains(stdout, "| uncompressed |") || !strings.Contains(stdout, "| decoded | 2 |") {
			t.Errorf("table:\n%s", stdout)
		}
	})

	t.Run("gallery", func(t *testing.T) {
		g := filepath.Join(out, "g.png")
		code, _, stderr := evalCLI("eval", "gallery", "--image", filepath.Join(images, "crop.png"), "--codecs", "semcodec",
			"--model", models, "--bpp", "1", "--out", g)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		f, err := os.Open(g)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cfg, _, err := image.DecodeConfig(f)
		if err != nil {
			t.Fatal(err)
		}
		// original, decoded and segmentation tiles side by side
		if cfg.Width != 3*96+4*8 {
			t.Errorf("gallery is %dx%d, want three 96-pixel tiles", cfg.Width, cfg.Height)
		}
	})

	t.Run("bad model", func(t *testing.T) {
		// Missing: skipped like a codec whose tool is missing.
		for _, m := range []string{filepath.Join(out, "none.smw"), out} {
			code, _, stderr := evalCLI("eval", "compression", "--data", images, "--codecs", "semcodec", "--model", m, "--quiet")
			if code != exitUsage || !strings.Contains(stderr, "none of the requested codecs can run") || !strings.Contains(stderr, m) {
				t.Errorf("--model %s: exit %d, %q", m, code, stderr)
			}
		}
		code, _, stderr := evalCLI("eval", "compression", "--data", images, "--codecs", "jpeg,semcodec", "--grid", "jpeg=50",
			"--model", filepath.Join(out, "none.smw"))
		if code != exitOK || !strings.Contains(stderr, "skipping semcodec") {
			t.Errorf("with jpeg: exit %d, %q", code, stderr)
		}
		// Present but not a model: an error.
		bad := filepath.Join(out, "bad.smw")
		if err := os.WriteFile(bad, []byte("not a model"), 0o644); err != nil {
			t.Fatal(err)
		}
		code, _, stderr = evalCLI("eval", "segmentation", "--data", camvid, "--model", bad, "--quiet")
		if code != exitUsage || !strings.Contains(stderr, "invalid model file") {
			t.Errorf("bad model file: exit %d, %q", code, stderr)
		}
	})

	t.Run("no model", func(t *testing.T) {
		if len(codec.DefaultQualities()) > 0 {
			t.Skip("this build embeds models")
		}
		code, _, stderr := evalCLI("eval", "compression", "--data", images, "--codecs", "semcodec", "--quiet")
		if code != exitUsage || !strings.Contains(stderr, "embeds no trained model") || !strings.Contains(stderr, "--model") {
			t.Errorf("exit %d, %q", code, stderr)
		}
		code, _, stderr = evalCLI("eval", "segmentation", "--data", camvid, "--quiet")
		if code != exitUsage || !strings.Contains(stderr, "unavailable") {
			t.Errorf("segmentation: exit %d, %q", code, stderr)
		}
	})
}
