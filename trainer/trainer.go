// Package trainer trains the semcodec network (package model) and turns the
// result into a shippable model file.
//
// Train runs Adam (learning rate 1e-4, as in the seed paper, then ×0.1 for a
// final decay phase) on L = λ·255²·MSE + bpp + aux + CE over random crops,
// logs every step, validates on held-out images, and writes atomic
// checkpoints that a later run resumes from exactly: the same seed gives the
// same batches at the same step (see Batcher), and a checkpoint holds every
// variable, optimizer moments and random state included, so on the CPU
// backend a resumed run repeats an uninterrupted one bit for bit.
//
// Export writes a checkpoint's network weights (no optimizer state) as one
// .smw file (package weights), and ModelContext reads such a file back into a
// GoMLX context that model.Forward runs on.
package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"
	"github.com/schollz/progressbar/v3"

	"github.com/semcodec/semcodec/model"
)

// Defaults of Options.
const (
	DefaultLambda        = 0.013 // CompressAI's quality 4 (zoo.Lambdas)
	DefaultCEWeight      = 1     // the seed paper's L = λ·D + R + CE
	DefaultLearningRate  = 1e-4  // the seed paper's Adam learning rate
	DefaultDecayFraction = 0.15  // the last 15% of the steps ...
	DefaultDecayFactor   = 0.1   // ... run at a tenth of the learning rate
	// DefaultClipNorm caps the global gradient norm, as CompressAI's
	// training example does: one bad batch at a high λ (a rare crop the
	// network reconstructs badly) otherwise throws the weights far enough to
	// diverge.
	DefaultClipNorm = 1.0
	DefaultKeep     = 2
	// mIoUDecay weighs the moving confusion matrix behind the progress
	// bar's mIoU: counts fall to 1/e after about 50 steps.
	mIoUDecay = 0.98
	// adamScope is where GoMLX's Adam keeps its moments and step counter.
	adamScope = "AdamOptimizer"
)

var (
	// ErrInterrupted is returned when the context was cancelled (Ctrl-C):
	// a checkpoint of the last completed step was saved first.
	ErrInterrupted = errors.New("trainer: training interrupted")
	// ErrDiverged is returned when the loss became NaN or infinite; the
	// state is not checkpointed, earlier checkpoints are kept.
	ErrDiverged = errors.New("trainer: training diverged (loss is not finite)")
	// ErrOutInUse means the output folder holds checkpoints of a run that
	// was not asked to be resumed.
	ErrOutInUse = errors.New("trainer: output folder already holds checkpoints")
)

// Options configure Train. Zero values take the defaults noted.
type Options struct {
	Config model.Config // network and loss weights (λ); Classes is set from the data
	Steps  int          // total steps: training stops when the global step reaches Steps
	Batch  int          // crops per step (8)
	Crop   int          // crop side in pixels (256)
	Seed   uint64

	// Lambda and CEWeight weigh the loss (model.LossWeights): DefaultLambda
	// and DefaultCEWeight when zero. A variable-rate network weighs each
	// crop by its level's λ instead; Lambda then only scales gain tables it
	// adds (model.ParamGainReference).
	Lambda, CEWeight float64
	LearningRate     float64 // DefaultLearningRate
	AuxLearningRate  float64 // of the bottleneck quantiles on the aux loss: DefaultAuxLearningRate
	DecayFraction    float64 // DefaultDecayFraction; negative disables the decay phase
	DecayFactor      float64 // DefaultDecayFactor
	ClipNorm         float64 // largest global gradient norm (DefaultClipNorm); negative: no clipping

	OutDir string
	Resume bool // continue from the newest checkpoint in OutDir
	// Init starts a new run (step 0, fresh optimizer) from the network
	// weights of an exported model file (.smw): how a run continues on a
	// machine that kept only the exported model. Not with Resume.
	Init            string
	CkptEvery       int    // steps between checkpoints; 0: only at the end
	Keep            int    // checkpoints kept (DefaultKeep); negative keeps all
	CheckpointState string // StateFull (default) or StateWeights
	ShardBytes      int64  // DefaultShardBytes

	ValEvery  int // steps between validations; 0: only at the end (when Val is set)
	ValImages int // validate on at most this many images (0: all)
	ValCrop   int // validate on center crops of this side (0: whole images)

	Backend  backends.Backend
	Data     []string  // data specs, recorded in checkpoints
	JSONLog  io.Writer // one JSON object per step, see StepLog
	Log      io.Writer // human-readable notes (validation, checkpoints)
	Progress io.Writer // progress bar; nil for none
	// StatusEvery, without a progress bar, prints a status line to Log
	// every this many steps (for logs that are not terminals).
	StatusEvery int
	// OnStep is called after every step (tests use it to interrupt a run).
	OnStep func(StepLog)
}

func (o *Options) setDefaults() {
	if o.Batch == 0 {
		o.Batch = 8
	}
	if o.Lambda == 0 {
		o.Lambda = DefaultLambda
	}
	if o.CEWeight == 0 {
		o.CEWeight = DefaultCEWeight
	}
	if o.Crop == 0 {
		o.Crop = 256
	}
	if o.LearningRate == 0 {
		o.LearningRate = DefaultLearningRate
	}
	if o.AuxLearningRate == 0 {
		o.AuxLearningRate = DefaultAuxLearningRate
	}
	if o.DecayFraction == 0 {
		o.DecayFraction = DefaultDecayFraction
	}
	if o.DecayFactor == 0 {
		o.DecayFactor = DefaultDecayFactor
	}
	if o.ClipNorm == 0 {
		o.ClipNorm = DefaultClipNorm
	}
	if o.Keep == 0 {
		o.Keep = DefaultKeep
	}
	if o.CheckpointState == "" {
		o.CheckpointState = StateFull
	}
	if o.ShardBytes == 0 {
		o.ShardBytes = DefaultShardBytes
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

func (o *Options) validate() error {
	if o.Init != "" && o.Resume {
		return errors.New("trainer: a run either resumes a checkpoint or starts from an exported model, not both")
	}
	switch {
	case o.CkptEvery < 0 || o.ValEvery < 0 || o.ValImages < 0 || o.ValCrop < 0:
		return errors.New("trainer: negative --ckpt-every, --val-every, --val-images or --val-crop")
	case o.CheckpointState != StateFull && o.CheckpointState != StateWeights:
		return fmt.Errorf("trainer: checkpoint state %q, want %s or %s", o.CheckpointState, StateFull, StateWeights)
	case o.OutDir == "":
		return errors.New("trainer: no output folder")
	}
	return o.validateStep()
}

// validateStep checks the options a Stepper reads.
func (o *Options) validateStep() error {
	switch {
	case o.Steps < 0 || o.Batch < 1 || o.Crop < 1:
		return fmt.Errorf("trainer: steps %d, batch %d and crop %d must be positive", o.Steps, o.Batch, o.Crop)
	case math.IsNaN(o.ClipNorm):
		return errors.New("trainer: gradient clip norm is NaN")
	case o.LearningRate <= 0 || math.IsNaN(o.LearningRate) || o.DecayFactor <= 0 || o.AuxLearningRate <= 0:
		return fmt.Errorf("trainer: learning rate %g and decay factor %g must be positive", o.LearningRate, o.DecayFactor)
	case o.Backend == nil:
		return errors.New("trainer: no backend")
	}
	return o.Config.Validate()
}

// LearningRateAt is the learning rate of step t (1-based): the base rate, then
// base·DecayFactor for the last DecayFraction of the steps.
func (o *Options) LearningRateAt(t int) float64 {
	if o.DecayFraction > 0 && float64(t) > float64(o.Steps)*(1-o.DecayFraction) {
		return o.LearningRate * o.DecayFactor
	}
	return o.LearningRate
}

// StepLog is one line of the JSON log: the batch's loss, bpp (estimated from
// the likelihoods), PSNR of x̂_e in dB and cross-entropy, and the moving
// average mIoU (null until a labelled pixel has been seen).
type StepLog struct {
	Step int64    `json:"step"`
	Loss float64  `json:"loss"`
	BPP  float64  `json:"bpp"`
	PSNR float64  `json:"psnr"`
	CE   float64  `json:"ce"`
	MIoU *float64 `json:"miou"`
}

// ValResult is one validation pass; it is printed and appended to
// OUT/validation.jsonl.
type ValResult struct {
	Step    int64    `json:"step"`
	Quality int      `json:"quality,omitempty"` // the rate level (1-based) of a variable-rate network
	Images  int      `json:"images"`
	PSNR    float64  `json:"psnr"` // mean over images of the PSNR of x̂_e rounded to 8 bits
	BPP     float64  `json:"bpp"`  // mean estimated bits per pixel (from the likelihoods)
	CE      float64  `json:"ce"`
	MIoU    *float64 `json:"miou"` // over all validation pixels; null when unlabelled
}

// Result summarises a Train call.
type Result struct {
	StartStep, Step int64
	Last            StepLog
	Val             []*ValResult // the last validation: one per rate level
	Checkpoint      string       // the last checkpoint written
	StepsPerSecond  float64      // excluding the first step (graph compilation)
}

// session is one training run in progress.
type session struct {
	opts     Options
	cfg      model.Config
	st       *Stepper // the training graph and its variables
	eval     *evaluator
	labelled bool // the data has labels: track the moving mIoU
	run      RunInfo
	valLog   string
}

// Train trains on data, validating on val (may be nil), until the global
// step reaches opts.Steps or ctx is cancelled (then it checkpoints and
// returns ErrInterrupted).
func Train(ctx context.Context, data, val Source, opts Options) (res *Result, err error) {
	opts.setDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	classSet, k, err := ClassSet(data)
	if err != nil {
		return nil, err
	}
	if val != nil {
		vs, vk, err := ClassSet(val)
		if err != nil {
			return nil, err
		}
		if vk != 0 && k != 0 && (vs != classSet || vk != k) {
			return nil, fmt.Errorf("trainer: validation classes %s (%d) differ from training classes %s (%d)", vs, vk, classSet, k)
		}
		if k == 0 {
			classSet, k = vs, vk
		}
	}
	cfg := opts.Config
	if k != 0 {
		cfg.Classes = k
	}
	cfg.RetiredLambda, cfg.RetiredCEWeight = 0, 0 // training settings now: opts
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	batcher, err := NewBatcher(data, opts.Batch, opts.Crop, opts.Seed)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.OutDir, 0o755); err != nil {
		return nil, err
	}
	RemoveStaleTemps(opts.OutDir)

	s := &session{opts: opts, cfg: cfg, labelled: k > 0,
		valLog: filepath.Join(opts.OutDir, "validation.jsonl"),
		run: RunInfo{Seed: opts.Seed, Batch: opts.Batch, Crop: opts.Crop, Steps: opts.Steps,
			Lambda: opts.Lambda, CEWeight: opts.CEWeight,
			LearningRate: opts.LearningRate, Data: opts.Data, ClassSet: classSet}}
	var ck *Checkpoint
	existing, _ := ListCheckpoints(opts.OutDir)
	switch {
	case opts.Resume:
		if ck, err = LoadCheckpoint(opts.OutDir); err != nil {
			return nil, err
		}
		if err := sameNetwork(ck.Meta.Config, cfg); err != nil {
			return nil, &CheckpointError{Path: ck.Path, Err: err}
		}
		if l := ck.Meta.RunLambda(); l != opts.Lambda {
			fmt.Fprintf(opts.Log, "note: λ changes from %g (checkpoint) to %g\n", l, opts.Lambda)
		}
	case len(existing) > 0:
		return nil, fmt.Errorf("%w: %s (pass --resume to continue it, or choose another --out)", ErrOutInUse, existing[len(existing)-1])
	case opts.Init != "":
		if ck, err = initCheckpoint(opts.Init); err != nil {
			return nil, err
		}
		if err := sameNetwork(ck.Meta.Config, cfg); err != nil {
			return nil, &CheckpointError{Path: ck.Path, Err: err}
		}
	}

	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("trainer: training failed: %v", r)
		}
		s.close()
	}()
	startStep, err := s.build(ck)
	if err != nil {
		return nil, err
	}
	res = &Result{StartStep: startStep, Step: startStep}
	if ck != nil {
		res.Checkpoint = ck.Path
		if err := trimJSONLog(opts.JSONLog, startStep); err != nil {
			return nil, err
		}
	}
	if int(startStep) >= opts.Steps {
		fmt.Fprintf(opts.Log, "already at step %d of %d: nothing to train\n", startStep, opts.Steps)
		return res, nil
	}

	var bar *progressbar.ProgressBar
	if opts.Progress != nil {
		bar = progressbar.NewOptions64(int64(opts.Steps),
			progressbar.OptionSetWriter(opts.Progress), progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(20), progressbar.OptionThrottle(250*time.Millisecond),
			progressbar.OptionSetPredictTime(true), progressbar.OptionShowIts(), progressbar.OptionSetItsString("step"),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(opts.Progress) }))
		bar.Set64(startStep)
	}
	say := func(format string, args ...any) {
		if bar != nil {
			bar.Clear()
		}
		fmt.Fprintf(opts.Log, format, args...)
	}

	// The next batch is cut while the current step runs.
	type prefetched struct {
		b   *Batch
		err error
	}
	fetch := func(t int64) chan prefetched {
		ch := make(chan prefetched, 1)
		go func() { b, err := batcher.Batch(int(t)); ch <- prefetched{b, err} }()
		return ch
	}
	next := fetch(startStep)
	var timedStart time.Time
	for step := startStep + 1; step <= int64(opts.Steps); step++ {
		pf := <-next
		if pf.err != nil {
			return res, pf.err
		}
		if step < int64(opts.Steps) {
			next = fetch(step)
		}
		log, err := s.st.Step(step, pf.b)
		if err != nil {
			return res, err
		}
		res.Step, res.Last = step, log
		if step == startStep+1 {
			timedStart = time.Now()
		} else if d := time.Since(timedStart).Seconds(); d > 0 {
			res.StepsPerSecond = float64(step-startStep-1) / d
		}
		if opts.JSONLog != nil {
			line, _ := json.Marshal(log)
			if _, err := opts.JSONLog.Write(append(line, '\n')); err != nil {
				return res, err
			}
		}
		if opts.OnStep != nil {
			opts.OnStep(log)
		}
		if bar != nil {
			bar.Describe(describe(log))
			bar.Set64(step)
		} else if opts.StatusEvery > 0 && (step%int64(opts.StatusEvery) == 0 || step == int64(opts.Steps)) {
			fmt.Fprintf(opts.Log, "%s (%.3g steps/s)\n", describe(log), res.StepsPerSecond)
		}
		last := step == int64(opts.Steps)
		if val != nil && (last || (opts.ValEvery > 0 && step%int64(opts.ValEvery) == 0)) {
			vr, err := s.validate(val, step)
			if err != nil {
				return res, err
			}
			res.Val = vr
			for _, v := range vr {
				say("%s\n", describeVal(v))
			}
		}
		interrupted := ctx.Err() != nil
		if last || interrupted || (opts.CkptEvery > 0 && step%int64(opts.CkptEvery) == 0) {
			path, err := s.save(step)
			if err != nil {
				return res, err
			}
			res.Checkpoint = path
			if interrupted {
				say("interrupted: checkpoint of step %d saved in %s\n", step, path)
				return res, fmt.Errorf("%w at step %d; checkpoint %s (continue with --resume)", ErrInterrupted, step, path)
			}
		}
	}
	if bar != nil {
		bar.Finish()
	}
	return res, nil
}

// sameNetwork checks that checkpoint configuration a and requested b
// describe the same variables (λ and the loss weights may differ; a
// fixed-rate checkpoint may gain rate levels, and the levels' λ may change).
func sameNetwork(a, b model.Config) error {
	a.RetiredLambda, b.RetiredLambda, a.RetiredCEWeight, b.RetiredCEWeight = 0, 0, 0, 0
	if a.GainLevels() == 0 || a.GainLevels() == b.GainLevels() || addsLevels(a.GainLambdas, b.GainLambdas) {
		a.GainLambdas, b.GainLambdas = nil, nil
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		return fmt.Errorf("network differs from the requested one:\n checkpoint %s\n requested  %s", ja, jb)
	}
	return nil
}

func describe(l StepLog) string {
	m := "  -  "
	if l.MIoU != nil {
		m = fmt.Sprintf("%.3f", *l.MIoU)
	}
	return fmt.Sprintf("step %d loss %.4g bpp %.3f psnr %.2f miou %s", l.Step, l.Loss, l.BPP, l.PSNR, m)
}

func describeVal(v *ValResult) string {
	m := "-"
	if v.MIoU != nil {
		m = fmt.Sprintf("%.4f", *v.MIoU)
	}
	q := ""
	if v.Quality > 0 {
		q = fmt.Sprintf(", quality %d", v.Quality)
	}
	return fmt.Sprintf("validation at step %d on %d images%s: psnr %.3f dB, bpp %.4f, ce %.4f, miou %s",
		v.Step, v.Images, q, v.PSNR, v.BPP, v.CE, m)
}

// build creates the stepper and the validation executor, loads ck (if any)
// and returns the step the run starts from.
func (s *session) build(ck *Checkpoint) (int64, error) {
	cfg, opts := s.cfg, s.opts
	opts.Config = cfg
	var err error
	if s.st, err = NewStepper(opts); err != nil {
		return 0, err
	}
	if !s.labelled {
		s.st.conf = nil // no labels: no moving mIoU, none in checkpoints
	}
	if s.eval, err = newEvaluator(opts.Backend, s.st.ctx, cfg); err != nil {
		return 0, err
	}
	if ck == nil {
		return 0, nil
	}
	mayMiss := func(string) bool { return false }
	switch {
	case ck.Meta.State == stateModel:
		mayMiss = func(key string) bool { return !modelVariable(key) }
	case ck.Meta.State == StateWeights:
		mayMiss = optimizerState
	}
	// A fixed-rate network becoming variable-rate starts its gain tables
	// (and their optimizer state) fresh; a variable-rate one gaining levels
	// carries its tables over by λ and starts their optimizer state fresh.
	freshGains := ck.Meta.Config.GainLevels() == 0 && cfg.GainLevels() > 0
	if old := ck.Meta.Config.GainLambdas; addsLevels(old, cfg.GainLambdas) {
		if err := regainTables(ck.Tensors, old, cfg.GainLambdas); err != nil {
			return 0, &CheckpointError{Path: ck.Path, Err: err}
		}
		freshGains = true
	}
	if freshGains {
		base := mayMiss
		mayMiss = func(key string) bool { return base(key) || gainVariable(key) }
	}
	if err := assignVariables(s.st.ctx, ck.Tensors, mayMiss); err != nil {
		return 0, &CheckpointError{Path: ck.Path, Err: err}
	}
	if conf := s.st.conf; conf != nil && len(ck.Meta.MovingConfusion) == len(conf.m) {
		copy(conf.m, ck.Meta.MovingConfusion)
	}
	step := optimizers.GetGlobalStep(s.st.ctx)
	if step != ck.Meta.Step {
		return 0, &CheckpointError{Path: ck.Path, Err: fmt.Errorf("global step %d, metadata says %d", step, ck.Meta.Step)}
	}
	return step, nil
}

// gainVariable reports whether a variable key belongs to the gain tables
// (or to their optimizer state).
func gainVariable(key string) bool { return strings.Contains(key+"/", "/"+model.ScopeGain+"/") }

// predictions is the argmax class per pixel, or the labels themselves when
// there is no segmentation head (so that nothing is counted).
func predictions(out *model.Outputs, labels *graph.Node) *graph.Node {
	if out.Logits == nil {
		return graph.MulScalar(graph.OnesLike(labels), -1)
	}
	return graph.ArgMax(out.Logits, -1, dtypes.Int32)
}

func (s *session) close() {
	if s.st != nil {
		s.st.Close()
	}
	if s.eval != nil {
		s.eval.close()
	}
}

func (s *session) save(step int64) (string, error) {
	meta := CheckpointMeta{Step: step, State: s.opts.CheckpointState, Config: s.cfg, Run: s.run}
	if s.st.conf != nil {
		meta.MovingConfusion = s.st.conf.m
	}
	return SaveCheckpoint(s.opts.OutDir, s.st.ctx, meta, s.opts.ShardBytes, s.opts.Keep)
}

func finalize(ts []*tensors.Tensor) {
	for _, t := range ts {
		t.FinalizeAll()
	}
}

func scalar(t *tensors.Tensor) float64 {
	switch v := t.Value().(type) {
	case float32:
		return float64(v)
	case float64:
		return v
	}
	return math.NaN()
}

// trimJSONLog drops log lines past step from a resumed run's log file, which
// a killed run may have written after its last checkpoint. Only *os.File logs
// opened for appending can be trimmed; others are left alone.
func trimJSONLog(w io.Writer, step int64) error {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return nil // not a regular file (a pipe, stdout)
	}
	var keep []string
	for _, line := range strings.SplitAfter(string(data), "\n") {
		var l struct {
			Step *int64 `json:"step"`
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if json.Unmarshal([]byte(line), &l) == nil && l.Step != nil && *l.Step > step {
			continue
		}
		keep = append(keep, line)
	}
	trimmed := strings.Join(keep, "")
	if len(trimmed) == len(data) {
		return nil
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt([]byte(trimmed), 0)
	if err == nil {
		_, err = f.Seek(int64(len(trimmed)), io.SeekStart)
	}
	return err
}

// buildOnly builds fn's graph for a batch of b crops of c×c pixels without
// compiling or running it: enough to create (or load) every variable.
func buildOnly(be backends.Backend, ctx *mlctx.Context, fn func(ctx *mlctx.Context, images, labels, rate *graph.Node) []*graph.Node, b, c, levels int) (err error) {
	g := graph.NewGraph(be, "semcodec-variables")
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("trainer: building the network: %v", r)
		}
		g.Finalize()
	}()
	images := graph.Parameter(g, "images", shapeF32(b, c, c, 3))
	labels := graph.Parameter(g, "labels", shapeI32(b, c, c))
	rate := graph.Parameter(g, "rate", shapeF32(b, max(levels, 1)))
	fn(ctx, images, labels, rate)
	return nil
}

// gradientOptimizer is an optimizer that applies gradients computed
// elsewhere (GoMLX's Adam is one), so they can be clipped first.
type gradientOptimizer interface {
	UpdateGraphWithGradients(ctx *mlctx.Context, grads []*graph.Node, lossDType dtypes.DType)
}

// clipGlobalNorm scales all gradients by min(1, maxNorm/‖g‖), ‖g‖ the norm
// of all of them together, as torch.nn.utils.clip_grad_norm_ does.
func clipGlobalNorm(grads []*graph.Node, maxNorm float64) []*graph.Node {
	if len(grads) == 0 {
		return grads
	}
	var sum *graph.Node
	for _, g := range grads {
		sq := graph.ReduceAllSum(graph.Square(g))
		if sum == nil {
			sum = sq
		} else {
			sum = graph.Add(sum, sq)
		}
	}
	norm := graph.Sqrt(sum)
	// maxNorm/max(norm, maxNorm) is min(1, maxNorm/norm) without dividing
	// by zero.
	scale := graph.Div(graph.ScalarOne(norm.Graph(), norm.DType()),
		graph.Max(graph.DivScalar(norm, maxNorm), graph.ScalarOne(norm.Graph(), norm.DType())))
	out := make([]*graph.Node, len(grads))
	for i, g := range grads {
		out[i] = graph.Mul(g, graph.ConvertDType(scale, g.DType()))
	}
	return out
}
