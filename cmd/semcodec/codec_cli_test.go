package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/semcodec/semcodec/eval/learned/learnedtest"
	"github.com/semcodec/semcodec/imageio"
)

// cliModelPath exports a calibrated untrained tiny model (no trained
// weights ship with the tests) to a temporary .smw file shared by the CLI
// tests.
var cliModelPath = sync.OnceValues(func() (string, error) {
	cfg, err := learnedtest.TinyConfig(true)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "semcodec-cli-test")
	if err != nil {
		return "", err
	}
	paths, err := learnedtest.WriteFamily(dir, cfg, "cli-test", true, 1)
	if err != nil {
		return "", err
	}
	return paths[0], nil
})

func mustCLIModel(t *testing.T) string {
	t.Helper()
	p, err := cliModelPath()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCompressDecompressInfo(t *testing.T) {
	modelPath := mustCLIModel(t)
	dir := t.TempDir()
	smc := filepath.Join(dir, "k.smc")
	code, out, stderr := runCLI("compress", fixtureRef, "-o", smc, "--model", modelPath)
	if code != exitOK {
		t.Fatalf("compress: exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "bpp") || !strings.Contains(out, "256x256") {
		t.Errorf("compress output: %q", out)
	}
	data, err := os.ReadFile(smc)
	if err != nil {
		t.Fatal(err)
	}

	code, out, stderr = runCLI("info", "--json", smc)
	if code != exitOK {
		t.Fatalf("info: exit %d: %s", code, stderr)
	}
	var info map[string]any
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("info --json: %v: %q", err, out)
	}
	for _, k := range []string{"width", "height", "model", "quality", "bytes", "bpp", "segments", "version"} {
		if _, ok := info[k]; !ok {
			t.Errorf("info --json lacks %q: %s", k, out)
		}
	}
	seg, _ := info["segments"].(map[string]any)
	for _, k := range []string{"hyper", "semantic", "image"} {
		if _, ok := seg[k]; !ok {
			t.Errorf("info --json segments lack %q: %s", k, out)
		}
	}
	if info["bytes"] != float64(len(data)) || info["width"] != 256.0 || info["model"] != "cli-test" || info["quality"] != 1.0 ||
		info["version"] != 2.0 { // a fixed-rate model writes version 2
		t.Errorf("info --json: %s (file %d bytes)", out, len(data))
	}
	if code, out, _ = runCLI("info", smc); code != exitOK || !strings.Contains(out, "256x256") {
		t.Errorf("info text: exit %d: %q", code, out)
	}

	png, labels, vis := filepath.Join(dir, "k.png"), filepath.Join(dir, "l.png"), filepath.Join(dir, "v.png")
	code, _, stderr = runCLI("decompress", smc, "-o", png, "--seg", labels, "--seg-color", vis, "--model", modelPath)
	if code != exitOK {
		t.Fatalf("decompress: exit %d: %s", code, stderr)
	}
	img, err := imageio.ReadImage(png)
	if err != nil || img.Bounds().Dx() != 256 {
		t.Fatalf("decoded image: %v", err)
	}
	full, err := imageio.ReadLabels(labels)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := imageio.ReadImage(vis); err != nil {
		t.Fatal(err)
	}
	only := filepath.Join(dir, "only.png")
	code, _, stderr = runCLI("decompress", smc, "--seg-only", "--seg", only, "--model", modelPath)
	if code != exitOK {
		t.Fatalf("decompress --seg-only: exit %d: %s", code, stderr)
	}
	segOnly, err := imageio.ReadLabels(only)
	if err != nil || !bytes.Equal(segOnly.Pix, full.Pix) {
		t.Errorf("--seg-only map differs from the full decode's (%v)", err)
	}
	plain := filepath.Join(dir, "plain.png")
	if code, _, stderr = runCLI("decompress", smc, "-o", plain, "--no-enhance", "--model", modelPath); code != exitOK {
		t.Errorf("decompress --no-enhance: exit %d: %s", code, stderr)
	}
}

func TestCodecCLIErrors(t *testing.T) {
	modelPath := mustCLIModel(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "bad.smc")
	if err := os.WriteFile(garbage, []byte("\x89SMC garbage garbage garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	badModel := filepath.Join(dir, "bad.smw")
	if err := os.WriteFile(badModel, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.png")
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"compress no output", []string{"compress", fixtureRef}, exitUsage},
		{"compress missing input", []string{"compress", filepath.Join(dir, "none.png"), "-o", filepath.Join(dir, "x.smc"), "--model", modelPath}, exitBadInput},
		{"compress bad model", []string{"compress", fixtureRef, "-o", filepath.Join(dir, "x.smc"), "--model", badModel}, exitBadInput},
		{"compress quality conflict", []string{"compress", fixtureRef, "-o", filepath.Join(dir, "x.smc"), "--model", modelPath, "-q", "4"}, exitUsage},
		{"decompress corrupt", []string{"decompress", garbage, "-o", out, "--model", modelPath}, exitBadInput},
		{"decompress missing", []string{"decompress", filepath.Join(dir, "none.smc"), "-o", out}, exitBadInput},
		{"decompress no output", []string{"decompress", garbage}, exitUsage},
		{"seg-only without seg", []string{"decompress", garbage, "--seg-only"}, exitUsage},
		{"seg-only with -o", []string{"decompress", garbage, "--seg-only", "--seg", out, "-o", out}, exitUsage},
		{"info corrupt", []string{"info", garbage}, exitBadInput},
		{"info no args", []string{"info"}, exitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(c.args...)
			if code != c.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
			}
			if strings.Contains(stderr, "semcodec: semcodec:") {
				t.Errorf("doubled prefix: %q", stderr)
			}
		})
	}
	// Failed commands leave no output behind.
	for _, p := range []string{out, filepath.Join(dir, "x.smc")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a failure", p)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestCodecCLIHelp(t *testing.T) {
	for _, c := range []struct{ cmd, want string }{
		{"compress", "--model"}, {"decompress", "--seg-only"}, {"decompress", "--no-enhance"}, {"info", "segments"},
	} {
		code, out, _ := runCLI(c.cmd, "--help")
		if code != exitOK || !strings.Contains(out, c.want) || !strings.Contains(out, "Exit codes") {
			t.Errorf("%s --help: exit %d, lacks %q", c.cmd, code, c.want)
		}
	}
}
