package trainer

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/nn"
	"github.com/semcodec/semcodec/weights"
)

// Export dtypes.
const (
	ExportF16 = "f16" // convolution kernels as float16, everything else float32
	ExportF32 = "f32"
)

// ExportOptions configure Export. The zero value exports float16 kernels,
// quality 1, under the model name "semcodec-<config>".
type ExportOptions struct {
	DType   string // ExportF16 (default) or ExportF32
	Quality int    // quality index within a model family, 1 (lowest rate) up; 0 means 1
	Model   string // model (family) name
	// FoldBatchNorm folds every BatchNorm into the convolution before it
	// (nn.FoldBatchNorm): the file then holds plain conv weights and biases,
	// the form a BLAS inference path wants. ModelContext turns the BatchNorms
	// back into exact identities, so outputs match the checkpoint's to
	// float rounding rather than bit for bit.
	FoldBatchNorm bool
	// Backend loads the written file back as a check (nil: backend.New).
	Backend backends.Backend
}

// Metadata values of the "batchnorm" key.
const (
	bnKept   = "unfolded"
	bnFolded = "folded"
)

// bnNames are the variables of a BatchNorm inside "<conv>/bn".
var bnNames = []string{nn.BatchNormScaleName, nn.BatchNormOffsetName, nn.BatchNormMeanName, nn.BatchNormVarianceName}

// foldAll returns the checkpoint's network variables with every foldable
// BatchNorm folded into its convolution.
func foldAll(vals map[string][]float32, shapes map[string][]int) error {
	for key := range vals {
		conv, ok := strings.CutSuffix(key, "/bn/"+nn.BatchNormScaleName)
		if !ok {
			continue
		}
		w, hasW := vals[conv+"/"+nn.WeightsName]
		if !hasW || len(shapes[conv+"/"+nn.WeightsName]) != 4 {
			continue // not after a convolution: kept as it is
		}
		var bn [4][]float32
		for i, n := range bnNames {
			if bn[i], ok = vals[conv+"/bn/"+n]; !ok {
				return fmt.Errorf("trainer: %s/bn lacks %s", conv, n)
			}
		}
		fw, fb, err := nn.FoldBatchNorm(w, vals[conv+"/"+nn.BiasesName], bn[0], bn[1], bn[2], bn[3])
		if err != nil {
			return err
		}
		vals[conv+"/"+nn.WeightsName], vals[conv+"/"+nn.BiasesName] = fw, fb
		shapes[conv+"/"+nn.BiasesName] = []int{len(fb)}
		for _, n := range bnNames {
			delete(vals, conv+"/bn/"+n)
		}
	}
	return nil
}

// unitVariance is the float32 v with v + BatchNormEpsilon == 1 exactly, so
// that a BatchNorm with mean 0, scale 1 and this variance is an identity.
var unitVariance = func() float32 {
	eps := float32(nn.BatchNormEpsilon)
	v := 1 - eps
	for v+eps > 1 {
		v = math.Nextafter32(v, 0)
	}
	for v+eps < 1 {
		v = math.Nextafter32(v, 2)
	}
	return v
}()

// unfold gives a folded file's tensors the shape of the network's variables:
// each folded BatchNorm becomes an exact identity, and the folded bias goes
// to the convolution's biases, or to the BatchNorm's offset when the
// convolution has none.
func unfold(vals map[string]*tensors.Tensor, ctx *mlctx.Context) {
	ctx.EnumerateVariables(func(v *mlctx.Variable) {
		scope := v.Scope()
		conv, ok := strings.CutSuffix(scope, "/bn")
		if !ok || vals[varKey(scope, v.Name())] != nil {
			return
		}
		c := v.Shape().Dimensions[0]
		val := make([]float32, c)
		switch v.Name() {
		case nn.BatchNormScaleName:
			for i := range val {
				val[i] = 1
			}
		case nn.BatchNormVarianceName:
			for i := range val {
				val[i] = unitVariance
			}
		case nn.BatchNormOffsetName:
			if ctx.GetVariableByScopeAndName(conv, nn.BiasesName) == nil {
				if b := vals[varKey(conv, nn.BiasesName)]; b != nil {
					val = tensors.MustCopyFlatData[float32](b)
					delete(vals, varKey(conv, nn.BiasesName))
				}
			}
		}
		vals[varKey(scope, v.Name())] = tensors.FromFlatDataAndDimensions(val, c)
	})
}

// modelVariable reports whether a checkpoint variable is part of the network
// (as opposed to optimizer state, counters and the random state).
func modelVariable(key string) bool {
	rest, ok := strings.CutPrefix(key, "/")
	if !ok || !strings.Contains(rest, "/") { // root-level: #rngState, global_step
		return false
	}
	for _, scope := range []string{adamScope, auxScope, "optimizers"} {
		if strings.HasPrefix(rest, scope+"/") {
			return false
		}
	}
	return true
}

// Export writes a checkpoint's network as a model file: the one road from
// training to a shipped model. It gathers the network's variables (no
// optimizer state; BatchNorm folded with FoldBatchNorm) and the run's
// settings as metadata, hands them to codec.Export (which adds the class
// names and palette and, for a codable configuration, freezes the entropy
// tables), then serializes the file, parses it back and loads it as a
// network on opts.Backend: the file returned is the one those bytes hold.
func Export(ck *Checkpoint, opts ExportOptions) (*weights.File, error) {
	if opts.DType == "" {
		opts.DType = ExportF16
	}
	if opts.DType != ExportF16 && opts.DType != ExportF32 {
		return nil, fmt.Errorf("trainer: export dtype %q, want %s or %s", opts.DType, ExportF16, ExportF32)
	}
	if opts.Quality == 0 {
		opts.Quality = 1
	}
	if opts.Quality < 1 {
		return nil, fmt.Errorf("trainer: quality %d must be at least 1", opts.Quality)
	}
	be := opts.Backend
	if be == nil {
		var err error
		if be, err = backend.New(); err != nil {
			return nil, err
		}
	}
	cfg := ck.Meta.Config
	meta := weights.Metadata{Model: opts.Model, Lambda: ck.Meta.RunLambda(), Quality: opts.Quality,
		Extra: map[string]string{
			"step":        strconv.FormatInt(ck.Meta.Step, 10),
			"weights":     opts.DType,
			"batchnorm":   bnKept,
			"train_batch": strconv.Itoa(ck.Meta.Run.Batch),
			"train_crop":  strconv.Itoa(ck.Meta.Run.Crop),
			"train_seed":  strconv.FormatUint(ck.Meta.Run.Seed, 10),
		}}
	if len(ck.Meta.Run.Data) > 0 {
		meta.Extra["train_data"] = strings.Join(ck.Meta.Run.Data, ",")
	}
	vals := map[string][]float32{}
	shapes := map[string][]int{}
	var err error
	for key, t := range ck.Tensors {
		if !modelVariable(key) {
			continue
		}
		if t.DType() != dtypes.Float32 {
			return nil, &CheckpointError{Path: ck.Path, Err: fmt.Errorf("variable %s is %s, want Float32", key, t.DType())}
		}
		if vals[key], err = tensors.CopyFlatData[float32](t); err != nil {
			return nil, err
		}
		shapes[key] = slices.Clone(t.Shape().Dimensions)
	}
	if len(vals) == 0 {
		return nil, &CheckpointError{Path: ck.Path, Err: errors.New("no network variables")}
	}
	if opts.FoldBatchNorm {
		if err := foldAll(vals, shapes); err != nil {
			return nil, err
		}
		meta.Extra["batchnorm"] = bnFolded
	}
	ctx := mlctx.New()
	for key, v := range vals {
		i := strings.LastIndexByte(key, '/')
		ctx.InAbsPath(key[:i]).VariableWithValue(key[i+1:], tensors.FromFlatDataAndDimensions(v, shapes[key]...))
	}
	f, err := codec.Export(ctx, cfg, meta, &codec.ExportOptions{Half: opts.DType == ExportF16})
	if err != nil {
		return nil, err
	}
	data, err := f.Bytes()
	if err != nil {
		return nil, err
	}
	back, err := weights.Parse(data)
	if err != nil {
		return nil, err
	}
	if _, _, err := ModelContext(back, be); err != nil {
		return nil, fmt.Errorf("trainer: the exported file does not load: %w", err)
	}
	return back, nil
}

// ConfigOf returns the network configuration stored in a model file.
func ConfigOf(f *weights.File) (model.Config, error) {
	if len(f.Meta.Config) == 0 {
		return model.Config{}, weights.FormatError("no model configuration in metadata")
	}
	return model.ParseConfig(f.Meta.Config)
}

// ModelContext reads a model file into a new GoMLX context on which
// model.Forward (and the codec's graph functions) run. Every variable the
// network needs must be in the file with its shape, and every tensor of the
// file must be used; float16 tensors are widened to float32.
func ModelContext(f *weights.File, be backends.Backend) (*mlctx.Context, model.Config, error) {
	cfg, err := ConfigOf(f)
	if err != nil {
		return nil, cfg, err
	}
	vals := make(map[string]*tensors.Tensor, f.Len())
	for _, name := range f.Names() {
		if strings.HasPrefix(name, weights.FrozenPrefix) {
			continue // the codec's tables, not variables
		}
		t, _ := f.Tensor(name)
		data, err := t.Float32()
		if err != nil {
			return nil, cfg, err
		}
		tt := tensors.FromShape(shapes.Make(dtypes.Float32, t.Shape...))
		tensors.MutableFlatData(tt, func(flat []float32) { copy(flat, data) })
		vals["/"+name] = tt
	}
	folded := f.Meta.Extra["batchnorm"] == bnFolded
	ctx, err := inferenceContext(vals, cfg, be, folded)
	return ctx, cfg, err
}

// InferenceContext returns a context holding a checkpoint's network
// variables, ready for model.Forward with training off.
func InferenceContext(ck *Checkpoint, be backends.Backend) (*mlctx.Context, error) {
	vals := map[string]*tensors.Tensor{}
	for key, t := range ck.Tensors {
		if modelVariable(key) {
			vals[key] = t
		}
	}
	return inferenceContext(vals, ck.Meta.Config, be, false)
}

func inferenceContext(vals map[string]*tensors.Tensor, cfg model.Config, be backends.Backend, folded bool) (*mlctx.Context, error) {
	ctx := mlctx.New()
	fn := func(ctx *mlctx.Context, images, _, rate *graph.Node) []*graph.Node {
		return []*graph.Node{forward(ctx, cfg, images, rate, false).XHatEnh}
	}
	if err := buildOnly(be, ctx, fn, 1, model.PadMultiple, cfg.GainLevels()); err != nil {
		return nil, err
	}
	if folded {
		unfold(vals, ctx)
	}
	// Inference reads no random state; the context makes one regardless.
	mayMiss := func(key string) bool { return key == varKey(mlctx.RootScope, mlctx.RNGStateVariableName) }
	if err := assignVariables(ctx, vals, mayMiss); err != nil {
		return nil, err
	}
	return ctx.Reuse(), nil
}
