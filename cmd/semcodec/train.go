package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/gomlx/gomlx/backends"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/datapack"
	"github.com/semcodec/semcodec/dataset"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/trainer"
	"github.com/semcodec/semcodec/weights"
	"github.com/semcodec/semcodec/zoo"
)

func init() { register(newTrainCmd) }

type trainFlags struct {
	config, data, val, out, jsonLog, backend, ckptState, shard string
	init                                                       string
	gainLambdas                                                []float64
	lambda, lr, auxLR, decayFrac, clipNorm                     float64
	ceWeight                                                   float64
	transposed, transposedHyper                                bool
	mSemantic, quality, gainLevels                             int
	steps, batch, crop, valEvery, ckptEvery, keep              int
	valImages, valCrop                                         int
	seed                                                       uint64
	resume, quiet                                              bool
	noSemantic, noQuantSem, noAggregation, noEnhancement       bool
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	cmd := &cobra.Command{
		Use:   "train --data SPEC[,SPEC...] --out DIR --steps N",
		Short: "Train the network; checkpoints go to --out",
		Long: `train optimises L = λ·255²·MSE + bpp + CE with Adam (learning rate 1e-4, the
seed paper's, then ×0.1 for the last --decay-frac of the steps) on random
crops; the entropy bottleneck's quantiles follow their aux loss with their
own Adam (--aux-lr). Gradients are scaled down to a global norm of at most
--clip-norm (1, as in CompressAI's training example) before each step.

Data specs (--data, --val; comma-separated, mixed freely):
  DIR                     layout detected: CamVid (DIR with a sibling DIRannot,
                          or DIR holding SPLIT and SPLITannot), Cityscapes
                          (DIR holding leftImg8bit/), else a plain image folder
  camvid:DIR[:SPLIT]      cityscapes:DIR[:SPLIT]      images:DIR
  FILE.pack               a data pack written by "semcodec data pack"
Unlabelled images train compression only. All labelled data must share one
class set (CamVid 11 classes or Cityscapes 19), which sets the network's K.

Every step prints a progress bar (step, loss, bpp, PSNR, moving-average mIoU)
and, with --json-log, appends one line
  {"step": int, "loss": float, "bpp": float, "psnr": float, "ce": float, "miou": float|null}
where loss excludes the aux loss, bpp is estimated from the likelihoods, psnr is
that of the enhanced reconstruction, and miou is the moving average over
about the last 50 steps. Validation on --val runs every --val-every steps and
at the end; its results are printed and appended to DIR/validation.jsonl.

Checkpoints (DIR/ckpt-<step>/, kept: the newest --keep) are written every
--ckpt-every steps, at the end, and on Ctrl-C, always to a new folder that is
renamed into place when complete. --resume continues from the newest one
exactly: with the same seed the run repeats an uninterrupted one (bit for bit
on the CPU backend). The network, seed, batch and crop default to the
checkpoint's; --lambda may change.

The backend is GoMLX's: semcpu (pure Go) unless --backend or $GOMLX_BACKEND
names another, e.g. "xla:/path/to/xla_cuda_plugin.so" in a binary built with
-tags xla (see scripts/gpu-train.sh).

Exit codes: 0 success, 1 usage error, interruption or failure, 2 bad input
data or checkpoint.`,
		Example: `  semcodec train --config tiny --data ../shared/data/camvid/train --val ../shared/data/camvid/val \
      --val-images 8 --val-crop 128 --val-every 25 --steps 50 --batch 4 --crop 64 --lr 1e-3 \
      --out out/tiny --json-log out/tiny.jsonl
  semcodec train --config small --data carry/train.pack --steps 200000 --out out/small --resume`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.config, "config", "small", "network: tiny, small or base")
	fl.StringVar(&f.data, "data", "", "training data specs, comma-separated; SPEC*N enters a set N times (required)")
	fl.StringVar(&f.val, "val", "", "validation data specs")
	fl.StringVar(&f.out, "out", "", "folder for checkpoints and validation.jsonl (required)")
	fl.IntVar(&f.steps, "steps", 0, "total training steps, counting those of a resumed run (required)")
	fl.Float64Var(&f.lambda, "lambda", 0, "rate-distortion λ, CompressAI's MSE scale (default 0.013, quality 4; a resumed run keeps its own)")
	fl.IntVar(&f.batch, "batch", 8, "crops per step")
	fl.IntVar(&f.crop, "crop", 256, "crop side in pixels")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of initialisation, data order, crops and noise")
	fl.BoolVar(&f.resume, "resume", false, "continue from the newest checkpoint in --out")
	fl.StringVar(&f.init, "init", "", "start a new run (step 0, fresh optimizer) from the network of this exported model file (.smw), e.g. the shipped default")
	fl.StringVar(&f.jsonLog, "json-log", "", "append one JSON object per step to this file")
	fl.StringVar(&f.backend, "backend", "", `GoMLX backend spec (default $GOMLX_BACKEND, else "semcpu")`)
	fl.IntVar(&f.valEvery, "val-every", 1000, "steps between validations (0: only at the end)")
	fl.IntVar(&f.valImages, "val-images", 0, "validate on the first N images only (0: all)")
	fl.IntVar(&f.valCrop, "val-crop", 0, "validate on center crops of this side (0: whole images)")
	fl.IntVar(&f.ckptEvery, "ckpt-every", 1000, "steps between checkpoints (0: only at the end and on Ctrl-C)")
	fl.IntVar(&f.keep, "keep", trainer.DefaultKeep, "checkpoints to keep (-1: all)")
	fl.StringVar(&f.ckptState, "ckpt-state", trainer.StateFull, `"full" (exact resume) or "weights" (no Adam moments: 1/3 the size)`)
	fl.StringVar(&f.shard, "shard-size", "15MiB", "largest checkpoint data file")
	fl.Float64Var(&f.lr, "lr", trainer.DefaultLearningRate, "Adam learning rate")
	fl.Float64Var(&f.auxLR, "aux-lr", trainer.DefaultAuxLearningRate, "learning rate of the bottleneck quantiles on the aux loss")
	fl.Float64Var(&f.clipNorm, "clip-norm", trainer.DefaultClipNorm, "largest global gradient norm (-1: no clipping)")
	fl.Float64Var(&f.decayFrac, "decay-frac", trainer.DefaultDecayFraction, "final fraction of the steps run at lr×0.1 (0: none)")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress bar")
	fl.Float64Var(&f.ceWeight, "ce-weight", 0, "weight of the cross-entropy term (default 1; a resumed run keeps its own)")
	fl.IntVar(&f.quality, "quality", 0, "train for this quality of the shipped λ table (zoo.Lambdas: 1 = 0.0018 ... 8 = 0.18) instead of --lambda")
	fl.IntVar(&f.gainLevels, "gain-levels", 0, "variable rate over qualities 1..N of the shipped λ table (as --gain-lambdas)")
	fl.Float64SliceVar(&f.gainLambdas, "gain-lambdas", nil,
		"variable rate: one λ per quality level, increasing; "+
			"on --resume (or --init) a fixed-rate network gains the levels")
	fl.IntVar(&f.mSemantic, "m-semantic", 0, "channels of the semantic latent (default: the config's); fresh runs only")
	fl.BoolVar(&f.transposed, "transposed-synthesis", false, "image synthesis by 5×5 stride-2 transposed convolutions instead of sub-pixel ones; fresh runs only")
	fl.BoolVar(&f.transposedHyper, "transposed-hyper-synthesis", false, "hyper-synthesis by 5×5 stride-2 transposed convolutions, as the reference (not codable: scored by eval network); fresh runs only")
	fl.BoolVar(&f.noSemantic, "no-semantic", false, "ablation: plain scale hyperprior (no semantic branch)")
	fl.BoolVar(&f.noQuantSem, "no-quantize-semantic", false, "ablation: semantic latent not quantized")
	fl.BoolVar(&f.noAggregation, "no-aggregation", false, "ablation: no multi-scale aggregation")
	fl.BoolVar(&f.noEnhancement, "no-enhancement", false, "ablation: no post-enhancement")
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("out")
	cmd.MarkFlagRequired("steps")
	return cmd
}

// newBackend honours --backend, else $GOMLX_BACKEND, else semcpu.
func newBackend(spec string) (backends.Backend, error) {
	if spec != "" {
		if err := os.Setenv(backends.ConfigEnvVar, spec); err != nil {
			return nil, err
		}
	}
	return backend.New()
}

// isInputError tells bad data and checkpoints (exit 2) from other failures.
func isInputError(err error) bool {
	var ce *trainer.CheckpointError
	var de *dataset.Error
	var pf datapack.FormatError
	var pu datapack.UnsupportedError
	return errors.As(err, &ce) || errors.As(err, &de) || errors.As(err, &pf) || errors.As(err, &pu)
}

func runTrain(cmd *cobra.Command, f trainFlags) error {
	changed := cmd.Flags().Changed
	if f.decayFrac == 0 {
		f.decayFrac = -1 // the trainer reads 0 as "default"
	}
	shard, err := parseSize(f.shard)
	if err != nil {
		return err
	}
	cfg, err := model.ConfigByName(f.config)
	if err != nil {
		return err
	}
	cfg.Semantic, cfg.QuantizeSemantic = !f.noSemantic, !f.noQuantSem
	cfg.Aggregation, cfg.Enhancement = !f.noAggregation, !f.noEnhancement && !f.noSemantic
	cfg.TransposedSynthesis, cfg.TransposedHyperSynthesis = f.transposed, f.transposedHyper
	archChanged := changed("config") || changed("no-semantic") || changed("no-quantize-semantic") ||
		changed("no-aggregation") || changed("no-enhancement") || changed("transposed-synthesis") ||
		changed("transposed-hyper-synthesis")
	if f.init != "" {
		// The model's network and loss weights stand unless a flag says otherwise.
		if f.resume {
			return errors.New("--init starts a new run; it cannot be combined with --resume")
		}
		mf, err := weights.Read(f.init)
		if err != nil {
			return badInput(fmt.Errorf("--init: %s", err))
		}
		mc, err := trainer.ConfigOf(mf)
		if err != nil {
			return badInput(fmt.Errorf("--init %s: %s", f.init, err))
		}
		if !archChanged {
			cfg = mc
		}
		if !changed("lambda") {
			f.lambda = mf.Meta.Lambda // the λ it was trained at (its gains' reference)
		}
	}
	if f.resume {
		// The checkpoint's settings stand unless a flag says otherwise.
		dir, err := trainer.FindCheckpoint(f.out)
		if err != nil {
			return badInput(err)
		}
		meta, err := trainer.ReadCheckpointMeta(dir)
		if err != nil {
			return badInput(err)
		}
		if !archChanged {
			cfg = meta.Config
		}
		if !changed("lambda") {
			f.lambda = meta.RunLambda()
		}
		if !changed("ce-weight") {
			f.ceWeight = meta.RunCEWeight()
		}
		if !changed("seed") {
			f.seed = meta.Run.Seed
		}
		if !changed("batch") {
			f.batch = meta.Run.Batch
		}
		if !changed("crop") {
			f.crop = meta.Run.Crop
		}
	}
	if f.mSemantic != 0 {
		cfg.MSemantic = f.mSemantic
	}
	if changed("quality") {
		if changed("lambda") {
			return errors.New("--quality sets λ from the shipped table; give --lambda or --quality, not both")
		}
		if f.lambda, err = zoo.Lambda(f.quality); err != nil {
			return err
		}
	}
	if changed("gain-levels") {
		if changed("gain-lambdas") || f.gainLevels < 2 || f.gainLevels > len(zoo.Lambdas) {
			return fmt.Errorf("--gain-levels %d: want 2..%d, without --gain-lambdas", f.gainLevels, len(zoo.Lambdas))
		}
		f.gainLambdas = zoo.Lambdas[:f.gainLevels]
	}
	if changed("gain-lambdas") || changed("gain-levels") {
		cfg.GainLambdas = slices.Clone(f.gainLambdas)
	}
	be, err := newBackend(f.backend)
	if err != nil {
		return err
	}
	specs := trainer.SplitSpecs(f.data)
	data, err := trainer.OpenData(specs)
	if err != nil {
		return badInput(err)
	}
	var val trainer.Source
	if f.val != "" {
		if val, err = trainer.OpenData(trainer.SplitSpecs(f.val)); err != nil {
			return badInput(err)
		}
	}
	stderr := cmd.ErrOrStderr()
	opts := trainer.Options{
		Config: cfg, Lambda: f.lambda, CEWeight: f.ceWeight, Steps: f.steps, Batch: f.batch, Crop: f.crop, Seed: f.seed,
		LearningRate: f.lr, AuxLearningRate: f.auxLR, DecayFraction: f.decayFrac, ClipNorm: f.clipNorm,
		OutDir: f.out, Resume: f.resume, Init: f.init, CkptEvery: f.ckptEvery, Keep: f.keep,
		CheckpointState: f.ckptState, ShardBytes: shard,
		ValEvery: f.valEvery, ValImages: f.valImages, ValCrop: f.valCrop,
		Backend: be, Data: specs, Log: stderr,
	}
	if !f.quiet {
		if fd, ok := stderr.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(fd.Fd())) {
			opts.Progress = stderr
		} else {
			opts.StatusEvery = 10 // a log file, not a terminal: plain lines
		}
	}
	if !f.resume {
		// Refuse before the log below is truncated.
		if list, _ := trainer.ListCheckpoints(f.out); len(list) > 0 {
			return fmt.Errorf("%w: %s (pass --resume to continue it, or choose another --out)",
				trainer.ErrOutInUse, list[len(list)-1])
		}
	}
	if f.jsonLog != "" {
		// Not O_APPEND: a resumed run trims lines past its checkpoint.
		flags := os.O_RDWR | os.O_CREATE
		if !f.resume {
			flags |= os.O_TRUNC
		}
		lf, err := os.OpenFile(f.jsonLog, flags, 0o644)
		if err != nil {
			return err
		}
		defer lf.Close()
		if _, err := lf.Seek(0, io.SeekEnd); err != nil {
			return err
		}
		opts.JSONLog = lf
	}
	ctx, cancel := interruptContext(stderr)
	defer cancel()
	shown := f.lambda
	if shown == 0 {
		shown = trainer.DefaultLambda
	}
	lambdas := fmt.Sprintf("λ=%g", shown)
	if cfg.GainLevels() > 0 {
		lambdas = fmt.Sprintf("variable rate, λ %v", cfg.GainLambdas)
	}
	fmt.Fprintf(stderr, "training %s (%s) on %d images, batch %d×%d², steps to %d, backend %s\n",
		cfg.Name, lambdas, data.Len(), f.batch, f.crop, f.steps, be.Name())
	res, err := trainer.Train(ctx, data, val, opts)
	if err != nil {
		if isInputError(err) {
			return badInput(err)
		}
		return err
	}
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "trained steps %d..%d", res.StartStep, res.Step)
	if res.StepsPerSecond > 0 {
		fmt.Fprintf(out, " at %.3f steps/s", res.StepsPerSecond)
	}
	fmt.Fprintf(out, "\ncheckpoint: %s\n", res.Checkpoint)
	if res.Step > res.StartStep {
		fmt.Fprintf(out, "last step: loss %.4f, bpp %.4f, psnr %.2f dB, ce %.4f\n", res.Last.Loss, res.Last.BPP, res.Last.PSNR, res.Last.CE)
	}
	for _, v := range res.Val {
		fmt.Fprintf(out, "validation: %d images", v.Images)
		if v.Quality > 0 {
			fmt.Fprintf(out, ", quality %d", v.Quality)
		}
		fmt.Fprintf(out, ", psnr %.3f dB, bpp %.4f", v.PSNR, v.BPP)
		if v.MIoU != nil {
			fmt.Fprintf(out, ", miou %.4f", *v.MIoU)
		}
		fmt.Fprintln(out)
	}
	return nil
}

// interruptContext is cancelled by the first SIGINT or SIGTERM, which makes
// the trainer save a checkpoint and stop. A later signal exits at once
// (checkpoints are written atomically, so that is safe), except within two
// seconds of the first: GNU timeout signals both the command and its process
// group, so one timeout delivers two signals.
func interruptContext(stderr io.Writer) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		var first time.Time
		for {
			select {
			case <-sig:
			case <-ctx.Done():
				if first.IsZero() { // cancelled by the caller: done
					signal.Stop(sig)
					return
				}
				<-sig
			}
			if first.IsZero() {
				first = time.Now()
				fmt.Fprintln(stderr, "\ninterrupt: saving a checkpoint after this step (interrupt again to quit now)")
				cancel()
				continue
			}
			if time.Since(first) > 2*time.Second {
				fmt.Fprintln(stderr, "second interrupt: quitting without a checkpoint")
				os.Exit(130)
			}
		}
	}()
	return ctx, func() { signal.Stop(sig); cancel() }
}
