package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

var (
	fixtureRef  = filepath.Join("..", "..", "testdata", "kodim23_crop.png")
	fixtureDist = filepath.Join("..", "..", "testdata", "kodim23_crop_q30.png")
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestMetricsText(t *testing.T) {
	code, out, stderr := runCLI("metrics", fixtureRef, fixtureDist)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"PSNR", "dB", "MS-SSIM", "SSIM", "MSE", "256x256"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestMetricsJSON(t *testing.T) {
	code, out, stderr := runCLI("metrics", "--json", fixtureRef, fixtureDist)
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("want one line, got %q", out)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v in %q", err, out)
	}
	keys := []string{"psnr_rgb", "ms_ssim_rgb", "ssim_rgb", "mse_rgb", "width", "height"}
	if len(got) != len(keys) {
		t.Errorf("keys %v, want exactly %v", got, keys)
	}
	ref, _ := imageio.ReadImage(fixtureRef)
	dist, _ := imageio.ReadImage(fixtureDist)
	want, err := metrics.CompareImages(ref, dist)
	if err != nil {
		t.Fatal(err)
	}
	for key, w := range map[string]float64{
		"psnr_rgb": want.PSNR, "ms_ssim_rgb": want.MSSSIM, "ssim_rgb": want.SSIM,
		"mse_rgb": want.MSE, "width": 256, "height": 256,
	} {
		if v, ok := got[key].(float64); !ok || v != w {
			t.Errorf("%s = %v, want %v", key, got[key], w)
		}
	}
	// JPEG quality 30 on this crop: plausible values, not just any number.
	if want.PSNR < 25 || want.PSNR > 40 || want.MSSSIM < 0.8 || want.MSSSIM >= 1 {
		t.Errorf("implausible metrics %+v", want)
	}
}

func TestMetricsIdenticalJSON(t *testing.T) {
	code, out, _ := runCLI("metrics", fixtureRef, fixtureRef, "--json")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if v, ok := got["psnr_rgb"]; !ok || v != nil {
		t.Errorf("psnr_rgb = %v, want null", v)
	}
	if got["ms_ssim_rgb"] != 1.0 || got["mse_rgb"] != 0.0 {
		t.Errorf("identical images gave %v", got)
	}
}

func TestMetricsBadInput(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.png")
	os.WriteFile(text, []byte("not an image"), 0o644)
	data, _ := os.ReadFile(fixtureRef)
	truncated := filepath.Join(dir, "cut.png")
	os.WriteFile(truncated, data[:len(data)/3], 0o644)
	small := filepath.Join(dir, "small.png")
	if err := imageio.WritePNG(small, imageio.FromFloat32(make([]float32, 3*64*64), 64, 64)); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.png")
	tests := []struct {
		name     string
		args     []string
		code     int
		mentions string
	}{
		{"missing dist", []string{fixtureRef, missing}, exitBadInput, missing},
		{"missing ref", []string{missing, fixtureRef}, exitBadInput, missing},
		{"not an image", []string{fixtureRef, text}, exitBadInput, text},
		{"truncated", []string{truncated, fixtureDist}, exitBadInput, truncated},
		{"different sizes", []string{fixtureRef, small}, exitBadInput, small},
		{"one argument", []string{fixtureRef}, exitUsage, "arg"},
		{"unknown flag", []string{"--bogus", fixtureRef, fixtureDist}, exitUsage, "bogus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(append([]string{"metrics"}, tc.args...)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if out != "" {
				t.Errorf("stdout %q on error", out)
			}
			if !strings.Contains(stderr, tc.mentions) || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr %q: want one line mentioning %q", stderr, tc.mentions)
			}
			if strings.Contains(stderr, "semcodec: semcodec:") {
				t.Errorf("doubled prefix in %q", stderr)
			}
		})
	}
}

func TestMetricsHelp(t *testing.T) {
	code, out, _ := runCLI("metrics", "--help")
	if code != exitOK || !strings.Contains(out, "--json") {
		t.Fatalf("exit %d, help %q", code, out)
	}
}
