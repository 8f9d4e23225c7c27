package codec

import (
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/model"
)

// The float parts of the codec run as GoMLX graphs built from package model.
// Each kind of graph gets its own executor per padded image size.
type graphKind int

const (
	graphAnalysisY     graphKind = iota // x -> y (one tile)
	graphHyperAnalysis                  // y -> z (one tile of the latent grid)
	graphStageA                         // x -> stage A (split.go)
	graphStageB                         // stage A -> y (latent grid)
	graphSegmentation                   // ŷ_sem -> labels
	graphImage                          // ŷ_img[, ŷ_sem] -> x̂[, x̂_e], labels
	graphImagePlain                     // as graphImage without the enhancement
	graphEstimate                       // x -> the model's bits-per-pixel estimate
)

// maxExecs bounds the cached executors per model (each holds compiled
// graphs for one image size); the least recently used is released first.
const maxExecs = 8

type execKey struct {
	kind graphKind
	h, w int // padded window size (latent grid for graphHyperAnalysis)
}

type execCache struct {
	mu    sync.Mutex
	execs map[execKey]*execEntry
	order []execKey // least recently used first
	// build is held exclusively while an executor builds its graph (which
	// writes to the model's context) and shared while executors run.
	build sync.RWMutex
}

type execEntry struct {
	e       *context.Exec
	built   bool
	busy    int  // runs in flight
	evicted bool // finalize when the last run ends
}

// run executes graph kind for a padded h×w window. Runs may overlap (tiles
// run concurrently); GoMLX panics (graph-building errors) come back as
// errors.
func (m *Model) run(kind graphKind, h, w int, args ...any) (out []*tensors.Tensor, err error) {
	be := m.be
	if be == nil {
		if be, err = sharedBackend(); err != nil {
			return nil, err
		}
	}
	c := &m.execs
	en, built, err := m.acquire(be, execKey{kind, h, w})
	if err != nil {
		return nil, err
	}
	defer func() {
		c.mu.Lock()
		en.busy--
		if en.evicted && en.busy == 0 {
			en.e.Finalize()
		}
		c.mu.Unlock()
	}()
	if built {
		c.build.RLock()
		defer c.build.RUnlock()
	} else {
		c.build.Lock()
		defer c.build.Unlock()
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec: running the network: %v\n%s", r, debug.Stack())
		}
	}()
	out, err = en.e.Exec(args...)
	if err != nil {
		return nil, fmt.Errorf("codec: running the network: %w", err)
	}
	if !built {
		c.mu.Lock()
		en.built = true
		c.mu.Unlock()
	}
	return out, nil
}

// acquire finds or creates the executor for key and counts a run on it.
func (m *Model) acquire(be backends.Backend, key execKey) (en *execEntry, built bool, err error) {
	c := &m.execs
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("codec: building the network: %v\n%s", r, debug.Stack())
		}
	}()
	en = c.execs[key]
	if en == nil {
		e, err := context.NewExecAny(be, m.ctx.Reuse(), m.graphFn(key.kind))
		if err != nil {
			return nil, false, fmt.Errorf("codec: building the network: %w", err)
		}
		en = &execEntry{e: e}
		if c.execs == nil {
			c.execs = map[execKey]*execEntry{}
		}
		c.execs[key] = en
		if len(c.order) >= maxExecs {
			old := c.execs[c.order[0]]
			old.evicted = true
			if old.busy == 0 {
				old.e.Finalize()
			}
			delete(c.execs, c.order[0])
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
	en.busy++
	return en, en.built, nil
}

// graphFn returns the graph function of a kind.
func (m *Model) graphFn(kind graphKind) any {
	cfg := m.cfg
	labels := func(logits *graph.Node) *graph.Node { return graph.ArgMax(logits, -1, dtypes.Int32) }
	switch kind {
	case graphAnalysisY:
		return func(ctx *context.Context, x *graph.Node) *graph.Node {
			ctx.SetTraining(x.Graph(), false)
			yImg, ySem := model.Analysis(ctx, cfg, x)
			return model.JoinLatents(cfg, yImg, ySem)
		}
	case graphStageA:
		return func(ctx *context.Context, x *graph.Node) *graph.Node {
			ctx.SetTraining(x.Graph(), false)
			return stageA(ctx, cfg, x)
		}
	case graphStageB:
		return func(ctx *context.Context, a *graph.Node) *graph.Node {
			ctx.SetTraining(a.Graph(), false)
			return stageB(ctx, cfg, a)
		}
	case graphHyperAnalysis:
		return func(ctx *context.Context, y *graph.Node) *graph.Node {
			ctx.SetTraining(y.Graph(), false)
			return model.HyperAnalysis(ctx, cfg, y)
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
		if cfg.GainLevels() > 0 {
			return func(ctx *context.Context, x, rate *graph.Node) *graph.Node {
				return model.ForwardRate(ctx, cfg, x, rate, false).BPP
			}
		}
		return func(ctx *context.Context, x *graph.Node) *graph.Node {
			return model.Forward(ctx, cfg, x, false).BPP
		}
	}
	panic(fmt.Sprintf("codec: unknown graph kind %d", kind))
}
