package codec

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"semcodec/model"
)

// The float parts of the codec run as GoMLX graphs built from package model.
// Each kind of graph gets its own executor per padded image size.
type graphKind int

const (
	graphAnalysis     graphKind = iota // x -> y, z
	graphSegmentation                  // ŷ_sem -> labels
	graphImage                         // ŷ_img[, ŷ_sem] -> x̂[, x̂_e], labels
	graphImagePlain                    // as graphImage without the enhancement
	graphEstimate                      // x -> the model's bits-per-pixel estimate
)

// maxExecs bounds the cached executors per model (each holds compiled
// graphs for one image size); the least recently used is released first.
const maxExecs = 8

type execKey struct {
	kind graphKind
	h, w int // padded image size
}

type execCache struct {
	mu    sync.Mutex
	execs map[execKey]*context.Exec
	order []execKey // least recently used first
}

// run executes graph kind for a padded h×w image. Calls are serialized per
// model; GoMLX panics (graph-building errors) come back as errors.
func (m *Model) run(kind graphKind, h, w int, args ...any) (out []*tensors.Tensor, err error) {
	be := m.be
	if be == nil {
		if be, err = sharedBackend(); err != nil {
			return nil, err
		}
	}
	c := &m.execs
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("semcodec: running the network: %v\n%s", r, debug.Stack())
		}
	}()
	key := execKey{kind, h, w}
	e := c.execs[key]
	if e == nil {
		if e, err = context.NewExecAny(be, m.ctx.Reuse(), m.graphFn(kind)); err != nil {
			return nil, fmt.Errorf("semcodec: building the network: %w", err)
		}
		if c.execs == nil {
			c.execs = map[execKey]*context.Exec{}
		}
		c.execs[key] = e
		if len(c.order) >= maxExecs {
			old := c.order[0]
			c.execs[old].Finalize()
			delete(c.execs, old)
			c.order = c.order[1:]
		}
	} else {
		for i, k := range c.order {
			if k == key {
				c.order = append(c.order[:i], c.order[i+1:]...)
				break
			}
		}
	}
	c.order = append(c.order, key)
	out, err = e.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("semcodec: running the network: %w", err)
	}
	return out, nil
}

// graphFn returns the graph function of a kind.
func (m *Model) graphFn(kind graphKind) any {
	cfg := m.cfg
	labels := func(logits *graph.Node) *graph.Node { return graph.ArgMax(logits, -1, dtypes.Int32) }
	switch kind {
	case graphAnalysis:
		return func(ctx *context.Context, x *graph.Node) []*graph.Node {
			ctx.SetTraining(x.Graph(), false)
			yImg, ySem := model.Analysis(ctx, cfg, x)
			y := model.JoinLatents(cfg, yImg, ySem)
			return []*graph.Node{y, model.HyperAnalysis(ctx, cfg, y)}
		}
	case graphSegmentation:
		return func(ctx *context.Context, ySem *graph.Node) *graph.Node {
			ctx.SetTraining(ySem.Graph(), false)
			return labels(model.SynthesizeSegmentation(ctx, cfg, ySem))
		}
	case graphImage, graphImagePlain:
		if !cfg.Semantic {
			return func(ctx *context.Context, yImg *graph.Node) []*graph.Node {
				ctx.SetTraining(yImg.Graph(), false)
				xHat, _ := model.SynthesizeImage(ctx, cfg, yImg, nil)
				return []*graph.Node{xHat}
			}
		}
		enhance := kind == graphImage && cfg.Enhancement
		return func(ctx *context.Context, yImg, ySem *graph.Node) []*graph.Node {
			ctx.SetTraining(yImg.Graph(), false)
			logits := model.SynthesizeSegmentation(ctx, cfg, ySem)
			if !enhance {
				xHat, _ := model.SynthesizeImage(ctx, cfg, yImg, nil)
				return []*graph.Node{xHat, labels(logits)}
			}
			xHat, xEnh := model.SynthesizeImage(ctx, cfg, yImg, logits)
			return []*graph.Node{xHat, xEnh, labels(logits)}
		}
	case graphEstimate:
		return func(ctx *context.Context, x *graph.Node) *graph.Node {
			return model.Forward(ctx, cfg, x, false).BPP
		}
	}
	panic(fmt.Sprintf("semcodec: unknown graph kind %d", kind))
}
