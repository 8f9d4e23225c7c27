package trainer

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/model"
)

func TestDrawLevels(t *testing.T) {
	a, b := drawLevels(3, 17, 64, 4), drawLevels(3, 17, 64, 4)
	if !slices.Equal(a, b) {
		t.Fatal("level draws differ for the same seed and step")
	}
	if slices.Equal(a, drawLevels(3, 18, 64, 4)) {
		t.Error("steps 17 and 18 drew the same levels")
	}
	seen := map[int]bool{}
	for _, l := range a {
		seen[l] = true
	}
	if len(seen) != 4 {
		t.Errorf("64 draws over 4 levels hit only %v", seen)
	}
	if r := rateTensor([]int{2, 0}, 3).Value().([][]float32); !slices.Equal(r[0], []float32{0, 0, 1}) || !slices.Equal(r[1], []float32{1, 0, 0}) {
		t.Errorf("rateTensor = %v", r)
	}
}

// TestFixedRateBecomesVariableRate resumes a fixed-rate checkpoint with gain
// levels: training continues from its weights, the new gain tables learn,
// and validation reports every level.
func TestFixedRateBecomesVariableRate(t *testing.T) {
	src, err := OpenData([]string{camvidSubset(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	opts := tinyOptions(t, out, 3)
	if _, err := runLog(t, src, opts, 0); err != nil {
		t.Fatal(err)
	}
	opts = tinyOptions(t, out, 6)
	opts.Resume = true
	opts.Config.GainLambdas = []float64{0.0035, 0.013, 0.05}
	res, err := Train(context.Background(), src, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Val) != 3 || res.Val[0].Quality != 1 || res.Val[2].Quality != 3 {
		t.Fatalf("validation results %+v, want one per level", res.Val)
	}
	ck, err := LoadCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Meta.Step != 6 || ck.Meta.Config.GainLevels() != 3 {
		t.Fatalf("checkpoint at step %d with %d levels", ck.Meta.Step, ck.Meta.Config.GainLevels())
	}
	g := ck.Tensors["/"+model.ScopeGain+"/"+model.VarLogGain]
	if g == nil {
		t.Fatal("no gain table in the checkpoint")
	}
	rows := g.Value().([][]float32)
	moved := false
	for i, lam := range opts.Config.GainLambdas {
		init := float32(0.5 * math.Log(lam/DefaultLambda)) // the fixed-rate run's λ
		for _, v := range rows[i] {
			moved = moved || v != init
		}
	}
	if !moved {
		t.Error("the gain table kept its initial values through 3 steps")
	}
	// Levels added below and between the trained ones: the trained rows are
	// carried over by λ, the new ones start on the line through their
	// neighbours in log λ.
	more := filepath.Join(t.TempDir(), "more")
	if err := os.CopyFS(more, os.DirFS(out)); err != nil {
		t.Fatal(err)
	}
	opts = tinyOptions(t, more, 7)
	opts.Resume = true
	opts.LearningRate, opts.AuxLearningRate = 1e-30, 1e-30
	opts.Config.GainLambdas = []float64{0.0009, 0.0035, 0.00676, 0.013, 0.05}
	if _, err := Train(context.Background(), src, nil, opts); err != nil {
		t.Fatal(err)
	}
	ck2, err := LoadCheckpoint(more)
	if err != nil {
		t.Fatal(err)
	}
	got := ck2.Tensors["/"+model.ScopeGain+"/"+model.VarLogGain].Value().([][]float32)
	if len(got) != 5 {
		t.Fatalf("gain table has %d levels, want 5", len(got))
	}
	line := func(a, b []float32, la, lb, l float64) []float32 {
		r := make([]float32, len(a))
		t := (math.Log(l) - math.Log(la)) / (math.Log(lb) - math.Log(la))
		for c := range a {
			r[c] = a[c] + float32(t)*(b[c]-a[c])
		}
		return r
	}
	near := func(a, b []float32) bool {
		for c := range a {
			if math.Abs(float64(a[c]-b[c])) > 1e-5 {
				return false
			}
		}
		return true
	}
	want := [][]float32{line(rows[0], rows[1], 0.0035, 0.013, 0.0009), rows[0],
		line(rows[0], rows[1], 0.0035, 0.013, 0.00676), rows[1], rows[2]}
	for i := range want {
		if !near(got[i], want[i]) {
			t.Errorf("level %d of 5: gain row %v, want %v", i+1, got[i][:3], want[i][:3])
		}
	}
	// Fewer levels than the checkpoint's is another network.
	opts = tinyOptions(t, out, 7)
	opts.Resume = true
	opts.Config.GainLambdas = []float64{0.0035, 0.013}
	if _, err := Train(context.Background(), src, nil, opts); err == nil {
		t.Error("resumed a 3-level checkpoint as a 2-level network")
	}
}

// TestInitFromExportedModel starts a run from an exported model file: with
// a vanishing learning rate its convolution kernels after one step are the
// file's, and --init with --resume is refused.
func TestInitFromExportedModel(t *testing.T) {
	ck, src, f := exportedF32(t)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m.smw")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "init")
	opts := tinyOptions(t, out, 1)
	opts.Init = path
	opts.LearningRate, opts.AuxLearningRate = 1e-30, 1e-30
	if _, err := runLog(t, src, opts, 0); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCheckpoint(out)
	if err != nil {
		t.Fatal(err)
	}
	kernels := 0
	for key, want := range ck.Tensors {
		if !strings.HasSuffix(key, "/weights") || !modelVariable(key) {
			continue
		}
		kernels++
		if !sameBytes(got.Tensors[key], want) {
			t.Errorf("%s differs from the model file's", key)
		}
	}
	if kernels < 10 {
		t.Fatalf("compared %d kernels", kernels)
	}
	opts.Resume = true
	if _, err := Train(context.Background(), src, nil, opts); err == nil {
		t.Error("--init with --resume accepted")
	}
}
