package benchsuite

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/trainer"
)

// Kodak's image size, the usual one for codec timings.
const imageW, imageH = 768, 512

// seed fixes every random input and initialisation.
const seed = 1

// Backend is the backend the training and forward entries run on (the
// codec entries use the codec's own, made the same way): backend.New, so
// $GOMLX_BACKEND applies. One instance serves the whole process, as an XLA
// client would claim the device again for each new one.
var Backend = sync.OnceValues(backend.New)

// Entries returns the suite, in the order it runs.
func Entries() []Entry {
	return []Entry{
		trainStep("train_step_hyperprior", "small", false, false, 8, 128, ""),
		trainStep("train_step_hyperprior_transposed", "small", false, true, 8, 128,
			"image synthesis by 5×5 stride-2 transposed convolutions, as the PyTorch reference's"),
		trainStep("train_step_compact_plain", "compact", false, false, 4, 96,
			"the trainer feeds 96² crops as they are; model.Forward pads them to 128² (edge replication)"),
		trainStep("train_step_small", "small", true, false, 8, 128, ""),
		{
			Name:  "forward_hyperprior_n128",
			Note:  fmt.Sprintf("config base without the semantic branch (N=128, M=192), inference model.Forward on 1×%d×%d, random weights", imageH, imageW),
			setup: func() (*prepared, error) { return forwardSetup("base", false) },
		},
		{Name: "encode", setup: encodeSetup},
		{Name: "decode", setup: decodeSetup},
	}
}

// config is a named configuration, optionally without the semantic branch
// (and so without enhancement, as `semcodec train --no-semantic` does).
func config(name string, semantic bool) (model.Config, error) {
	cfg, err := model.ConfigByName(name)
	if err != nil {
		return cfg, err
	}
	if !semantic {
		cfg.Semantic, cfg.Enhancement = false, false
	}
	return cfg, nil
}

// trainStep times one trainer step (trainer.Stepper: the graph Train runs,
// with its default optimizer settings) on a fixed batch.
func trainStep(name, cfgName string, semantic, transposed bool, batch, crop int, note string) Entry {
	what := "full model"
	if !semantic {
		what = "no semantic branch"
	}
	e := Entry{Name: name, Note: fmt.Sprintf("config %s, %s, batch %d×%d²", cfgName, what, batch, crop)}
	if note != "" {
		e.Note += "; " + note
	}
	e.setup = func() (*prepared, error) {
		cfg, err := config(cfgName, semantic)
		if err != nil {
			return nil, err
		}
		cfg.TransposedSynthesis = transposed
		be, err := Backend()
		if err != nil {
			return nil, err
		}
		// Steps far ahead keeps the base learning rate, as mid-training.
		st, err := trainer.NewStepper(trainer.Options{Config: cfg, Backend: be, Batch: batch, Crop: crop, Seed: seed, Steps: 1 << 30})
		if err != nil {
			return nil, err
		}
		b := syntheticBatch(batch, crop, cfg.Classes)
		var t int64
		op := func() error {
			t++
			_, err := st.Step(t, b)
			return err
		}
		return &prepared{op: op, release: st.Close}, nil
	}
	return e
}

// forwardSetup compiles the inference forward of a randomly initialised
// network on one image.
func forwardSetup(cfgName string, semantic bool) (*prepared, error) {
	cfg, err := config(cfgName, semantic)
	if err != nil {
		return nil, err
	}
	be, err := Backend()
	if err != nil {
		return nil, err
	}
	ctx := mlctx.New()
	ctx.SetParam(mlctx.ParamInitialSeed, int64(seed))
	if err := ctx.SetRNGStateFromSeed(seed); err != nil {
		return nil, err
	}
	exec, err := mlctx.NewExec(be, ctx, func(ctx *mlctx.Context, x *graph.Node) []*graph.Node {
		out := model.Forward(ctx, cfg, x, false)
		outs := []*graph.Node{out.XHatEnh, out.BPP}
		if out.Logits != nil {
			outs = append(outs, out.Logits)
		}
		return outs
	})
	if err != nil {
		return nil, err
	}
	x := tensors.FromFlatDataAndDimensions(imageio.ToFloat32(imageio.ToRGB(SyntheticImage(imageW, imageH))), 1, imageH, imageW, 3)
	op := func() error {
		outs, err := exec.Exec(x)
		for _, o := range outs {
			o.FinalizeAll()
		}
		return err
	}
	return &prepared{op: op, release: func() { exec.Finalize(); x.FinalizeAll() }}, nil
}

// CodecModel, when set, replaces the embedded default in the encode and
// decode entries (to time a candidate model before it ships).
var CodecModel *codec.Model

// defaultModel is the model the encode and decode entries time (CodecModel,
// else the embedded one `semcodec compress` uses by default), and a note
// naming it.
func defaultModel() (*codec.Model, string, error) {
	m, which := CodecModel, "model"
	if m == nil {
		var err error
		if m, err = codec.DefaultModel(0); err != nil {
			return nil, "", err
		}
		which = "embedded model"
	}
	q := fmt.Sprintf("q%d", m.Quality())
	if m.Levels() > 0 {
		q = fmt.Sprintf("variable-rate (%d levels) at q%d", m.Levels(), min(codec.DefaultQuality, m.Levels()))
	}
	return m, fmt.Sprintf("%s %s %s, synthetic %d×%d image", which, m.Name(), q, imageW, imageH), nil
}

func encodeSetup() (*prepared, error) {
	m, note, err := defaultModel()
	if err != nil {
		return nil, err
	}
	img := SyntheticImage(imageW, imageH)
	var buf bytes.Buffer
	op := func() error {
		buf.Reset()
		return m.Encode(&buf, img)
	}
	return &prepared{op: op, note: note}, nil
}

// decodeSetup encodes the image once; the timed runs decode those bytes.
func decodeSetup() (*prepared, error) {
	m, note, err := defaultModel()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := m.Encode(&buf, SyntheticImage(imageW, imageH)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	d := &codec.Decoder{Models: []*codec.Model{m}}
	op := func() error {
		_, err := d.Decode(bytes.NewReader(data))
		return err
	}
	return &prepared{op: op, note: fmt.Sprintf("%s (%d bytes)", note, len(data))}, nil
}

// SyntheticImage is a deterministic test picture: smooth colour gradients,
// a few soft edges and seeded noise, so that the codec sees both flat areas
// and detail.
func SyntheticImage(w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			edge := 0.0
			if math.Sin(7*fx+3*fy) > 0.3 {
				edge = 40
			}
			n := r.NormFloat64() * 6
			img.SetRGBA(x, y, color.RGBA{
				R: clamp8(40 + 170*fx + edge + n),
				G: clamp8(200 - 150*fy + 30*math.Sin(11*fx) + n),
				B: clamp8(90 + 80*math.Cos(5*fx*fy) - edge + n),
				A: 255,
			})
		}
	}
	return img
}

func clamp8(v float64) uint8 { return uint8(math.Round(max(0, min(255, v)))) }

// syntheticBatch is a batch of distinct crops of SyntheticImage-like content
// with block-shaped labels over all classes (and some ignored pixels, -1, as
// real label maps have).
func syntheticBatch(n, crop, classes int) *trainer.Batch {
	b := &trainer.Batch{Size: n, Crop: crop,
		Images: make([]float32, n*crop*crop*3), Labels: make([]int32, n*crop*crop), Items: make([]int, n)}
	img := SyntheticImage(crop*n, crop)
	for k := range n {
		b.Items[k] = k
		for y := range crop {
			for x := range crop {
				o := (k*crop+y)*crop + x
				p := img.PixOffset(k*crop+x, y)
				for c := range 3 {
					b.Images[3*o+c] = float32(img.Pix[p+c]) / 255
				}
				l := int32((x/16 + y/16 + k) % max(classes+1, 1))
				if int(l) == classes {
					l = -1
				}
				b.Labels[o] = l
			}
		}
	}
	return b
}
