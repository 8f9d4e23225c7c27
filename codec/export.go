package codec

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/entropy"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// ExportOptions configures Export. nil means the defaults.
type ExportOptions struct {
	// Half stores the convolution kernels (rank-4 variables named
	// "weights", outside the entropy bottleneck) as float16, about halving
	// the file. Biases, GDN, BatchNorm, gain and bottleneck parameters stay
	// float32: small reparameterised values (GDN's β near 2^-18) and the
	// quantiles would lose precision the rate depends on.
	Half bool
}

// maxZSymbols bounds the number of values a hyper-latent table covers;
// values outside still code, through the escape.
const maxZSymbols = 4095

// modelScopes are the top-level scopes of the network's variables; anything
// else in a training context (optimizer state, step counters, random state)
// is left out of an exported model.
var modelScopes = []string{
	model.ScopeAnalysis, model.ScopeAggregation, model.ScopeSemanticEncoder,
	model.ScopeHyperAnalysis, model.ScopeHyperSynthesis, model.ScopeEntropyBottleneck,
	model.ScopeSynthesis, model.ScopeSemanticDecoder, model.ScopeEnhancement,
	model.ScopeGain,
}

// Export turns a trained context into a model file: the network's variables
// under their scope names, the configuration and metadata, and the frozen
// entropy tables of the hyper-latent (CompressAI's "update" step), computed
// here once so that every decoder codes with identical integers. It is the
// one exporter: trainer.Export brings a checkpoint here.
//
// meta.Quality must be at least 1. meta.Model defaults to "semcodec-" plus
// the configuration's name (meta.Lambda, the λ it was trained at, is the
// caller's to record), and the class names
// and palette to CamVid's or Cityscapes' for 11 or 19 classes. A codable
// configuration's result is checked by loading it as a Model; a training-only
// ablation (see model.Config.Codable) gets no tables, since no bitstream can
// carry its latent.
func Export(ctx *context.Context, cfg model.Config, meta weights.Metadata, opts *ExportOptions) (*weights.File, error) {
	if opts == nil {
		opts = &ExportOptions{}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if meta.Quality < 1 || meta.Quality > math.MaxUint8 {
		return nil, fmt.Errorf("codec: export: quality %d outside 1..255", meta.Quality)
	}
	if meta.Model == "" {
		meta.Model = "semcodec-" + cfg.Name
	}
	if len(meta.Classes) == 0 || len(meta.Palette) == 0 {
		classes, palette := classesAndPalette(meta, cfg.Classes)
		if len(meta.Classes) == 0 {
			meta.Classes = classes
		}
		if len(meta.Palette) == 0 {
			for _, c := range palette {
				r, g, b, _ := c.RGBA()
				meta.Palette = append(meta.Palette, rgba8(r, g, b))
			}
		}
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	meta.Config = cfgJSON
	f := weights.New(meta)

	var varErr error
	ctx.EnumerateVariables(func(v *context.Variable) {
		if varErr != nil {
			return
		}
		scope := strings.TrimPrefix(v.Scope(), "/")
		top, _, _ := strings.Cut(scope, "/")
		if !slices.Contains(modelScopes, top) {
			return
		}
		half := opts.Half && v.Name() == "weights" && v.Shape().Rank() == 4 && top != model.ScopeEntropyBottleneck
		varErr = addVariable(f, scope+"/"+v.Name(), v, half)
	})
	if varErr != nil {
		return nil, varErr
	}
	if cfg.Codable() != nil {
		return f, nil
	}
	if err := Freeze(f); err != nil {
		return nil, err
	}
	return f, nil
}

// Freeze adds the frozen entropy tables to a model file that holds the
// network's variables and configuration (from Export's first half or from
// another exporter, e.g. trainer.Export), then checks the result loads as a
// Model. It is CompressAI's "update" step: the tables are computed once, here,
// so encoders and decoders never rebuild them from floats. A file that
// already has them is left unchanged.
func Freeze(f *weights.File) error {
	_, errT := f.Tensor(TensorZTables)
	_, errC := f.Tensor(TensorZCenters)
	if errT == nil && errC == nil {
		_, err := NewModel(f)
		return err
	}
	if errT == nil || errC == nil {
		return weights.FormatError("model file has only one of " + TensorZTables + " and " + TensorZCenters)
	}
	cfg, err := networkConfig(f)
	if err != nil {
		return err
	}
	if err := cfg.Codable(); err != nil {
		return err
	}
	// The tables are computed from the stored values in a context of our own:
	// a training context may live on another backend (e.g. XLA).
	ctx, err := variablesContext(f)
	if err != nil {
		return err
	}
	if err := freezeZTables(ctx, cfg, f); err != nil {
		return err
	}
	if _, err := NewModel(f); err != nil {
		return fmt.Errorf("codec: export: the model does not load: %w", err)
	}
	return nil
}

func addVariable(f *weights.File, name string, v *context.Variable, half bool) error {
	value, err := v.Value()
	if err != nil {
		return fmt.Errorf("codec: export %s: %w", name, err)
	}
	shape := value.Shape().Dimensions
	var t *weights.Tensor
	switch value.DType().String() {
	case "Float32":
		data, err := tensors.CopyFlatData[float32](value)
		if err != nil {
			return fmt.Errorf("codec: export %s: %w", name, err)
		}
		if half {
			t, err = weights.NewF16(name, shape, data)
		} else {
			t, err = weights.NewF32(name, shape, data)
		}
		if err != nil {
			return err
		}
	case "Int32":
		data, err := tensors.CopyFlatData[int32](value)
		if err != nil {
			return fmt.Errorf("codec: export %s: %w", name, err)
		}
		if t, err = weights.NewI32(name, shape, data); err != nil {
			return err
		}
	default:
		return fmt.Errorf("codec: export %s: unsupported dtype %s", name, value.DType())
	}
	return f.Add(t)
}

// freezeZTables evaluates the entropy bottleneck's density at the integers of
// each channel's quantile range and stores the quantized CDFs.
func freezeZTables(ctx *context.Context, cfg model.Config, f *weights.File) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec: export: freezing the entropy tables: %v\n%s", r, debug.Stack())
		}
	}()
	be, err := sharedBackend()
	if err != nil {
		return err
	}
	ctx = ctx.Reuse()
	qt, err := context.MustNewExec(be, ctx, func(ctx *context.Context, g *graph.Graph) *graph.Node {
		return model.ZQuantiles(ctx, cfg, g)
	}).Exec()
	if err != nil {
		return fmt.Errorf("codec: export: quantiles: %w", err)
	}
	quantiles, err := tensors.CopyFlatData[float32](qt[0])
	if err != nil {
		return err
	}
	c := cfg.NHyper
	centers := make([]int32, c)
	lo, n := make([]int, c), make([]int, c)
	width := 1
	for ch := range c {
		low, med, high := float64(quantiles[3*ch]), float64(quantiles[3*ch+1]), float64(quantiles[3*ch+2])
		if math.IsNaN(low+med+high) || math.IsInf(low+med+high, 0) || math.Abs(med) > 1<<20 {
			return fmt.Errorf("codec: export: channel %d has quantiles %v %v %v", ch, low, med, high)
		}
		center := math.Floor(med + 0.5)
		l := min(0, max(math.Floor(low)-center, -maxZSymbols/2))
		h := max(0, min(math.Ceil(high)-center, maxZSymbols/2))
		centers[ch], lo[ch], n[ch] = int32(center), int(l), int(h-l)+1
		width = max(width, n[ch])
	}
	values := make([]float32, c*width)
	edges := make([]float32, c*2)
	for ch := range c {
		first := int(centers[ch]) + lo[ch]
		for i := range width {
			values[ch*width+i] = float32(first + min(i, n[ch]-1))
		}
		edges[2*ch] = float32(first) - 0.5
		edges[2*ch+1] = float32(first+n[ch]-1) + 0.5
	}
	out, err := context.MustNewExec(be, ctx, func(ctx *context.Context, v, e *graph.Node) []*graph.Node {
		return []*graph.Node{model.ZLikelihoods(ctx, cfg, v), model.Bottleneck(ctx, cfg).LogitsCumulative(e, false)}
	}).Exec(tensors.FromFlatDataAndDimensions(values, c, width), tensors.FromFlatDataAndDimensions(edges, c, 2))
	if err != nil {
		return fmt.Errorf("codec: export: density: %w", err)
	}
	lik, err := tensors.CopyFlatData[float32](out[0])
	if err != nil {
		return err
	}
	edgeLogits, err := tensors.CopyFlatData[float32](out[1])
	if err != nil {
		return err
	}
	channels := make([]entropy.FactorizedChannel, c)
	for ch := range c {
		pmf := make([]float64, n[ch])
		for i := range pmf {
			pmf[i] = min(1, max(0, float64(lik[ch*width+i])))
		}
		// The tails from the logits directly: sigmoid of the lower edge and of
		// minus the upper edge keep their precision in float64.
		tail := sigmoid(float64(edgeLogits[2*ch])) + sigmoid(-float64(edgeLogits[2*ch+1]))
		channels[ch] = entropy.FactorizedChannel{Start: int32(lo[ch]), PMF: pmf, TailMass: min(1, max(0, tail))}
	}
	tables, err := entropy.BuildFactorized(channels)
	if err != nil {
		return fmt.Errorf("codec: export: %w", err)
	}
	blob, err := tables.MarshalBinary()
	if err != nil {
		return err
	}
	tt, err := weights.NewU8(TensorZTables, []int{len(blob)}, blob)
	if err != nil {
		return err
	}
	ct, err := weights.NewI32(TensorZCenters, []int{c}, centers)
	if err != nil {
		return err
	}
	if err := f.Add(tt); err != nil {
		return err
	}
	return f.Add(ct)
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
