package main

// Tests of the rules for inputs and outputs shared by compress, decompress and
// roundtrip (outputs.go): pipes, checks before work, all-or-none writing,
// messages, quality validation and the segmentation legend. They use the
// embedded default model on the 256×256 fixture.

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/imageio"
)

// fixtureSMC is the fixture compressed with the default embedded model.
var fixtureSMC = sync.OnceValues(func() ([]byte, error) {
	img, err := imageio.ReadImage(fixtureRef)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = codec.Encode(&buf, img, nil)
	return buf.Bytes(), err
})

// smcFile writes the compressed fixture into dir and returns its path.
func smcFile(t *testing.T, dir string) string {
	t.Helper()
	data, err := fixtureSMC()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "k.smc")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runStdin runs the CLI with stdin as its standard input.
func runStdin(stdin []byte, args ...string) (code int, stdout []byte, stderr string) {
	var out, errb bytes.Buffer
	code = runIO(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.Bytes(), errb.String()
}

// setBeforeWrite installs the beforeWrite hook for one test.
func setBeforeWrite(t *testing.T, f func() error) {
	t.Helper()
	beforeWrite = f
	t.Cleanup(func() { beforeWrite = nil })
}

func mustNotExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists (%v)", p, err)
		}
	}
}

// noTemporaries fails if dir holds a temporary file of package atomicfile.
func noTemporaries(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), ".semcodec-check") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestCompressDecompressThroughPipes(t *testing.T) {
	src, err := os.ReadFile(fixtureRef)
	if err != nil {
		t.Fatal(err)
	}
	want, err := fixtureSMC()
	if err != nil {
		t.Fatal(err)
	}
	code, smc, stderr := runStdin(src, "compress", "-", "-o", "-")
	if code != exitOK {
		t.Fatalf("compress - -o -: exit %d: %s", code, stderr)
	}
	if !bytes.Equal(smc, want) {
		t.Errorf("standard output holds %d bytes, not the %d-byte bitstream alone", len(smc), len(want))
	}
	if !strings.Contains(stderr, "bpp") {
		t.Errorf("the summary should go to stderr, got %q", stderr)
	}

	dir := t.TempDir()
	code, pngData, stderr := runStdin(smc, "decompress", "-", "-o", "-", "--seg", filepath.Join(dir, "l.png"))
	if code != exitOK {
		t.Fatalf("decompress - -o -: exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("decompress printed %q", stderr)
	}
	img, err := imageio.DecodeImage(bytes.NewReader(pngData))
	if err != nil || img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
		t.Fatalf("standard output is not the 256x256 PNG alone: %v", err)
	}
	// The same as decoding from and to files.
	smcPath := smcFile(t, dir)
	filePNG := filepath.Join(dir, "k.png")
	if code, _, stderr := runCLI("decompress", smcPath, "-o", filePNG); code != exitOK {
		t.Fatalf("decompress to a file: exit %d: %s", code, stderr)
	}
	if fromFile, _ := os.ReadFile(filePNG); !bytes.Equal(fromFile, pngData) {
		t.Error("decompress -o - differs from decompress -o FILE")
	}

	// The label map alone on standard output.
	code, labels, stderr := runStdin(nil, "decompress", smcPath, "--seg-only", "--seg", "-")
	if code != exitOK {
		t.Fatalf("--seg -: exit %d: %s", code, stderr)
	}
	if fromFile, _ := os.ReadFile(filepath.Join(dir, "l.png")); !bytes.Equal(fromFile, labels) {
		t.Error("--seg - differs from --seg FILE")
	}
}

func TestOnlyOneOutputOnStdout(t *testing.T) {
	dir := t.TempDir()
	smc := smcFile(t, dir)
	for _, args := range [][]string{
		{"decompress", smc, "-o", "-", "--seg", "-"},
		{"decompress", smc, "--seg-only", "--seg", "-", "--seg-color", "-"},
	} {
		code, out, stderr := runStdin(nil, args...)
		if code != exitUsage || len(out) != 0 || !strings.Contains(stderr, "standard output") {
			t.Errorf("%v: exit %d, %d bytes out, stderr %q; want a usage error", args, code, len(out), stderr)
		}
	}
}

func TestOutputFolderCheckedBeforeWork(t *testing.T) {
	dir := t.TempDir()
	smc := smcFile(t, dir)
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "out.png")
	missing := filepath.Join(dir, "missing", "x.png")
	cases := []struct {
		name  string
		args  []string
		bad   string   // the path the message must name
		clean []string // paths that must not exist afterwards
	}{
		{"compress missing folder", []string{"compress", fixtureRef, "-o", filepath.Join(dir, "missing", "x.smc")}, filepath.Join(dir, "missing", "x.smc"), nil},
		{"compress folder is a file", []string{"compress", fixtureRef, "-o", filepath.Join(file, "x.smc")}, filepath.Join(file, "x.smc"), nil},
		{"compress output is a folder", []string{"compress", fixtureRef, "-o", dir}, dir, nil},
		// The bad --seg folder is found before -o is written.
		{"decompress seg missing folder", []string{"decompress", smc, "-o", png, "--seg", missing}, missing, []string{png}},
		{"decompress seg-color missing folder", []string{"decompress", smc, "-o", png, "--seg-color", missing}, missing, []string{png}},
		{"roundtrip out-dir under a file", []string{"roundtrip", fixtureRef, "--out-dir", filepath.Join(file, "out")}, filepath.Join(file, "out"), nil},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		cases = append(cases,
			struct {
				name  string
				args  []string
				bad   string
				clean []string
			}{"decompress read-only folder", []string{"decompress", smc, "-o", png, "--seg", filepath.Join(ro, "l.png")}, filepath.Join(ro, "l.png"), []string{png}})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			worked := false // the encode or decode ran before the failure
			setBeforeWrite(t, func() error { worked = true; return nil })
			code, out, stderr := runCLI(c.args...)
			if worked {
				t.Error("the output was checked only after the work")
			}
			if code == exitOK || !strings.Contains(stderr, c.bad) {
				t.Errorf("exit %d, stderr %q; want a failure naming %s", code, stderr, c.bad)
			}
			if out != "" {
				t.Errorf("printed %q", out)
			}
			mustNotExist(t, c.clean...)
			noTemporaries(t, dir)
		})
	}
}

func TestOutputMustNotBeAnInputOrAnotherOutput(t *testing.T) {
	dir := t.TempDir()
	smc := smcFile(t, dir)
	img := filepath.Join(dir, "k.png")
	orig, err := os.ReadFile(fixtureRef)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(img, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.png") // the same file under another name
	if err := os.Link(img, link); err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "model.smw")
	if err := os.WriteFile(model, []byte("not read: the check comes first"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.png")
	smcData, _ := os.ReadFile(smc)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"compress onto its input", []string{"compress", img, "-o", filepath.Join(dir, ".", "k.png")}},
		{"compress onto a link to its input", []string{"compress", img, "-o", link}},
		{"compress onto the model", []string{"compress", img, "-o", model, "--model", model}},
		{"decompress onto its input", []string{"decompress", smc, "-o", smc}},
		{"decompress seg onto its input", []string{"decompress", smc, "-o", other, "--seg", filepath.Join(dir, "sub", "..", "k.smc")}},
		{"decompress two outputs one file", []string{"decompress", smc, "-o", other, "--seg-color", filepath.Join(dir, "./other.png")}},
		{"decompress seg and seg-color one file", []string{"decompress", smc, "--seg-only", "--seg", link, "--seg-color", img}},
		{"roundtrip onto its input", []string{"roundtrip", img, "--out-dir", dir}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(c.args...)
			if code != exitUsage || !strings.Contains(stderr, "same file") {
				t.Errorf("exit %d, stderr %q; want a usage error about the same file", code, stderr)
			}
			if got, _ := os.ReadFile(img); !bytes.Equal(got, orig) {
				t.Fatal("input image overwritten")
			}
			if got, _ := os.ReadFile(smc); !bytes.Equal(got, smcData) {
				t.Fatal("input .smc overwritten")
			}
			mustNotExist(t, other)
			noTemporaries(t, dir)
		})
	}
}

// A write that fails after the checks leaves none of the outputs: the others
// are not renamed into place, or are taken back. Messages name the user's
// path, never a temporary file.
func TestDecompressWritesAllOrNone(t *testing.T) {
	dir := t.TempDir()
	smc := smcFile(t, dir)
	png := filepath.Join(dir, "k.png")
	labels := filepath.Join(dir, "l.png")
	segDir := filepath.Join(dir, "seg")

	t.Run("seg folder vanishes before the write", func(t *testing.T) {
		if err := os.Mkdir(segDir, 0o755); err != nil {
			t.Fatal(err)
		}
		vis := filepath.Join(segDir, "v.png")
		setBeforeWrite(t, func() error { return os.Remove(segDir) })
		code, _, stderr := runCLI("decompress", smc, "-o", png, "--seg", labels, "--seg-color", vis)
		if code == exitOK || !strings.Contains(stderr, vis) || strings.Contains(stderr, ".tmp-") {
			t.Errorf("exit %d, stderr %q; want a failure naming %s and no temporary file", code, stderr, vis)
		}
		mustNotExist(t, png, labels)
		noTemporaries(t, dir)
	})

	t.Run("seg rename fails after -o was renamed", func(t *testing.T) {
		old := []byte("old contents")
		if err := os.WriteFile(png, old, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(png)
		setBeforeWrite(t, func() error { return os.Mkdir(labels, 0o755) }) // a folder now blocks --seg
		defer os.Remove(labels)
		code, _, stderr := runCLI("decompress", smc, "-o", png, "--seg", labels)
		if code == exitOK || !strings.Contains(stderr, labels) || strings.Contains(stderr, ".tmp-") {
			t.Errorf("exit %d, stderr %q; want a failure naming %s and no temporary file", code, stderr, labels)
		}
		if got, _ := os.ReadFile(png); !bytes.Equal(got, old) {
			t.Errorf("-o holds %d new bytes after --seg failed; want the old contents back", len(got))
		}
		noTemporaries(t, dir)
	})

	t.Run("stdout gets nothing when a file fails", func(t *testing.T) {
		gone := filepath.Join(dir, "gone")
		if err := os.Mkdir(gone, 0o755); err != nil {
			t.Fatal(err)
		}
		setBeforeWrite(t, func() error { return os.Remove(gone) })
		code, out, _ := runStdin(nil, "decompress", smc, "-o", "-", "--seg", filepath.Join(gone, "x.png"))
		if code == exitOK || len(out) != 0 {
			t.Errorf("exit %d, %d bytes on stdout; want a failure and nothing written", code, len(out))
		}
	})
}

func TestQualityMustSelectAModel(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.smc")
	for _, q := range []string{"0", "-1", "99"} {
		for _, args := range [][]string{
			{"compress", fixtureRef, "-o", out, "-q", q},
			{"roundtrip", fixtureRef, "--out-dir", filepath.Join(dir, "rt"), "-q", q},
		} {
			code, _, stderr := runCLI(args...)
			if code != exitUsage || !strings.Contains(stderr, "-q "+q+":") {
				t.Errorf("%v: exit %d, stderr %q; want a usage error about -q %s", args, code, stderr, q)
			}
		}
	}
	mustNotExist(t, out, filepath.Join(dir, "rt"))
	// -q 0 is refused with --model too, before the model is read.
	if code, _, stderr := runCLI("compress", fixtureRef, "-o", out, "-q", "0", "--model", filepath.Join(dir, "none.smw")); code != exitUsage {
		t.Errorf("-q 0 --model: exit %d (%s), want %d", code, stderr, exitUsage)
	}
	// A valid level works.
	if code, _, stderr := runCLI("compress", fixtureRef, "-o", out, "-q", "1"); code != exitOK {
		t.Errorf("-q 1: exit %d: %s", code, stderr)
	}
}

func TestRoundtripFailureRemovesCreatedFolders(t *testing.T) {
	dir := t.TempDir()
	boom := errors.New("simulated write failure")
	setBeforeWrite(t, func() error { return boom })

	newDir := filepath.Join(dir, "a", "b", "c")
	code, _, stderr := runCLI("roundtrip", fixtureRef, "--out-dir", newDir)
	if code == exitOK || !strings.Contains(stderr, boom.Error()) {
		t.Fatalf("exit %d, stderr %q; want the simulated failure", code, stderr)
	}
	mustNotExist(t, filepath.Join(dir, "a"))

	// A folder that was there before stays.
	code, _, _ = runCLI("roundtrip", fixtureRef, "--out-dir", dir)
	if code == exitOK {
		t.Fatal("want a failure")
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("existing --out-dir removed: %v", err)
	}
	noTemporaries(t, dir)
}

func TestCompressRefusesBitstream(t *testing.T) {
	dir := t.TempDir()
	smc := smcFile(t, dir)
	data, _ := os.ReadFile(smc)
	out := filepath.Join(dir, "again.smc")
	code, _, stderr := runCLI("compress", smc, "-o", out)
	if code != exitBadInput || !strings.Contains(stderr, "already a semcodec bitstream") || !strings.Contains(stderr, smc) {
		t.Errorf("file: exit %d, stderr %q", code, stderr)
	}
	code, stdout, stderr := runStdin(data, "compress", "-", "-o", "-")
	if code != exitBadInput || len(stdout) != 0 || !strings.Contains(stderr, "already a semcodec bitstream") {
		t.Errorf("stdin: exit %d, stderr %q", code, stderr)
	}
	// Only the magic matters: a truncated file is still recognised.
	short := filepath.Join(dir, "short.smc")
	if err := os.WriteFile(short, []byte(bitstream.Magic), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr = runCLI("compress", short, "-o", out); !strings.Contains(stderr, "already a semcodec bitstream") {
		t.Errorf("magic only: exit %d, stderr %q", code, stderr)
	}
	mustNotExist(t, out)
}

// rgbaAt reads the pixel at (x, y) as opaque RGBA.
func rgbaAt(img image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

// hasColor reports whether c occurs in img below row y0.
func hasColor(img image.Image, y0 int, c color.RGBA) bool {
	b := img.Bounds()
	for y := y0; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if rgbaAt(img, x, y) == c {
				return true
			}
		}
	}
	return false
}

func TestSegColorAndOverlayCarryALegend(t *testing.T) {
	dir := t.TempDir()
	smc := smcFile(t, dir)
	data, _ := os.ReadFile(smc)
	seg, err := codec.DecodeSegmentation(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	entries := imageio.LegendEntries(seg.Map, seg.Classes, seg.Palette)
	if len(entries) == 0 {
		t.Fatal("no class in the map")
	}
	labels, vis := filepath.Join(dir, "l.png"), filepath.Join(dir, "v.png")
	if code, _, stderr := runCLI("decompress", smc, "--seg-only", "--seg", labels, "--seg-color", vis); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// --seg stays the plain label-index map.
	plain, err := imageio.ReadLabels(labels)
	if err != nil || plain.Bounds() != seg.Map.Bounds() || !bytes.Equal(plain.Pix, seg.Map.Pix) {
		t.Fatalf("--seg is not the plain label map (%v)", err)
	}
	// --seg-color: the coloured map, untouched, with the legend below it.
	colored, err := imageio.ReadImage(vis)
	if err != nil {
		t.Fatal(err)
	}
	h := seg.Map.Bounds().Dy()
	if colored.Bounds().Dy() <= h {
		t.Fatalf("--seg-color is %v: no legend below the %d-row map", colored.Bounds(), h)
	}
	want := imageio.Colorize(seg.Map, seg.Palette)
	for y := 0; y < h; y++ {
		for x := 0; x < want.Rect.Dx(); x++ {
			if colored.RGBAAt(x, y) != want.RGBAAt(x, y) {
				t.Fatalf("map pixel (%d,%d) changed", x, y)
			}
		}
	}
	for _, e := range entries {
		if !hasColor(colored, h, e.Color) {
			t.Errorf("legend lacks the swatch of %s", e.Name)
		}
	}

	// roundtrip names its overlay as one and gives it a legend.
	outDir := filepath.Join(dir, "rt")
	if code, _, stderr := runCLI("roundtrip", fixtureRef, "--out-dir", outDir); code != exitOK {
		t.Fatalf("roundtrip: exit %d: %s", code, stderr)
	}
	mustNotExist(t, filepath.Join(outDir, "kodim23_crop_seg.png"))
	overlay, err := imageio.ReadImage(filepath.Join(outDir, "kodim23_crop_seg_overlay.png"))
	if err != nil {
		t.Fatal(err)
	}
	if overlay.Bounds().Dy() <= h {
		t.Errorf("overlay is %v: no legend", overlay.Bounds())
	}
	for _, e := range entries {
		if !hasColor(overlay, h, e.Color) {
			t.Errorf("overlay legend lacks the swatch of %s", e.Name)
		}
	}
}
