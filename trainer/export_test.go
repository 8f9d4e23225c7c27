package trainer

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/x448/float16"

	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// infer runs the inference path on ctx and returns x̂_e, the logits and ŷ.
func infer(t *testing.T, ctx *mlctx.Context, cfg model.Config, img *tensors.Tensor) []*tensors.Tensor {
	t.Helper()
	be := testBackend(t)
	exec, err := mlctx.NewExec(be, ctx, func(ctx *mlctx.Context, x *graph.Node) []*graph.Node {
		out := model.Forward(ctx, cfg, x, false)
		return []*graph.Node{out.XHatEnh, out.Logits, out.YHat}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	outs, err := exec.Exec(img)
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

// testInput is a real CamVid crop of odd size (the network pads it).
func testInput(t *testing.T, src Source) *tensors.Tensor {
	t.Helper()
	b, err := NewBatcher(src, 1, 72, 3)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := b.Batch(0)
	if err != nil {
		t.Fatal(err)
	}
	return tensors.FromFlatDataAndDimensions(batch.Images, 1, 72, 72, 3)
}

// exportedF32 is the shared trained run's checkpoint, its data and its
// float32 export.
func exportedF32(t *testing.T) (*Checkpoint, Source, *weights.File) {
	t.Helper()
	dir, src := trainedRun(t)
	ck, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Export(ck, ExportOptions{DType: ExportF32})
	if err != nil {
		t.Fatal(err)
	}
	return ck, src, f
}

func exportAndLoad(t *testing.T, ck *Checkpoint, dtype string) (*weights.File, *mlctx.Context, model.Config) {
	t.Helper()
	f, err := Export(ck, ExportOptions{DType: dtype, Quality: 2})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	g, err := weights.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cfg, err := ModelContext(g, testBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	return g, ctx, cfg
}

// Export -> file bytes -> ModelContext gives bit-identical outputs (float32).
func TestExportLoadIdentical(t *testing.T) {
	dir, src := trainedRun(t)
	ck, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, loaded, cfg := exportAndLoad(t, ck, ExportF32)
	if m := f.Meta; m.Model != "semcodec-tiny" || m.Quality != 2 || m.Lambda != ck.Meta.RunLambda() ||
		len(m.Classes) != 11 || m.Classes[0] != "Sky" || len(m.Palette) != 11 || m.Extra["step"] != "2" {
		t.Errorf("metadata %+v", m)
	}
	for _, name := range f.Names() {
		if strings.Contains(name, "Adam") || strings.Contains(name, "optimizers/") || strings.Contains(name, "global_step") || strings.Contains(name, "rngState") {
			t.Errorf("optimizer state %q exported", name)
		}
	}
	orig, err := InferenceContext(ck, testBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	img := testInput(t, src)
	a, b := infer(t, orig, ck.Meta.Config, img), infer(t, loaded, cfg, img)
	for i := range a {
		if !sameBytes(a[i], b[i]) {
			t.Errorf("output %d differs after export and load", i)
		}
	}
}

// float16 export halves the kernels; the loaded kernels are exactly the
// float16 values and the outputs stay close.
func TestExportF16(t *testing.T) {
	ck, src, f32 := exportedF32(t)
	f16, loaded, cfg := exportAndLoad(t, ck, ExportF16)
	b32, _ := f32.Bytes()
	b16, _ := f16.Bytes()
	if len(b16) >= len(b32)*3/4 {
		t.Errorf("f16 file %d bytes, f32 %d", len(b16), len(b32))
	}
	name := "synthesis/up1/weights"
	wt, err := f16.Tensor(name)
	if err != nil || wt.DType != weights.F16 {
		t.Fatalf("%s: %v %v", name, wt, err)
	}
	orig, _ := tensors.CopyFlatData[float32](ck.Tensors["/"+name])
	got, _ := tensors.CopyFlatData[float32](loaded.GetVariableByScopeAndName("/synthesis/up1", "weights").MustValue())
	for i := range orig {
		if want := float16.Fromfloat32(orig[i]).Float32(); got[i] != want {
			t.Fatalf("%s[%d] = %g, want float16 %g", name, i, got[i], want)
		}
	}
	if bt, _ := f16.Tensor("synthesis/up1/biases"); bt.DType != weights.F32 {
		t.Errorf("biases stored as %s", bt.DType)
	}
	origCtx, _ := InferenceContext(ck, testBackend(t))
	img := testInput(t, src)
	a, _ := tensors.CopyFlatData[float32](infer(t, origCtx, cfg, img)[0])
	b, _ := tensors.CopyFlatData[float32](infer(t, loaded, cfg, img)[0])
	var se float64
	for i := range a {
		se += float64((a[i] - b[i]) * (a[i] - b[i]))
	}
	if psnr := -10 * math.Log10(se/float64(len(a))+1e-12); psnr < 40 {
		t.Errorf("f16 vs f32 reconstruction: %.1f dB apart, want >= 40", psnr)
	}
}

func TestModelContextMismatch(t *testing.T) {
	ck, _, f := exportedF32(t)
	// A file whose config says "more channels" than its tensors hold.
	cfg := ck.Meta.Config
	cfg.N *= 2
	var err error
	if f.Meta.Config, err = json.Marshal(cfg); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ModelContext(f, testBackend(t)); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Errorf("mismatched file: %v", err)
	}
	// Export checks its own output the same way.
	ck2 := *ck
	ck2.Meta.Config = cfg
	if _, err := Export(&ck2, ExportOptions{DType: ExportF32}); err == nil || !strings.Contains(err.Error(), "do not match") {
		t.Errorf("export of a mismatched checkpoint: %v", err)
	}
	if _, err := Export(ck, ExportOptions{DType: "bf16"}); err == nil {
		t.Error("bf16 export accepted")
	}
}

// Folded BatchNorms leave plain convolutions in the file and load back as
// exact identities; outputs match to float rounding.
func TestExportFoldBatchNorm(t *testing.T) {
	if got := unitVariance + float32(0.001); got != 1 {
		t.Fatalf("unitVariance + eps = %v, want exactly 1", got)
	}
	dir, src := trainedRun(t)
	ck, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := Export(ck, ExportOptions{DType: ExportF32, FoldBatchNorm: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := Export(ck, ExportOptions{DType: ExportF32})
	if f.Meta.Extra["batchnorm"] != bnFolded || f.Len() >= plain.Len() {
		t.Fatalf("folded file: %d tensors (unfolded %d), batchnorm=%q", f.Len(), plain.Len(), f.Meta.Extra["batchnorm"])
	}
	for _, name := range f.Names() {
		if strings.Contains(name, "/bn/") {
			t.Errorf("%s left in a folded file", name)
		}
	}
	data, _ := f.Bytes()
	g, err := weights.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	loaded, cfg, err := ModelContext(g, testBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := InferenceContext(ck, testBackend(t))
	img := testInput(t, src)
	a, _ := tensors.CopyFlatData[float32](infer(t, orig, cfg, img)[0])
	b, _ := tensors.CopyFlatData[float32](infer(t, loaded, cfg, img)[0])
	var worst float64
	for i := range a {
		worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
	}
	if worst > 1e-3 {
		t.Errorf("folded model differs by up to %g", worst)
	}
	t.Logf("largest output difference after folding: %g", worst)
}
