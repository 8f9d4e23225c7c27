package model

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
)

// testWeights are the loss weights of the tests: CompressAI's quality 4.
var testWeights = LossWeights{Lambda: 0.013, CE: 1}

func mustConfig(t testing.TB, name string) Config {
	t.Helper()
	cfg, err := ConfigByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// newContext returns a context whose initial weights depend only on seed.
func newContext(t testing.TB, seed int64) *context.Context {
	t.Helper()
	ctx := context.New()
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// gradientImages is a smooth deterministic batch [b,h,w,3] in [0,1].
func gradientImages(b, h, w int) [][][][]float32 {
	img := make([][][][]float32, b)
	for n := range img {
		img[n] = make([][][]float32, h)
		for i := range img[n] {
			img[n][i] = make([][]float32, w)
			for j := range img[n][i] {
				img[n][i][j] = []float32{
					float32(i) / float32(h),
					float32(j) / float32(w),
					float32(0.5 + 0.4*math.Sin(float64(i*j+n)/37)),
				}
			}
		}
	}
	return img
}

// stripeLabels is a labels batch [b,h,w] with class stripes and an ignored band.
func stripeLabels(b, h, w, classes int) [][][]int32 {
	l := make([][][]int32, b)
	for n := range l {
		l[n] = make([][]int32, h)
		for i := range l[n] {
			l[n][i] = make([]int32, w)
			for j := range l[n][i] {
				l[n][i][j] = int32((i / 8) % classes)
				if j < 4 {
					l[n][i][j] = -1
				}
			}
		}
	}
	return l
}

func TestConfigByName(t *testing.T) {
	for _, name := range ConfigNames() {
		cfg := mustConfig(t, name)
		if cfg.Name != name || cfg.Validate() != nil || cfg.Codable() != nil {
			t.Errorf("%s: name %q, Validate %v, Codable %v", name, cfg.Name, cfg.Validate(), cfg.Codable())
		}
		if !cfg.Semantic || !cfg.QuantizeSemantic || !cfg.Aggregation || !cfg.Enhancement {
			t.Errorf("%s: not every switch is on: %+v", name, cfg)
		}
	}
	names := ConfigNames()
	for _, want := range []string{"tiny", "small", "base"} {
		if !slices.Contains(names, want) {
			t.Errorf("ConfigNames = %v, missing %q", names, want)
		}
	}
	small, base := mustConfig(t, "small"), mustConfig(t, "base")
	if small.N != 64 || small.MImage != 96 || base.N != 128 || base.MImage != 192 || base.SemanticWidths != [2]int{64, 128} {
		t.Errorf("widths differ from the issue: small %+v, base %+v", small, base)
	}
	if _, err := ConfigByName("huge"); !errors.Is(err, ErrUnknownConfig) {
		t.Errorf("ConfigByName(huge) error = %v, want ErrUnknownConfig", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tiny := mustConfig(t, "tiny")
	cases := []struct {
		name   string
		change func(*Config)
		want   error // nil: valid
	}{
		{"tiny", func(*Config) {}, nil},
		{"hyperprior baseline", func(c *Config) { c.Semantic, c.Enhancement = false, false }, nil},
		{"no aggregation", func(c *Config) { c.Aggregation = false }, nil},
		{"zero N", func(c *Config) { c.N = 0 }, ErrInvalidConfig},
		{"enhancement without semantic", func(c *Config) { c.Semantic = false }, ErrInvalidConfig},
		{"one class", func(c *Config) { c.Classes = 1 }, ErrInvalidConfig},
		{"dropout 1", func(c *Config) { c.Dropout = 1 }, ErrInvalidConfig},
		{"zero decoder width", func(c *Config) { c.DecoderWidths[2] = 0 }, ErrInvalidConfig},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tiny
			tc.change(&cfg)
			if err := cfg.Validate(); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Validate() = %v, want %v", err, tc.want)
			}
		})
	}
	unquantized := tiny
	unquantized.QuantizeSemantic = false
	if err := unquantized.Codable(); !errors.Is(err, ErrNotCodable) {
		t.Errorf("Codable() with unquantized y_sem = %v, want ErrNotCodable", err)
	}
	transposed := tiny
	transposed.TransposedHyperSynthesis = true
	if err := transposed.Codable(); !errors.Is(err, ErrNotCodable) {
		t.Errorf("Codable() with a transposed hyper-synthesis = %v, want ErrNotCodable", err)
	}
	if unquantized.LatentChannels() != tiny.MImage || tiny.LatentChannels() != tiny.MImage+tiny.MSemantic {
		t.Errorf("LatentChannels: %d and %d", unquantized.LatentChannels(), tiny.LatentChannels())
	}
}

func TestParseConfig(t *testing.T) {
	variable := mustConfig(t, "tiny")
	variable.GainLambdas = []float64{0.0035, 0.013, 0.05}
	var cfgs []Config
	for _, name := range ConfigNames() {
		cfgs = append(cfgs, mustConfig(t, name))
	}
	for _, cfg := range append(cfgs, variable) {
		name := cfg.Name
		data, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseConfig(data)
		if err != nil || !reflect.DeepEqual(back, cfg) {
			t.Errorf("%s: round trip gave %+v, %v", name, back, err)
		}
	}
	for _, bad := range []string{``, `{`, `[]`, `{"n":8,"colour":1}`, `{"n":0}`, `{"n":8,"m_image":8,"n_hyper":8} {}`} {
		if _, err := ParseConfig([]byte(bad)); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("ParseConfig(%q) error = %v, want ErrInvalidConfig", bad, err)
		}
	}
}

// variants are the ablation switches of the paper's Table 1 plus the baseline.
func variants(cfg Config) map[string]Config {
	v := map[string]Config{"full": cfg}
	c := cfg
	c.QuantizeSemantic = false
	v["unquantized semantic"] = c
	c = cfg
	c.Aggregation = false
	v["no aggregation"] = c
	c = cfg
	c.Enhancement = false
	v["no enhancement"] = c
	c = cfg
	c.Semantic, c.Enhancement = false, false
	v["hyperprior"] = c
	c = cfg
	c.TransposedSynthesis, c.TransposedHyperSynthesis = true, true
	v["transposed"] = c
	return v
}

// TestForwardShapes builds (without running) Forward for every configuration and
// switch on an odd input size, and checks every output shape.
func TestForwardShapes(t *testing.T) {
	be := backend.MustNew()
	const b, h, w = 2, 70, 45 // padded to 128 x 64
	for _, name := range ConfigNames() {
		for vname, cfg := range variants(mustConfig(t, name)) {
			t.Run(name+"/"+vname, func(t *testing.T) {
				ctx := context.New()
				g := graph.NewGraph(be, "shapes")
				x := graph.Parameter(g, "x", shapes.Make(dtypeF32, b, h, w, 3))
				out := Forward(ctx, cfg, x, true)
				labels := graph.Parameter(g, "labels", shapes.Make(dtypeI32, b, h, w))
				terms := Loss(cfg, testWeights, out, x, labels)
				lat := cfg.LatentChannels()
				want := map[string][]int{
					"XHat": {b, h, w, 3}, "XHatEnh": {b, h, w, 3},
					"Y": {b, 8, 4, lat}, "YHat": {b, 8, 4, lat}, "Scales": {b, 8, 4, lat}, "YLikelihoods": {b, 8, 4, lat},
					"Z": {b, 2, 1, cfg.NHyper}, "ZHat": {b, 2, 1, cfg.NHyper}, "ZLikelihoods": {b, 2, 1, cfg.NHyper},
					"BPP": {}, "Aux": {}, "Total": {}, "CE": {},
				}
				got := map[string]*graph.Node{
					"XHat": out.XHat, "XHatEnh": out.XHatEnh, "Y": out.Y, "YHat": out.YHat, "Scales": out.Scales,
					"YLikelihoods": out.YLikelihoods, "Z": out.Z, "ZHat": out.ZHat, "ZLikelihoods": out.ZLikelihoods,
					"BPP": out.BPP, "Aux": out.Aux, "Total": terms.Total, "CE": terms.CE,
				}
				if cfg.Semantic {
					want["Logits"] = []int{b, h, w, cfg.Classes}
					got["Logits"] = out.Logits
					want["YSem"] = []int{b, 8, 4, cfg.MSemantic}
					got["YSem"] = out.YSem
				} else if out.Logits != nil || out.YSem != nil {
					t.Errorf("hyperprior baseline has semantic outputs")
				}
				for k, dims := range want {
					if got[k] == nil {
						t.Errorf("%s is nil", k)
						continue
					}
					if !got[k].Shape().Equal(shapes.Make(dtypeF32, dims...)) {
						t.Errorf("%s: shape %s, want %v", k, got[k].Shape(), dims)
					}
				}
				if (out.XHatEnh == out.XHat) == cfg.Enhancement {
					t.Errorf("XHatEnh and XHat: same node = %v with Enhancement = %v", out.XHatEnh == out.XHat, cfg.Enhancement)
				}
			})
		}
	}
}

// TestInferenceGraphs checks that the codec's separate graphs compose to shapes that
// agree with each other, and that segmentation needs only ŷ_sem.
func TestInferenceGraphs(t *testing.T) {
	be := backend.MustNew()
	for _, name := range ConfigNames() {
		cfg := mustConfig(t, name)
		ctx := context.New()
		g := graph.NewGraph(be, "inference")
		x := graph.Parameter(g, "x", shapes.Make(dtypeF32, 1, 128, 192, 3))
		yImg, ySem := Analysis(ctx, cfg, x)
		y := JoinLatents(cfg, yImg, ySem)
		z := HyperAnalysis(ctx, cfg, y)
		scales := HyperSynthesis(ctx, cfg, z)
		if !scales.Shape().Equal(y.Shape()) {
			t.Errorf("%s: scales %s, y %s", name, scales.Shape(), y.Shape())
		}
		a, s := SplitLatent(cfg, y)
		if !a.Shape().Equal(yImg.Shape()) || !s.Shape().Equal(ySem.Shape()) {
			t.Errorf("%s: SplitLatent gives %s, %s", name, a.Shape(), s.Shape())
		}
		// A fresh graph that sees only ŷ_sem decodes the segmentation.
		g2 := graph.NewGraph(be, "segmentation")
		semOnly := graph.Parameter(g2, "ysem", ySem.Shape())
		logits := SynthesizeSegmentation(ctx, cfg, semOnly)
		if want := shapes.Make(dtypeF32, 1, 128, 192, cfg.Classes); !logits.Shape().Equal(want) {
			t.Errorf("%s: logits %s, want %s", name, logits.Shape(), want)
		}
		xHat, xEnh := SynthesizeImage(ctx, cfg, a, graph.Parameter(g, "logits", logits.Shape()))
		if !xHat.Shape().Equal(x.Shape()) || !xEnh.Shape().Equal(x.Shape()) {
			t.Errorf("%s: x̂ %s, x̂_e %s", name, xHat.Shape(), xEnh.Shape())
		}
		q := ZQuantiles(ctx, cfg, g)
		if !q.Shape().Equal(shapes.Make(dtypeF32, cfg.NHyper, 3)) {
			t.Errorf("%s: quantiles %s", name, q.Shape())
		}
	}
}

func TestAnalysisRejectsUnpaddedInput(t *testing.T) {
	cfg := mustConfig(t, "tiny")
	g := graph.NewGraph(backend.MustNew(), "bad")
	x := graph.Parameter(g, "x", shapes.Make(dtypeF32, 1, 70, 64, 3))
	defer func() {
		r := recover()
		if err, ok := r.(error); !ok || !strings.Contains(err.Error(), "multiples of 64") {
			t.Errorf("Analysis on 70x64 recovered %v, want a size error", r)
		}
	}()
	Analysis(context.New(), cfg, x)
}

// TestPadCrop checks edge-replication padding and the crop back, on values.
func TestPadCrop(t *testing.T) {
	be := backend.MustNew()
	in := [][][][]float32{{{{1}, {2}, {3}}, {{4}, {5}, {6}}}} // [1,2,3,1]
	out := graph.MustExecOnceN(be, func(x *graph.Node) []*graph.Node {
		p := PadImage(x, 4)
		return []*graph.Node{p, CropImage(p, 2, 3)}
	}, in)
	want := [][][][]float32{{
		{{1}, {2}, {3}, {3}}, {{4}, {5}, {6}, {6}}, {{4}, {5}, {6}, {6}}, {{4}, {5}, {6}, {6}},
	}}
	if !tensors.FromValue(want).Equal(out[0]) {
		t.Errorf("PadImage = %v, want %v", out[0].Value(), want)
	}
	if !tensors.FromValue(in).Equal(out[1]) {
		t.Errorf("CropImage = %v, want %v", out[1].Value(), in)
	}
	if h, w := Padded(70), Padded(64); h != 128 || w != 64 {
		t.Errorf("Padded(70), Padded(64) = %d, %d", h, w)
	}
}

// TestCrossEntropy checks the ignore rule and the empty-batch case against a direct
// computation.
func TestCrossEntropy(t *testing.T) {
	be := backend.MustNew()
	logits := [][][][]float32{{{{2, 0, -1}, {0, 1, 0}}}} // [1,1,2,3]
	run := func(labels [][][]int32) float64 {
		out := graph.MustExecOnce(be, func(l, y *graph.Node) *graph.Node { return CrossEntropy(l, y) }, logits, labels)
		return float64(out.Value().(float32))
	}
	lse := func(v ...float64) float64 {
		s := 0.0
		for _, x := range v {
			s += math.Exp(x)
		}
		return math.Log(s)
	}
	want := lse(2, 0, -1) - 2 // only the first pixel counts
	if got := run([][][]int32{{{0, 3}}}); math.Abs(got-want) > 1e-5 {
		t.Errorf("CE with one ignored pixel = %g, want %g", got, want)
	}
	want = (lse(2, 0, -1) - 2 + lse(0, 1, 0) - 1) / 2
	if got := run([][][]int32{{{0, 1}}}); math.Abs(got-want) > 1e-5 {
		t.Errorf("CE = %g, want %g", got, want)
	}
	if got := run([][][]int32{{{-1, 255}}}); got != 0 {
		t.Errorf("CE with no labelled pixel = %g, want 0", got)
	}
}
