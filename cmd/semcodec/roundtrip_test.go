package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/eval/learned/learnedtest"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

func TestRoundtripWritesFilesAndScores(t *testing.T) {
	dir := t.TempDir()
	cfg, err := learnedtest.TinyConfig(true)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := learnedtest.WriteFamily(dir, cfg, "rt-tiny", true, 2)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("..", "..", "testdata", "kodim23_crop.png")
	outDir := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"roundtrip", src, "--model", paths[0], "--out-dir", outDir}, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	for _, name := range []string{"kodim23_crop.smc", "kodim23_crop.png", "kodim23_crop_seg_overlay.png"} {
		if _, err := os.Stat(filepath.Join(outDir, name)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
	// The printed PSNR is that of the written reconstruction against the input.
	ref, err := imageio.ReadImage(src)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := imageio.ReadImage(filepath.Join(outDir, "kodim23_crop.png"))
	if err != nil {
		t.Fatal(err)
	}
	psnr, err := metrics.PSNR(ref, rec)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(strings.SplitN(strings.SplitN(stdout.String(), "PSNR", 2)[1], "dB", 2)[0])
	if got := strconv.FormatFloat(psnr, 'f', 3, 64); got != want {
		t.Errorf("printed PSNR %s, recomputed %s", want, got)
	}
	// The written file decodes with the same model.
	data, err := os.ReadFile(filepath.Join(outDir, "kodim23_crop.smc"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := codec.LoadModel(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&codec.Decoder{Models: []*codec.Model{m}}).Decode(bytes.NewReader(data)); err != nil {
		t.Fatalf("written file does not decode: %v", err)
	}
}

func TestRoundtripBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.png")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"roundtrip", bad, "--out-dir", filepath.Join(dir, "out"), "--model", filepath.Join(dir, "missing.smw")}, &stdout, &stderr)
	if code != exitBadInput {
		t.Fatalf("exit %d, want %d (%s)", code, exitBadInput, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("output folder created for a failed run")
	}
}
