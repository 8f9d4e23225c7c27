package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
	"github.com/semcodec/semcodec/weights"
)

func runTrainCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// trainFixture builds a small CamVid-layout folder (2 labelled images) and a
// plain folder with one synthetic photo, in dir.
func trainFixture(t *testing.T, dir string) (camvid, photos string) {
	t.Helper()
	src := shareddata.Path(t, "data", "camvid")
	camvid = filepath.Join(dir, "camvid", "train")
	for _, sub := range []string{"train", "trainannot"} {
		if err := os.MkdirAll(filepath.Join(dir, "camvid", sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(src, "train"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[:2] {
		for _, sub := range []string{"train", "trainannot"} {
			data, err := os.ReadFile(filepath.Join(src, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "camvid", sub, e.Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	photos = filepath.Join(dir, "photos")
	if err := os.MkdirAll(photos, 0o755); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 97, 81))
	for y := 0; y < 81; y++ {
		for x := 0; x < 97; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(2 * x), uint8(3 * y), uint8(x + y), 255})
		}
	}
	if err := imageio.WritePNG(filepath.Join(photos, "p.png"), img); err != nil {
		t.Fatal(err)
	}
	return camvid, photos
}

func TestDataPackCLI(t *testing.T) {
	dir := t.TempDir()
	camvid, photos := trainFixture(t, dir)
	pack := filepath.Join(dir, "train.pack")
	code, out, stderr := runTrainCLI("data", "pack", "-q", "--data", camvid+","+photos, "-o", pack)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"3 images (2 labelled)", "PSNR vs originals", "4:4:4"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runTrainCLI("data", "info", pack)
	if code != exitOK || !strings.Contains(out, "camvid     2") || !strings.Contains(out, "unlabelled 1") {
		t.Errorf("info: exit %d\n%s", code, out)
	}
	// Auto quality under a tight budget.
	small := filepath.Join(dir, "small.pack")
	code, out, stderr = runTrainCLI("data", "pack", "-q", "--data", camvid, "-o", small, "--quality", "auto", "--max-bytes", "160KiB")
	if st, err := os.Stat(small); code != exitOK || err != nil || st.Size() > 160<<10 {
		t.Errorf("auto quality: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	// Over budget: refused, nothing written.
	over := filepath.Join(dir, "over.pack")
	if code, _, stderr = runTrainCLI("data", "pack", "-q", "--data", camvid, "-o", over, "--max-bytes", "10KiB"); code != exitUsage || !strings.Contains(stderr, "size budget") {
		t.Errorf("over budget: exit %d, %s", code, stderr)
	}
	if _, err := os.Stat(over); !os.IsNotExist(err) {
		t.Error("an over-budget pack was written")
	}
	// A damaged pack is bad input.
	data, _ := os.ReadFile(pack)
	data[len(data)-10] ^= 1
	bad := filepath.Join(dir, "bad.pack")
	os.WriteFile(bad, data, 0o644)
	if code, _, stderr = runTrainCLI("data", "info", bad); code != exitBadInput || !strings.Contains(stderr, "checksum") {
		t.Errorf("damaged pack: exit %d, %s", code, stderr)
	}
}

func TestDataPackBadInput(t *testing.T) {
	dir := t.TempDir()
	camvid, _ := trainFixture(t, dir)
	entries, _ := os.ReadDir(camvid)
	os.Remove(filepath.Join(camvid+"annot", entries[0].Name()))
	tests := map[string][]string{
		"missing folder":        {"data", "pack", "--data", filepath.Join(dir, "nope"), "-o", filepath.Join(dir, "x.pack")},
		"image without labels":  {"data", "pack", "--data", camvid, "-o", filepath.Join(dir, "x.pack")},
		"train missing folder":  {"train", "--data", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "o"), "--steps", "1"},
		"train without labels":  {"train", "--data", camvid, "--out", filepath.Join(dir, "o"), "--steps", "1"},
		"export no checkpoint":  {"export", "--checkpoint", filepath.Join(dir, "nope"), "-o", filepath.Join(dir, "m.smw")},
		"export empty out dir":  {"export", "--checkpoint", dir, "-o", filepath.Join(dir, "m.smw")},
		"resume no checkpoint":  {"train", "--data", camvid, "--out", dir, "--steps", "1", "--resume"},
		"data info not a pack":  {"data", "info", filepath.Join(camvid, entries[1].Name())},
		"data info missing":     {"data", "info", filepath.Join(dir, "nope.pack")},
		"train bad val folder ": {"train", "--data", filepath.Join(dir, "photos"), "--val", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "o"), "--steps", "1"},
	}
	for name, args := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runTrainCLI(args...)
			if code != exitBadInput || !strings.HasPrefix(stderr, "semcodec: ") || strings.Contains(stderr, "semcodec: semcodec:") || strings.Contains(stderr, "panic") {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// train from a pack, resume, refuse misuse, export: the command-line paths.
func TestTrainResumeExportCLI(t *testing.T) {
	dir := t.TempDir()
	camvid, photos := trainFixture(t, dir)
	pack := filepath.Join(dir, "train.pack")
	if code, _, stderr := runTrainCLI("data", "pack", "-q", "--data", camvid+","+photos, "-o", pack); code != exitOK {
		t.Fatal(stderr)
	}
	out := filepath.Join(dir, "out")
	logPath := filepath.Join(dir, "log.jsonl")
	base := []string{"train", "-q", "--config", "tiny", "--data", pack, "--val", camvid, "--val-crop", "64",
		"--batch", "2", "--crop", "64", "--out", out, "--json-log", logPath}
	code, stdout, stderr := runTrainCLI(append(base, "--steps", "2")...)
	if code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "trained steps 0..2") || !strings.Contains(stdout, "validation: 2 images") {
		t.Errorf("train output:\n%s", stdout)
	}
	// A fresh run into the same folder is refused and changes nothing.
	if code, _, stderr = runTrainCLI(append(base, "--steps", "3")...); code != exitUsage || !strings.Contains(stderr, "--resume") {
		t.Errorf("second fresh run: exit %d, %s", code, stderr)
	}
	if code, stdout, stderr = runTrainCLI(append(base, "--steps", "3", "--resume")...); code != exitOK || !strings.Contains(stdout, "trained steps 2..3") {
		t.Fatalf("resume: exit %d\n%s%s", code, stdout, stderr)
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, logPath)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d log lines, want 3:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if len(m) != 6 || m["step"] != float64(i+1) {
			t.Errorf("line %d: %s", i, line)
		}
		for _, k := range []string{"loss", "bpp", "psnr", "ce", "miou"} {
			if _, ok := m[k].(float64); !ok {
				t.Errorf("line %d: %s is %v", i, k, m[k])
			}
		}
	}
	if v := readFile(t, filepath.Join(out, "validation.jsonl")); strings.Count(v, "\n") != 2 {
		t.Errorf("validation log:\n%s", v)
	}
	model := filepath.Join(dir, "m.smw")
	if code, stdout, stderr = runTrainCLI("export", "--checkpoint", out, "-o", model, "--quality", "3"); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	f, err := weights.Read(model)
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta.Quality != 3 || f.Meta.Extra["step"] != "3" || f.Meta.Model != "semcodec-tiny" {
		t.Errorf("model metadata %+v", f.Meta)
	}
	// A damaged checkpoint: resume and export fail as bad input, and the
	// checkpoint folder is left exactly as it was.
	ck := filepath.Join(out, "ckpt-000000003", "data-000.bin")
	data := []byte(readFile(t, ck))
	data[len(data)/3] ^= 4
	os.WriteFile(ck, data, 0o644)
	before := dirState(t, out)
	if code, _, stderr = runTrainCLI(append(base, "--steps", "4", "--resume")...); code != exitBadInput || !strings.Contains(stderr, "checksum") {
		t.Errorf("resume from damaged checkpoint: exit %d, %s", code, stderr)
	}
	if code, _, stderr = runTrainCLI("export", "--checkpoint", out, "-o", model+"2"); code != exitBadInput {
		t.Errorf("export of damaged checkpoint: exit %d, %s", code, stderr)
	}
	if dirState(t, out) != before {
		t.Error("failed runs changed the output folder")
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirState concatenates the names and contents of the files under dir.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			f, _ := os.Open(path)
			b.WriteString(path + "\n")
			io.Copy(&b, f)
			f.Close()
		}
		return nil
	})
	return b.String()
}

// One interrupt, or two at once as GNU timeout sends them, asks for a
// checkpoint and does not kill the process.
func TestInterruptContext(t *testing.T) {
	ctx, cancel := interruptContext(io.Discard)
	defer cancel()
	for range 2 {
		if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SIGINT did not cancel the context")
	}
	time.Sleep(100 * time.Millisecond) // the second signal is handled, not fatal
}

// The variable-rate road on the command line: train over three levels of the
// shipped λ table, export, code at a fractional quality, decode; start a new
// run from the exported file; refuse qualities the model lacks.
func TestVariableRateCLI(t *testing.T) {
	dir := t.TempDir()
	camvid, photos := trainFixture(t, dir)
	out := filepath.Join(dir, "vr")
	code, _, stderr := runTrainCLI("train", "-q", "--config", "tiny", "--gain-levels", "3", "--data", camvid+","+photos,
		"--steps", "2", "--batch", "2", "--crop", "64", "--out", out, "--val-every", "0")
	if code != exitOK || !strings.Contains(stderr, "variable rate, λ [0.0018 0.0035 0.0067]") {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	smw := filepath.Join(dir, "vr.smw")
	if code, _, stderr = runTrainCLI("export", "--checkpoint", out, "-o", smw); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	smc := filepath.Join(dir, "k.smc")
	if code, _, stderr = runTrainCLI("compress", fixtureRef, "-o", smc, "--model", smw, "-q", "2.5"); code != exitOK {
		t.Fatalf("compress -q 2.5: exit %d\n%s", code, stderr)
	}
	code, info, _ := runTrainCLI("info", smc)
	if code != exitOK || !strings.Contains(info, "quality   2.5") || !strings.Contains(info, fmt.Sprintf("version %d", bitstream.Version)) {
		t.Errorf("info: exit %d\n%s", code, info)
	}
	if code, _, stderr = runTrainCLI("decompress", smc, "-o", filepath.Join(dir, "k.png"), "--model", smw); code != exitOK {
		t.Errorf("decompress: exit %d\n%s", code, stderr)
	}
	for _, q := range []string{"3.5", "0.5"} {
		if code, _, stderr = runTrainCLI("compress", fixtureRef, "-o", filepath.Join(dir, "x.smc"), "--model", smw, "-q", q); code != exitUsage || !strings.Contains(stderr, "-q "+q) {
			t.Errorf("compress -q %s: exit %d, %s", q, code, stderr)
		}
	}
	code, _, stderr = runTrainCLI("train", "-q", "--init", smw, "--data", camvid, "--steps", "1", "--batch", "1",
		"--crop", "64", "--out", filepath.Join(dir, "again"), "--val-every", "0")
	if code != exitOK || !strings.Contains(stderr, "variable rate") {
		t.Errorf("train --init: exit %d\n%s", code, stderr)
	}
	if code, _, stderr = runTrainCLI("train", "--init", smw, "--resume", "--data", camvid, "--steps", "1", "--out", out); code != exitUsage {
		t.Errorf("--init with --resume: exit %d, %s", code, stderr)
	}
}

// eval network scores what no bitstream can carry: a training-only ablation.
func TestEvalNetworkAblation(t *testing.T) {
	dir := t.TempDir()
	camvid, _ := trainFixture(t, dir)
	out := filepath.Join(dir, "abl")
	if code, _, stderr := runTrainCLI("train", "-q", "--config", "tiny", "--no-quantize-semantic", "--data", camvid,
		"--steps", "1", "--batch", "1", "--crop", "64", "--out", out, "--val-every", "0"); code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	smw := filepath.Join(dir, "abl.smw")
	code, stdout, stderr := runTrainCLI("export", "--checkpoint", out, "-o", smw)
	if code != exitOK || !strings.Contains(stdout, "not codable") {
		t.Fatalf("export: exit %d\n%s%s", code, stdout, stderr)
	}
	js := filepath.Join(dir, "net.json")
	code, stdout, stderr = runTrainCLI("eval", "network", "--model", smw, "--data", camvid, "--crop", "64", "--json", js)
	if code != exitOK || !strings.Contains(stdout, "| 2 |") {
		t.Fatalf("eval network: exit %d\n%s%s", code, stdout, stderr)
	}
	var rep struct {
		Results []struct {
			Images int      `json:"images"`
			PSNR   float64  `json:"psnr"`
			BPP    float64  `json:"bpp"`
			MIoU   *float64 `json:"miou"`
		} `json:"results"`
	}
	data, err := os.ReadFile(js)
	if err != nil || json.Unmarshal(data, &rep) != nil || len(rep.Results) != 1 {
		t.Fatalf("json: %v\n%s", err, data)
	}
	if r := rep.Results[0]; r.Images != 2 || !(r.PSNR > 0) || !(r.BPP > 0) || r.MIoU == nil {
		t.Errorf("result %+v", r)
	}
	if code, _, _ = runTrainCLI("compress", fixtureRef, "-o", filepath.Join(dir, "x.smc"), "--model", smw); code == exitOK {
		t.Error("compress accepted a model no bitstream can carry")
	}
}
