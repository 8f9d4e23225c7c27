package trainer

import (
	"io"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"os"
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/internal/shareddata"
	"github.com/semcodec/semcodec/model"
)

// camvidSubset copies the first n CamVid training images and labels into a
// temporary CamVid-layout folder and returns its split folder.
func camvidSubset(t testing.TB, n int) string {
	t.Helper()
	return camvidSubsetIn(t, t.TempDir(), n)
}

func camvidSubsetIn(t testing.TB, base string, n int) string {
	t.Helper()
	src := shareddata.Path(t, "data", "camvid")
	dir := filepath.Join(base, "camvid")
	for _, sub := range []string{"train", "trainannot"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	entries, err := os.ReadDir(filepath.Join(src, "train"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[:n] {
		for _, sub := range []string{"train", "trainannot"} {
			copyFile(t, filepath.Join(src, sub, e.Name()), filepath.Join(dir, sub, e.Name()))
		}
	}
	return filepath.Join(dir, "train")
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

var sharedBackend struct {
	once sync.Once
	be   backends.Backend
	err  error
}

// testBackend is one backend for the whole test binary: tensors cannot move
// between backend instances.
func testBackend(t testing.TB) backends.Backend {
	t.Helper()
	sharedBackend.once.Do(func() { sharedBackend.be, sharedBackend.err = backend.New() })
	if sharedBackend.err != nil {
		t.Fatal(sharedBackend.err)
	}
	return sharedBackend.be
}

func tinyOptions(t testing.TB, out string, steps int) Options {
	t.Helper()
	cfg, err := model.ConfigByName("tiny")
	if err != nil {
		t.Fatal(err)
	}
	return Options{Config: cfg, Steps: steps, Batch: 2, Crop: 64, Seed: 7, OutDir: out, Backend: testBackend(t)}
}

// newStepperOn builds a Stepper for opts and a Batcher over n CamVid
// images with opts' batch, crop and seed; the Stepper closes with the test.
func newStepperOn(t *testing.T, n int, opts Options) (*Stepper, *Batcher) {
	t.Helper()
	src, err := OpenData([]string{camvidSubset(t, n)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := NewStepper(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	batcher, err := NewBatcher(src, opts.Batch, opts.Crop, opts.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return st, batcher
}
