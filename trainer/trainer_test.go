package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/internal/shareddata"
)

// runLog trains with opts, collecting the JSON log lines.
func runLog(t *testing.T, src Source, opts Options, stopAfter int64) ([]string, error) {
	t.Helper()
	var buf bytes.Buffer
	opts.JSONLog = &buf
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if stopAfter > 0 {
		opts.OnStep = func(l StepLog) {
			if l.Step == stopAfter {
				cancel() // as Ctrl-C would
			}
		}
	}
	_, err := Train(ctx, src, nil, opts)
	return strings.Split(strings.TrimSpace(buf.String()), "\n"), err
}

// trained is a short tiny run shared by the checkpoint and export tests.
var trained struct {
	once sync.Once
	dir  string // output folder holding the checkpoint of step 2
	src  Source
	err  error
}

func trainedRun(t *testing.T) (string, Source) {
	t.Helper()
	shareddata.Path(t, "data", "camvid") // skips when the data is absent
	trained.once.Do(func() {
		dir, err := os.MkdirTemp("", "semcodec-trainer-")
		if err != nil {
			trained.err = err
			return
		}
		trained.src, trained.err = OpenData([]string{camvidSubsetIn(t, dir, 2)})
		if trained.err != nil {
			return
		}
		trained.dir = filepath.Join(dir, "out")
		_, trained.err = runLog(t, trained.src, tinyOptions(t, trained.dir, 2), 0)
	})
	if trained.err != nil {
		t.Fatal(trained.err)
	}
	return trained.dir, trained.src
}

func TestMain(m *testing.M) {
	code := m.Run()
	if trained.dir != "" {
		os.RemoveAll(filepath.Dir(trained.dir))
	}
	os.Exit(code)
}

// Training a few steps on real crops lowers the loss. The learning rate is
// raised from the paper's 1e-4 so that a handful of steps show it. Means
// run over 12 steps at each end: single batches' losses differ 20-fold, and
// 8-step means flipped under mere float32 rounding changes.
func TestLossFalls(t *testing.T) {
	src, err := OpenData([]string{camvidSubset(t, 4)})
	if err != nil {
		t.Fatal(err)
	}
	opts := tinyOptions(t, t.TempDir(), 48)
	opts.Batch, opts.LearningRate = 4, 1e-3
	lines, err := runLog(t, src, opts, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 48 {
		t.Fatalf("%d log lines, want 48", len(lines))
	}
	var first, last float64
	for i, line := range lines {
		var l StepLog
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		if l.Step != int64(i+1) || l.MIoU == nil || l.BPP <= 0 || l.CE <= 0 {
			t.Fatalf("line %d: %s", i, line)
		}
		if i < 12 {
			first += l.Loss / 12
		}
		if i >= 36 {
			last += l.Loss / 12
		}
	}
	if !(last < first) {
		t.Errorf("mean loss of the last 12 steps %.2f, not below the first 12's %.2f", last, first)
	}
	t.Logf("mean loss: steps 1-12 %.2f, steps 37-48 %.2f", first, last)
}

// An interrupted and resumed run repeats an uninterrupted one bit for bit.
func TestResumeBitIdentical(t *testing.T) {
	src, err := OpenData([]string{camvidSubset(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	const steps = 5
	base := t.TempDir()
	whole, err := runLog(t, src, tinyOptions(t, filepath.Join(base, "whole"), steps), 0)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(base, "parts")
	first, err := runLog(t, src, tinyOptions(t, out, steps), 2)
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("interrupted run: %v, want ErrInterrupted", err)
	}
	if list, _ := ListCheckpoints(out); len(list) != 1 || !strings.HasSuffix(list[0], "ckpt-000000002") {
		t.Fatalf("checkpoints after the interrupt: %v", list)
	}
	opts := tinyOptions(t, out, steps)
	opts.Resume = true
	second, err := runLog(t, src, opts, 0)
	if err != nil {
		t.Fatal(err)
	}
	joined := append(first, second...)
	if strings.Join(joined, "\n") != strings.Join(whole, "\n") {
		t.Fatalf("resumed log differs:\nwhole:\n%s\nresumed:\n%s", strings.Join(whole, "\n"), strings.Join(joined, "\n"))
	}
	a, err := LoadCheckpoint(filepath.Join(base, "whole"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Tensors) != len(b.Tensors) || a.Meta.Step != steps || b.Meta.Step != steps {
		t.Fatalf("checkpoints: %d tensors at step %d vs %d at %d", len(a.Tensors), a.Meta.Step, len(b.Tensors), b.Meta.Step)
	}
	for name, ta := range a.Tensors {
		if !sameBytes(ta, b.Tensors[name]) {
			t.Errorf("variable %s differs after resume", name)
		}
	}
}

func sameBytes(a, b *tensors.Tensor) bool {
	if a == nil || b == nil || !a.Shape().Equal(b.Shape()) {
		return false
	}
	var ra, rb []byte
	a.ConstBytes(func(d []byte) { ra = bytes.Clone(d) })
	b.ConstBytes(func(d []byte) { rb = bytes.Clone(d) })
	return bytes.Equal(ra, rb)
}
