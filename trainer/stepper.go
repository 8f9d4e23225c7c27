package trainer

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/semcodec/semcodec/model"
)

// Stepper runs training steps: the one training graph (forward, loss,
// gradients, clipping, Adam, the quantiles' aux update) and the work Train
// does around it each step (learning-rate schedule, loss check, moving
// mIoU). Train runs every step through a Stepper, so timing one times
// exactly what training runs.
type Stepper struct {
	opts  Options
	ctx   *mlctx.Context // every variable: weights, optimizer and random state
	exec  *mlctx.Exec
	lrVar *mlctx.Variable
	lr    float64          // the value lrVar holds; NaN before the first step
	conf  *movingConfusion // nil without a segmentation head
}

// NewStepper builds the training graph of opts.Config for batches of
// opts.Batch crops of opts.Crop² pixels on opts.Backend, with variables
// initialised from opts.Seed; the first Step compiles it. It reads Config,
// Backend, Batch, Crop, Seed, Steps (for the decay phase) and the optimizer
// settings (LearningRate, AuxLearningRate, DecayFraction, DecayFactor,
// ClipNorm); zero values take Train's defaults. Crops need not be multiples
// of model.PadMultiple: model.Forward pads them.
func NewStepper(opts Options) (st *Stepper, err error) {
	opts.setDefaults()
	if err := opts.validateStep(); err != nil {
		return nil, err
	}
	cfg := opts.Config
	s := &Stepper{opts: opts, ctx: mlctx.New(), lr: math.NaN()}
	defer func() {
		if r := recover(); r != nil {
			st, err = nil, fmt.Errorf("trainer: building the training graph: %v", r)
		}
		if err != nil {
			s.Close()
		}
	}()
	// GoMLX treats seed 0 as "random", hence the +1. A resumed run
	// overwrites the random state with the checkpoint's.
	s.ctx.SetParam(mlctx.ParamInitialSeed, int64(opts.Seed&(1<<62-1))+1)
	if err := s.ctx.SetRNGStateFromSeed(int64(opts.Seed&(1<<62-1)) + 1); err != nil {
		return nil, err
	}
	opt, err := newAdam(opts.LearningRate)
	if err != nil {
		return nil, err
	}
	// Gain tables a fixed-rate network gains start from its λ.
	s.ctx.SetParam(model.ParamGainReference, opts.Lambda)
	weights := model.LossWeights{Lambda: opts.Lambda, CE: opts.CEWeight}
	trainFn := func(ctx *mlctx.Context, images, labels, rate *graph.Node) []*graph.Node {
		out := forward(ctx, cfg, images, rate, true)
		t := model.Loss(cfg, weights, out, images, labels)
		q := quantilesVar(ctx)
		q.SetTrainable(false) // see auxAdamUpdate
		grads := ctx.BuildTrainableVariablesGradientsGraph(t.Total)
		if opts.ClipNorm > 0 {
			grads = clipGlobalNorm(grads, opts.ClipNorm)
		}
		opt.UpdateGraphWithGradients(ctx, grads, t.Total.DType())
		auxAdamUpdate(ctx, q, t.Aux, opts.AuxLearningRate)
		// The logged loss is what the main optimizer minimises: the aux
		// loss trains only the quantiles (and is reported by validation).
		return []*graph.Node{graph.Sub(t.Total, t.Aux), t.MSE, t.BPP, t.CE, predictions(out, labels)}
	}
	// Build the graph once, uncompiled, to create every variable, so that
	// a checkpoint can be checked against them and assigned before
	// anything runs.
	if err := buildOnly(opts.Backend, s.ctx, trainFn, opts.Batch, opts.Crop, cfg.GainLevels()); err != nil {
		return nil, err
	}
	s.lrVar = optimizers.LearningRateVarWithValue(s.ctx, dtypes.Float32, opts.LearningRate)
	s.ctx = s.ctx.Reuse()
	if s.exec, err = mlctx.NewExec(opts.Backend, s.ctx, trainFn); err != nil {
		return nil, err
	}
	if cfg.Semantic {
		s.conf = newMovingConfusion(cfg.Classes, mIoUDecay)
	}
	return s, nil
}

// Step runs training step t (1-based; it picks the learning rate, see
// Options.LearningRateAt) on b. A batch of another size than the options'
// compiles another graph. It fails with ErrDiverged when the loss is not
// finite.
func (s *Stepper) Step(t int64, b *Batch) (StepLog, error) {
	if lr := s.opts.LearningRateAt(int(t)); lr != s.lr {
		if err := s.lrVar.SetValue(tensors.FromScalar(float32(lr))); err != nil {
			return StepLog{}, err
		}
		s.lr = lr
	}
	images := tensors.FromFlatDataAndDimensions(b.Images, b.Size, b.Crop, b.Crop, 3)
	labels := tensors.FromFlatDataAndDimensions(b.Labels, b.Size, b.Crop, b.Crop)
	rate := rateTensor(drawLevels(s.opts.Seed, t, b.Size, s.opts.Config.GainLevels()), s.opts.Config.GainLevels())
	outs, err := s.exec.Exec(images, labels, rate)
	images.FinalizeAll()
	labels.FinalizeAll()
	rate.FinalizeAll()
	if err != nil {
		return StepLog{}, fmt.Errorf("trainer: step %d: %w", t, err)
	}
	defer finalize(outs)
	log := StepLog{Step: t, Loss: scalar(outs[0]), PSNR: psnrOf(scalar(outs[1])), BPP: scalar(outs[2]), CE: scalar(outs[3])}
	if math.IsNaN(log.Loss) || math.IsInf(log.Loss, 0) {
		return log, fmt.Errorf("%w at step %d", ErrDiverged, t)
	}
	if s.conf != nil {
		preds, err := tensors.CopyFlatData[int32](outs[4])
		if err != nil {
			return log, err
		}
		s.conf.add(preds, b.Labels)
	}
	if m, ok := s.conf.meanIoU(); ok {
		log.MIoU = &m
	}
	return log, nil
}

// forward is model.ForwardRate for a variable-rate configuration and
// model.Forward otherwise; the training and validation graphs always take a
// rate input [B, max(1, levels)], which a fixed-rate network ignores.
func forward(ctx *mlctx.Context, cfg model.Config, images, rate *graph.Node, training bool) *model.Outputs {
	if cfg.GainLevels() == 0 {
		rate = nil
	}
	return model.ForwardRate(ctx, cfg, images, rate, training)
}

// drawLevels picks each crop's gain level of step t (none for a fixed-rate
// network) from the seed and t alone, so a resumed run draws what an
// uninterrupted one would.
func drawLevels(seed uint64, t int64, n, levels int) []int {
	out := make([]int, n)
	if levels == 0 {
		return out
	}
	r := rand.New(rand.NewPCG(seed, 0x6a150000+uint64(t)))
	for i := range out {
		out[i] = r.IntN(levels)
	}
	return out
}

// rateTensor is the one-hot [len(levels), max(1, n)] rate input.
func rateTensor(levels []int, n int) *tensors.Tensor {
	n = max(n, 1)
	flat := make([]float32, len(levels)*n)
	for i, l := range levels {
		flat[i*n+l] = 1
	}
	return tensors.FromFlatDataAndDimensions(flat, len(levels), n)
}

// Close frees the compiled graph. The Stepper must not be used afterwards.
func (s *Stepper) Close() {
	if s.exec != nil {
		s.exec.Finalize()
		s.exec = nil
	}
}

// adamEpsilon is the usual Adam ε (Kingma & Ba; PyTorch, CompressAI).
// GoMLX's default is 1e-7, which damps the steps of parameters whose
// gradients are small, such as the entropy bottleneck's.
const adamEpsilon = 1e-8

// newAdam is the main optimizer: Adam with bias correction and ε = 1e-8.
func newAdam(learningRate float64) (gradientOptimizer, error) {
	opt, ok := optimizers.Adam().LearningRate(learningRate).Epsilon(adamEpsilon).Done().(gradientOptimizer)
	if !ok {
		return nil, errors.New("trainer: GoMLX's Adam no longer takes precomputed gradients")
	}
	return opt, nil
}
