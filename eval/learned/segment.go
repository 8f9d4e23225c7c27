package learned

import (
	"fmt"
	"image"
	"runtime/debug"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// The codec runs its networks only on what a bitstream carries, so the upper
// bound needs a graph of its own: analysis, then the semantic decoder on the
// unquantized y_sem. It runs on the model file's own weights in a separate
// GoMLX context and backend.

var sharedBackend = sync.OnceValues(func() (backends.Backend, error) { return backend.New() })

// segNet is the upper-bound graph of one model.
type segNet struct {
	mu   sync.Mutex // one execution at a time, as the codec does
	exec *mlctx.Exec
}

type segKey struct {
	m       *codec.Model
	rounded bool
}

type segEntry struct {
	once sync.Once
	net  *segNet
	err  error
}

var segNets sync.Map // segKey -> *segEntry

// segmentationNet returns the shared upper-bound graph of m.
func segmentationNet(m *codec.Model, rounded bool) (*segNet, error) {
	v, _ := segNets.LoadOrStore(segKey{m, rounded}, &segEntry{})
	e := v.(*segEntry)
	e.once.Do(func() { e.net, e.err = newSegNet(m, rounded) })
	return e.net, e.err
}

func newSegNet(m *codec.Model, rounded bool) (*segNet, error) {
	cfg := m.Config()
	if !cfg.Semantic {
		return nil, fmt.Errorf("%w: model %q has no semantic branch", codec.ErrNoSegmentation, m.Name())
	}
	be, err := sharedBackend()
	if err != nil {
		return nil, err
	}
	ctx, err := networkContext(m.File())
	if err != nil {
		return nil, err
	}
	fn := func(ctx *mlctx.Context, x *graph.Node) *graph.Node {
		ctx.SetTraining(x.Graph(), false)
		d := x.Shape().Dimensions
		// Edge-replicated padding, as the encoder pads.
		_, ySem := model.Analysis(ctx, cfg, model.PadImage(x, model.PadMultiple))
		if rounded {
			// floor(v+½), the codec's rounding.
			ySem = graph.Floor(graph.AddScalar(ySem, 0.5))
		}
		logits := model.SynthesizeSegmentation(ctx, cfg, ySem)
		return graph.ArgMax(model.CropImage(logits, d[1], d[2]), -1, dtypes.Int32)
	}
	// Reuse: a variable missing from the file is an error, never a fresh
	// random one.
	exec, err := mlctx.NewExec(be, ctx.Reuse(), fn)
	if err != nil {
		return nil, fmt.Errorf("learned: building the segmentation network: %w", err)
	}
	return &segNet{exec: exec}, nil
}

// segment labels img, one class per pixel.
func (n *segNet) segment(img *image.RGBA) (g *image.Gray, err error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 {
		return nil, codec.ErrEmpty
	}
	if w > codec.MaxDimension || h > codec.MaxDimension || int64(w)*int64(h) > codec.DefaultMaxPixels {
		return nil, fmt.Errorf("%w: %dx%d", codec.ErrTooLarge, w, h)
	}
	x := tensors.FromFlatDataAndDimensions(imageio.ToFloat32(imageio.ToRGB(img)), 1, h, w, 3)
	n.mu.Lock()
	defer n.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("learned: running the segmentation network: %v\n%s", r, debug.Stack())
		}
	}()
	out, err := n.exec.Exec(x)
	if err != nil {
		return nil, fmt.Errorf("learned: running the segmentation network: %w", err)
	}
	labels, err := tensors.CopyFlatData[int32](out[0])
	if err != nil {
		return nil, err
	}
	if len(labels) != w*h {
		return nil, fmt.Errorf("learned: segmentation network gave %d labels for %dx%d pixels", len(labels), w, h)
	}
	g = image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range labels {
		g.Pix[i] = uint8(min(max(v, 0), 255))
	}
	return g, nil
}

// networkContext puts a model file's network tensors into a new context.
func networkContext(f *weights.File) (*mlctx.Context, error) { return codec.NetworkContext(f) }
