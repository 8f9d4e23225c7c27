// Package learned puts semcodec's learned codec (package codec) into the
// evaluation harness (package eval). Importing it registers two codecs:
//
//	semcodec        decoded image = the post-enhanced reconstruction x̂_e
//	semcodec-plain  decoded image = the plain synthesis x̂ (no post-enhancement)
//
// Both read their models from eval.Options.Model (the --model flag): empty
// means the family embedded in the codec (codec.DefaultQualities), otherwise
// a single .smw file, a folder of .smw files or a glob of them, one quality
// per file, all of one model (OpenFamily). The quality grid is the family's
// qualities.
//
// For `eval segmentation` the codecs are eval.SemanticCodec (labels decoded
// with the image, and by seg-only decoding through codec.DecodeSegmentation)
// and eval.Segmenter: the uncompressed upper bound runs the analysis and the
// semantic decoder of one model of the family on the original image, feeding
// the semantic latent y_sem to the decoder unquantized (no rounding, no
// entropy coding). That is the network's segmentation without the codec.
//
// The package is kept apart from eval so that eval, its baselines and its
// plots build without GoMLX.
package learned

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/eval"
)

// Registry names.
const (
	// Name is the learned codec with post-enhanced reconstructions.
	Name = "semcodec"
	// PlainName is the same codec decoding the plain synthesis output, for
	// the post-enhancement ablation in one run.
	PlainName = "semcodec-plain"
)

// Keys of eval.Options.Params understood by New.
const (
	// ParamEnhance ("true" or "false", default "true") selects the
	// post-enhanced or the plain reconstruction as the decoded image.
	ParamEnhance = "enhance"
	// ParamUpperBound ("float" or "rounded", default "float") says how the
	// upper bound feeds y_sem to the semantic decoder: unquantized, or
	// rounded as the codec does but without entropy coding.
	ParamUpperBound = "upper-bound"
	// ParamSegmenterQuality selects the family member whose network gives
	// the upper bound; default the highest quality of the grid.
	ParamSegmenterQuality = "segmenter-quality"
)

// Errors.
var (
	// ErrNoModelFiles means a --model folder or glob names no .smw file.
	ErrNoModelFiles = errors.New("learned: no model files found")
	// ErrFamily means model files do not form one family (mixed model
	// names, a quality twice, or networks with different class sets).
	ErrFamily = errors.New("learned: model files do not form one family")
	// ErrQuality means a quality is not in the family.
	ErrQuality = errors.New("learned: quality not in the model family")
	// ErrParam means an unknown or invalid eval.Options.Params entry.
	ErrParam = errors.New("learned: bad codec parameter")
)

func init() {
	eval.Register(Name, New)
	eval.Register(PlainName, func(o eval.Options) (eval.Codec, error) {
		p := map[string]string{}
		for k, v := range o.Params {
			p[k] = v
		}
		if v, ok := p[ParamEnhance]; ok && v != "false" {
			return nil, fmt.Errorf("%w: %s is always %s=false", ErrParam, PlainName, ParamEnhance)
		}
		p[ParamEnhance] = "false"
		o.Params = p
		return newCodec(PlainName, o)
	})
}

// New is the factory registered as "semcodec": it opens the model family
// named by opts.Model (shared with every other instance, so loaded weights
// and compiled graphs are reused) and returns a *SemanticCodec, or a *Codec
// when the models have no semantic branch. A missing model (none embedded
// and none given, or a --model path, folder or glob that names no file) is an
// *eval.UnavailableError, so the harness skips the codec with a note; a
// model file that cannot be parsed, or files that do not form one family,
// are ordinary errors.
func New(opts eval.Options) (eval.Codec, error) { return newCodec(Name, opts) }

// settings are the parsed Params.
type settings struct {
	enhance        bool
	roundedUpper   bool
	segmenterQ     int // 0: highest of the grid
	segmenterGiven bool
}

func parseParams(p map[string]string) (settings, error) {
	s := settings{enhance: true}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys) // report the first bad key deterministically
	for _, k := range keys {
		v := p[k]
		switch k {
		case ParamEnhance:
			b, err := strconv.ParseBool(v)
			if err != nil {
				return s, fmt.Errorf("%w: %s=%q, want true or false", ErrParam, k, v)
			}
			s.enhance = b
		case ParamUpperBound:
			switch v {
			case "float":
			case "rounded":
				s.roundedUpper = true
			default:
				return s, fmt.Errorf("%w: %s=%q, want float or rounded", ErrParam, k, v)
			}
		case ParamSegmenterQuality:
			q, err := strconv.Atoi(v)
			if err != nil || q < 1 {
				return s, fmt.Errorf("%w: %s=%q, want a quality of the family", ErrParam, k, v)
			}
			s.segmenterQ, s.segmenterGiven = q, true
		default:
			return s, fmt.Errorf("%w: unknown key %q (known: %s, %s, %s)", ErrParam, k,
				ParamEnhance, ParamUpperBound, ParamSegmenterQuality)
		}
	}
	return s, nil
}

func newCodec(name string, opts eval.Options) (eval.Codec, error) {
	s, err := parseParams(opts.Params)
	if err != nil {
		return nil, err
	}
	fam, err := OpenFamily(opts.Model)
	switch {
	case errors.Is(err, codec.ErrNoModel):
		return nil, &eval.UnavailableError{Codec: name, Reason: "this build embeds no trained model; " + modelHint}
	case errors.Is(err, ErrNoModelFiles) || errors.Is(err, fs.ErrNotExist):
		// A missing model is like a missing tool: the harness skips the
		// codec with this note. Unreadable model files stay errors.
		return nil, &eval.UnavailableError{Codec: name, Reason: strings.TrimPrefix(err.Error(), "learned: ") + "; " + modelHint}
	case err != nil:
		return nil, err
	}
	grid := fam.Qualities()
	if len(opts.Qualities) > 0 {
		for _, q := range opts.Qualities {
			if !slices.Contains(grid, q) {
				return nil, fmt.Errorf("%w: %d (model %s has %s)", ErrQuality, q, fam.Name(), joinInts(grid))
			}
		}
		grid = opts.Qualities
	}
	c := &Codec{name: name, fam: fam, enhance: s.enhance, grid: grid}
	if !fam.Semantic() {
		return c, nil
	}
	sq := s.segmenterQ
	if !s.segmenterGiven {
		sq = slices.Max(grid)
	} else if !slices.Contains(fam.Qualities(), sq) {
		return nil, fmt.Errorf("%w: %s=%d (model %s has %s)", ErrQuality, ParamSegmenterQuality, sq, fam.Name(), joinInts(fam.Qualities()))
	}
	return &SemanticCodec{Codec: c, segQ: sq, rounded: s.roundedUpper}, nil
}

const modelHint = "pass --model PATH (a .smw file, a folder of .smw files or a glob, one quality per file)"

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return "qualities " + strings.Join(s, ",")
}
