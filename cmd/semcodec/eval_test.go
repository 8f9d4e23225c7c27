package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

func evalCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// kodakCropDir writes a 256x192 crop of kodim23 into a fresh folder.
func kodakCropDir(t *testing.T) (dir, path string) {
	t.Helper()
	img, err := imageio.ReadImage(filepath.Join(shareddata.Path(t, "data", "kodak"), "kodim23.png"))
	if err != nil {
		t.Fatal(err)
	}
	crop := image.NewRGBA(image.Rect(0, 0, 256, 192))
	draw.Draw(crop, crop.Bounds(), img, image.Pt(256, 128), draw.Src)
	dir = t.TempDir()
	path = filepath.Join(dir, "kodim23_crop.png")
	if err := imageio.WritePNG(path, crop); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

type evalJSON struct {
	Command string
	Images  int
	Codecs  []struct {
		Name    string
		Quality []int
		Results evalResults
	}
	References []struct{ Name string }
	BD         []struct {
		Codec, Reference string
		RatePSNR         *float64 `json:"bd_rate_psnr_percent"`
	}
}

// evalResults holds a results object's arrays by key; channel_bias, whose
// points are [r, g, b] triples, is flattened to r0, g0, b0, r1, ...
type evalResults map[string][]float64

func (r *evalResults) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = evalResults{}
	for k, v := range raw {
		if k == "channel_bias" {
			var triples [][3]float64
			if err := json.Unmarshal(v, &triples); err != nil {
				return err
			}
			for _, t := range triples {
				(*r)[k] = append((*r)[k], t[:]...)
			}
			continue
		}
		var vals []float64
		if err := json.Unmarshal(v, &vals); err != nil {
			return fmt.Errorf("results key %q: %w", k, err)
		}
		(*r)[k] = vals
	}
	return nil
}

func readEvalJSON(t *testing.T, path string) evalJSON {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r evalJSON
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestEvalJPEGMatchesMetricsCommand scores a JPEG of a Kodak image through
// `semcodec eval compression` and through `semcodec metrics`: same numbers.
func TestEvalJPEGMatchesMetricsCommand(t *testing.T) {
	dir, orig := kodakCropDir(t)
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := evalCLI("eval", "compression", "--data", dir, "--codecs", "jpeg", "--grid", "jpeg=75", "--json", out, "--quiet")
	if code != exitOK {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "| jpeg | 75 |") || !strings.Contains(stdout, "| colour bias R/G/B |") {
		t.Errorf("table lacks the jpeg row or the colour bias column:\n%s", stdout)
	}
	r := readEvalJSON(t, out)
	if len(r.Codecs) != 1 || r.Images != 1 || len(r.Codecs[0].Results["psnr-rgb"]) != 1 ||
		len(r.Codecs[0].Results["channel_bias"]) != 3 ||
		!strings.Contains(r.Command, "--grid jpeg=75") {
		t.Fatalf("report %+v", r)
	}

	img, err := imageio.ReadImage(orig)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		t.Fatal(err)
	}
	jpgPath := filepath.Join(t.TempDir(), "q75.jpg")
	if err := os.WriteFile(jpgPath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = evalCLI("metrics", "--json", orig, jpgPath)
	if code != exitOK {
		t.Fatalf("metrics exit %d: %s", code, stderr)
	}
	var m map[string]float64
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatal(err)
	}
	res := r.Codecs[0].Results
	if res["psnr-rgb"][0] != m["psnr_rgb"] || res["ms-ssim-rgb"][0] != m["ms_ssim_rgb"] {
		t.Errorf("eval PSNR %v MS-SSIM %v; metrics PSNR %v MS-SSIM %v",
			res["psnr-rgb"][0], res["ms-ssim-rgb"][0], m["psnr_rgb"], m["ms_ssim_rgb"])
	}
	if want := 8 * float64(buf.Len()) / (256 * 192); res["bpp"][0] != want {
		t.Errorf("bpp %v, want %v", res["bpp"][0], want)
	}
}

func TestEvalCompressionPlotAndAnchors(t *testing.T) {
	anchors := shareddata.Path(t, "anchors", "kodak_rd.csv")
	dir, _ := kodakCropDir(t)
	tmp := t.TempDir()
	out, plot := filepath.Join(tmp, "r.json"), filepath.Join(tmp, "rd.png")
	code, stdout, stderr := evalCLI("eval", "compression", "--data", dir, "--codecs", "jpeg",
		"--grid", "jpeg=10,30,60,90", "--json", out, "--plot", plot,
		"--against", anchors+":bmshj2018-hyperprior,jpeg", "--quiet")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{plot, filepath.Join(tmp, "rd.svg")} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", p, err)
		}
	}
	r := readEvalJSON(t, out)
	if len(r.References) != 2 || r.References[1].Name != "jpeg (ref)" {
		t.Errorf("references %+v", r.References)
	}
	if len(r.BD) != 2 || r.BD[0].Reference != "bmshj2018-hyperprior" || r.BD[0].RatePSNR == nil || *r.BD[0].RatePSNR <= 0 {
		t.Errorf("BD entries %+v", r.BD)
	}
	if !strings.Contains(stdout, "against bmshj2018-hyperprior") {
		t.Errorf("no BD table in output:\n%s", stdout)
	}

	// eval report redraws and reprints from the JSON alone.
	replot := filepath.Join(tmp, "again.png")
	code, stdout2, stderr := evalCLI("eval", "report", "--json", out, "--plot", replot, "--references", "bmshj2018-hyperprior")
	if code != exitOK {
		t.Fatalf("report exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(tmp, "again.svg")); err != nil {
		t.Error(err)
	}
	if !strings.Contains(stdout2, "against bmshj2018-hyperprior") || strings.Contains(stdout2, "jpeg (ref)") ||
		!strings.Contains(stdout, strings.Split(stdout2, "\n")[2]) {
		t.Errorf("report output:\n%s", stdout2)
	}
	if code, _, _ := evalCLI("eval", "report", "--json", out, "--references", "nope"); code != exitUsage {
		t.Errorf("unknown reference: exit %d", code)
	}
	if code, _, _ := evalCLI("eval", "report", "--json", filepath.Join(tmp, "rd.svg")); code != exitBadInput {
		t.Errorf("not a report: exit %d", code)
	}
}

func TestEvalCompressionErrors(t *testing.T) {
	dir, _ := kodakCropDir(t)
	badCSV := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(badCSV, []byte("codec,bpp\n"), 0o644)
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown codec", []string{"--data", dir, "--codecs", "jpeg,nope"}, exitUsage, `unknown codec "nope"`},
		{"no data flag", []string{"--codecs", "jpeg"}, exitUsage, "data"},
		{"missing folder", []string{"--data", filepath.Join(dir, "absent")}, exitBadInput, "absent"},
		{"empty folder", []string{"--data", t.TempDir()}, exitBadInput, "no images"},
		{"bad grid", []string{"--data", dir, "--codecs", "jpeg", "--grid", "jpeg=a"}, exitUsage, "bad quality"},
		{"grid of another codec", []string{"--data", dir, "--codecs", "jpeg", "--grid", "webp=50"}, exitUsage, "not in --codecs"},
		{"bad reference file", []string{"--data", dir, "--codecs", "jpeg", "--against", badCSV}, exitBadInput, "no data rows"},
		{"negative limit", []string{"--data", dir, "--limit", "-1"}, exitUsage, "negative"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := evalCLI(append([]string{"eval", "compression", "--quiet"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.msg) {
				t.Errorf("exit %d, stderr %q; want exit %d mentioning %q", code, stderr, tc.code, tc.msg)
			}
			if strings.Contains(stderr, "semcodec: semcodec:") {
				t.Errorf("doubled prefix: %q", stderr)
			}
		})
	}
}

func TestEvalSegmentationNeedsSemanticCodec(t *testing.T) {
	code, _, stderr := evalCLI("eval", "segmentation", "--data", t.TempDir(), "--split", "val", "--codec", "nope")
	if code != exitUsage || !strings.Contains(stderr, `unknown codec "nope"`) {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = evalCLI("eval", "segmentation", "--data", t.TempDir(), "--codec", "jpeg")
	if code != exitUsage || !strings.Contains(stderr, "carries no segmentation") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestEvalGallery(t *testing.T) {
	_, orig := kodakCropDir(t)
	out := filepath.Join(t.TempDir(), "g.png")
	code, _, stderr := evalCLI("eval", "gallery", "--image", orig, "--codecs", "jpeg", "--bpp", "0.5", "--crop", "0,0,200,180", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.DecodeConfig(f)
	if err != nil {
		t.Fatal(err)
	}
	if img.Width != 2*200+3*8 || img.Height != 180+2*8+42 {
		t.Errorf("gallery is %dx%d", img.Width, img.Height)
	}
	for _, args := range [][]string{
		{"--image", orig, "--out", out, "--crop", "1,2,3"},
		{"--image", orig, "--out", out, "--palette", "pascal"},
		{"--image", orig, "--out", out, "--codecs", "nope"},
	} {
		if code, _, _ := evalCLI(append([]string{"eval", "gallery"}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
