// Package model is the mutual enhancement network: a learned image codec whose one
// bitstream carries an image and its semantic segmentation (the seed paper's section 3,
// built on Ballé et al., "Variational image compression with a scale hyperprior",
// ICLR 2018, and ERFNet, Romera et al., IEEE T-ITS 2018).
//
// A model is plain GoMLX graph code: functions of (ctx, cfg, inputs). Forward and Loss
// serve training; Analysis, HyperAnalysis, HyperSynthesis, SynthesizeImage and
// SynthesizeSegmentation are the separate graphs the codec runs. docs/architecture.md
// draws the network and lists every variable scope.
//
// Graph-building functions panic on misuse, as GoMLX does; context.Exec and the
// trainer turn such panics into errors. Functions that take no graph return errors.
package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/semcodec/semcodec/bitstream"
)

// Errors.
var (
	// ErrUnknownConfig is returned by ConfigByName for a name it does not know.
	ErrUnknownConfig = errors.New("model: unknown model configuration")
	// ErrInvalidConfig is returned by Config.Validate for inconsistent settings.
	ErrInvalidConfig = errors.New("model: invalid model configuration")
	// ErrNotCodable is returned by Config.Codable for ablation settings whose latent
	// cannot be written to a bitstream.
	ErrNotCodable = errors.New("model: model configuration is not codable")
)

// Grid factors fixed by the architecture, and by the file format that stores
// the grids.
const (
	// LatentStride is the downsampling of y (four stride-2 convolutions).
	LatentStride = bitstream.LatentStride
	// HyperStride is the downsampling of z (two more stride-2 convolutions).
	HyperStride = bitstream.HyperStride
	// PadMultiple is what Forward and the codec pad the input to, so that z's grid,
	// upsampled 4x by the hyper-synthesis, matches y's grid exactly.
	PadMultiple = HyperStride
)

// Config describes one network. Its JSON form is stored with exported weights.
type Config struct {
	Name string `json:"name"`

	N         int `json:"n"`          // channels of the base network (analysis and synthesis)
	MImage    int `json:"m_image"`    // channels of the image latent y_img
	MSemantic int `json:"m_semantic"` // channels of the semantic latent y_sem
	NHyper    int `json:"n_hyper"`    // channels of the hyper-latent z and the hyper transforms
	Classes   int `json:"classes"`    // K: 11 for CamVid, 19 for Cityscapes

	// SemanticWidths are ERFNet's widths in the semantic encoder: [0] for the
	// intermediate downsampling steps (64 in ERFNet), [1] on the 1/16 grid (128).
	SemanticWidths [2]int `json:"semantic_widths"`
	// HFFBBlocks is the number of non-bt-1D blocks after each feature fusion.
	HFFBBlocks int `json:"hffb_blocks"`
	// DecoderWidths are the semantic decoder's widths at 1/8, 1/4 and 1/2 scale.
	DecoderWidths [3]int `json:"decoder_widths"`
	// DecoderBlocks is the number of non-bt-1D blocks at the 1/8 and 1/4 scales.
	DecoderBlocks int `json:"decoder_blocks"`
	// EnhanceWidth and EnhanceBlocks size the post-enhancement module, which works at
	// half resolution on 2x2 pixel blocks.
	EnhanceWidth  int `json:"enhance_width"`
	EnhanceBlocks int `json:"enhance_blocks"`
	// Dropout is the non-bt-1D dropout rate while training.
	Dropout float64 `json:"dropout"`

	// Switches for the ablation (paper's Table 1). The named configurations turn all on.
	Semantic         bool `json:"semantic"`          // off: plain scale hyperprior (no y_sem, no CE)
	QuantizeSemantic bool `json:"quantize_semantic"` // off: y_sem reaches the decoder unquantized and uncoded
	Aggregation      bool `json:"aggregation"`       // off: ERFNet-style encoder on the image
	Enhancement      bool `json:"enhancement"`       // off: x̂_e = x̂
	// TransposedSynthesis: the image synthesis upsamples by 5×5 stride-2
	// transposed convolutions (Ballé's, CompressAI's) instead of 3×3
	// sub-pixel convolutions; fewer multiply-adds, and the reference's
	// network. Off in every model file made before it existed.
	TransposedSynthesis bool `json:"transposed_synthesis,omitempty"`
	// TransposedHyperSynthesis: the hyper-synthesis upsamples by 5×5
	// stride-2 transposed convolutions, as the reference and CompressAI do.
	// The codec's fixed-point hyper-synthesis has only the sub-pixel form,
	// so such a network trains and is scored by its likelihoods but cannot
	// be coded (Codable).
	TransposedHyperSynthesis bool `json:"transposed_hyper_synthesis,omitempty"`
	// BottleneckFilters are the hidden widths of the entropy bottleneck's
	// density network: 3, 3, 3, 3 in the named configurations (Ballé's,
	// CompressAI's); unset in every model file made before it existed,
	// which used 3, 3, 3.
	BottleneckFilters []int `json:"bottleneck_filters,omitempty"`

	// GainLambdas, when set, make the network variable-rate (gain.go): level i,
	// quality i+1, is trained at GainLambdas[i], in increasing order.
	GainLambdas []float64 `json:"gain_lambdas,omitempty"`

	// RetiredLambda and RetiredCEWeight: λ and the CE weight are training
	// settings (LossWeights, trainer.Options), not the network's.
	// Configurations written before carried them as "lambda" and
	// "ce_weight"; they still parse, and a run resumed from such a
	// checkpoint starts from them.
	RetiredLambda   float64 `json:"lambda,omitempty"`
	RetiredCEWeight float64 `json:"ce_weight,omitempty"`
}

var namedConfigs = map[string]Config{
	// tiny exists for tests: a train step at 64x64 takes a fraction of a second.
	"tiny": {
		N: 8, MImage: 8, MSemantic: 4, NHyper: 8, Classes: 11,
		SemanticWidths: [2]int{8, 8}, HFFBBlocks: 1,
		DecoderWidths: [3]int{8, 8, 8}, DecoderBlocks: 1,
		EnhanceWidth: 8, EnhanceBlocks: 1,
	},
	// compact (N=32, M=48) is the embedded default family today.
	"compact": {
		N: 32, MImage: 48, MSemantic: 16, NHyper: 32, Classes: 11,
		SemanticWidths: [2]int{16, 32}, HFFBBlocks: 1,
		DecoderWidths: [3]int{16, 8, 8}, DecoderBlocks: 1,
		EnhanceWidth: 8, EnhanceBlocks: 1,
	},
	// small (N=64, M=96): in the PyTorch reference's runs an N=32 hyperprior
	// plateaus near 24 dB on Kodak while N=64 keeps gaining; the next
	// family's candidate.
	"small": {
		N: 64, MImage: 96, MSemantic: 32, NHyper: 64, Classes: 11,
		SemanticWidths: [2]int{32, 64}, HFFBBlocks: 1,
		DecoderWidths: [3]int{32, 16, 16}, DecoderBlocks: 1,
		EnhanceWidth: 32, EnhanceBlocks: 1, Dropout: 0.03,
	},
	// base has the paper's widths.
	"base": {
		N: 128, MImage: 192, MSemantic: 64, NHyper: 128, Classes: 11,
		SemanticWidths: [2]int{64, 128}, HFFBBlocks: 2,
		DecoderWidths: [3]int{64, 32, 16}, DecoderBlocks: 2,
		EnhanceWidth: 64, EnhanceBlocks: 2, Dropout: 0.03,
	},
}

// bottleneckFilters are the named configurations' entropy bottleneck widths;
// legacyBottleneckFilters those of configurations that predate the field.
var (
	bottleneckFilters       = []int{3, 3, 3, 3}
	legacyBottleneckFilters = []int{3, 3, 3}
)

// BottleneckWidths returns the entropy bottleneck's hidden widths.
func (c Config) BottleneckWidths() []int {
	if len(c.BottleneckFilters) == 0 {
		return legacyBottleneckFilters
	}
	return c.BottleneckFilters
}

// ConfigNames lists the named configurations.
func ConfigNames() []string {
	names := make([]string, 0, len(namedConfigs))
	for n := range namedConfigs {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ConfigByName returns a named configuration (see ConfigNames) with every
// switch on. Change Classes for Cityscapes (19).
func ConfigByName(name string) (Config, error) {
	c, ok := namedConfigs[name]
	if !ok {
		return Config{}, fmt.Errorf("%w: %q (known: %v)", ErrUnknownConfig, name, ConfigNames())
	}
	c.Name = name
	c.BottleneckFilters = slices.Clone(bottleneckFilters)
	c.Semantic, c.QuantizeSemantic, c.Aggregation, c.Enhancement = true, true, true, true
	return c, nil
}

// Validate checks that the sizes are positive and the switches consistent.
func (c Config) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, args...))
	}
	if c.N <= 0 || c.MImage <= 0 || c.NHyper <= 0 {
		return bad("n=%d, m_image=%d and n_hyper=%d must be positive", c.N, c.MImage, c.NHyper)
	}
	if c.Enhancement && !c.Semantic {
		return bad("enhancement needs the semantic branch")
	}
	if len(c.BottleneckFilters) > 0 && slices.Min(c.BottleneckFilters) <= 0 {
		return bad("bottleneck_filters %v must be positive", c.BottleneckFilters)
	}
	for i, l := range c.GainLambdas {
		if !(l > 0) || (i > 0 && l <= c.GainLambdas[i-1]) {
			return bad("gain_lambdas %v must be positive and increasing", c.GainLambdas)
		}
	}
	if !c.Semantic {
		return nil
	}
	if c.MSemantic <= 0 || c.Classes < 2 {
		return bad("m_semantic=%d must be positive and classes=%d at least 2", c.MSemantic, c.Classes)
	}
	if min(c.SemanticWidths[0], c.SemanticWidths[1], c.DecoderWidths[0], c.DecoderWidths[1], c.DecoderWidths[2]) <= 0 {
		return bad("semantic_widths %v and decoder_widths %v must be positive", c.SemanticWidths, c.DecoderWidths)
	}
	if c.HFFBBlocks < 0 || c.DecoderBlocks < 0 {
		return bad("hffb_blocks=%d and decoder_blocks=%d must not be negative", c.HFFBBlocks, c.DecoderBlocks)
	}
	if c.Dropout < 0 || c.Dropout >= 1 {
		return bad("dropout=%g must be in [0, 1)", c.Dropout)
	}
	if c.Enhancement && (c.EnhanceWidth <= 0 || c.EnhanceBlocks < 0) {
		return bad("enhance_width=%d must be positive and enhance_blocks=%d not negative", c.EnhanceWidth, c.EnhanceBlocks)
	}
	return nil
}

// Codable reports whether a bitstream can carry this configuration's latent:
// a valid configuration whose semantic latent, if any, is quantized.
func (c Config) Codable() error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.Semantic && !c.QuantizeSemantic {
		return fmt.Errorf("%w: the semantic latent is not quantized (an ablation for training only)", ErrNotCodable)
	}
	if c.TransposedHyperSynthesis {
		return fmt.Errorf("%w: the fixed-point hyper-synthesis has no transposed convolutions", ErrNotCodable)
	}
	return nil
}

// CodesSemantic reports whether y_sem is part of the coded latent.
func (c Config) CodesSemantic() bool { return c.Semantic && c.QuantizeSemantic }

// LatentChannels is the channel count of the coded latent y = [y_img, y_sem]: the
// hyper-synthesis output width.
func (c Config) LatentChannels() int {
	if c.CodesSemantic() {
		return c.MImage + c.MSemantic
	}
	return c.MImage
}

// ParseConfig decodes a configuration from its JSON form (as stored in exported
// weights), rejecting unknown fields, and validates it.
func ParseConfig(data []byte) (Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Config
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if dec.More() {
		return Config{}, fmt.Errorf("%w: trailing data after the JSON object", ErrInvalidConfig)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// mustValidate panics (graph-building style) on an invalid configuration.
func (c Config) mustValidate() {
	if err := c.Validate(); err != nil {
		panic(err)
	}
}
