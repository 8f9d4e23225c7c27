package trainer

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/metrics"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/nn"
	"github.com/semcodec/semcodec/weights"
)

func shapeF32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }
func shapeI32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }

// valItem is a validation image cut to size, kept between passes.
type valItem struct {
	w, h   int
	images []float32
	labels []int32
}

// loadVal cuts the validation images: whole, or a center crop of side crop
// (never larger than the image).
func loadVal(src Source, limit, crop int) ([]valItem, error) {
	n := src.Len()
	if limit > 0 {
		n = min(n, limit)
	}
	items := make([]valItem, 0, n)
	for i := 0; i < n; i++ {
		img, lab, err := src.Load(i)
		if err != nil {
			return nil, fmt.Errorf("trainer: validation image %s: %w", src.Item(i).Name, err)
		}
		w, h := img.Rect.Dx(), img.Rect.Dy()
		x0, y0, cw, ch := 0, 0, w, h
		if crop > 0 {
			cw, ch = min(crop, w), min(crop, h)
			x0, y0 = (w-cw)/2, (h-ch)/2
		}
		it := valItem{w: cw, h: ch, images: make([]float32, cw*ch*3), labels: make([]int32, cw*ch)}
		for y := 0; y < ch; y++ {
			row := img.Pix[img.PixOffset(img.Rect.Min.X+x0, img.Rect.Min.Y+y0+y):]
			for x := 0; x < cw; x++ {
				o := y*cw + x
				it.images[3*o] = float32(row[4*x]) / 255
				it.images[3*o+1] = float32(row[4*x+1]) / 255
				it.images[3*o+2] = float32(row[4*x+2]) / 255
				it.labels[o] = -1
				if lab != nil {
					if v := lab[(y0+y)*w+x0+x]; v != ignoreByte {
						it.labels[o] = int32(v)
					}
				}
			}
		}
		items = append(items, it)
	}
	return items, nil
}

// evaluator runs the inference path (rounding, running BatchNorm
// statistics) on whole images one at a time and scores it: PSNR of x̂_e
// clipped and rounded to 8 bits, bpp from the likelihoods, CE and mIoU. It
// reads the variables but changes none. Training validates through it, and
// Evaluate runs it on a model file.
type evaluator struct {
	cfg   model.Config
	exec  *mlctx.Exec
	items []valItem
}

func newEvaluator(be backends.Backend, ctx *mlctx.Context, cfg model.Config) (*evaluator, error) {
	fn := func(ctx *mlctx.Context, images, labels, rate *graph.Node) []*graph.Node {
		out := forward(ctx, cfg, images, rate, false)
		// Score the picture a decoder would show: clipped and rounded to 8 bits.
		x := graph.DivScalar(graph.Round(graph.MulScalar(graph.ClipScalar(out.XHatEnh, 0, 1), 255)), 255)
		mse := graph.ReduceAllMean(graph.Square(graph.Sub(x, images)))
		ce := graph.ScalarZero(images.Graph(), images.DType())
		if cfg.Semantic {
			ce = model.CrossEntropy(out.Logits, labels)
		}
		return []*graph.Node{mse, out.BPP, ce, predictions(out, labels)}
	}
	exec, err := mlctx.NewExec(be, ctx, fn)
	if err != nil {
		return nil, err
	}
	exec.SetMaxCache(64) // images may come in several sizes
	return &evaluator{cfg: cfg, exec: exec}, nil
}

func (e *evaluator) close() { e.exec.Finalize() }

// all scores every rate level of a variable-rate network (one pass
// otherwise), at the given step.
func (e *evaluator) all(step int64) ([]*ValResult, error) {
	levels := e.cfg.GainLevels()
	var out []*ValResult
	for level := range max(levels, 1) {
		res, err := e.level(step, level)
		if err != nil {
			return nil, err
		}
		if levels > 0 {
			res.Quality = level + 1
		}
		out = append(out, res)
	}
	return out, nil
}

// validate scores the validation images (cut once) at every level and
// appends the results to the run's validation.jsonl.
func (s *session) validate(src Source, step int64) ([]*ValResult, error) {
	if s.eval.items == nil {
		items, err := loadVal(src, s.opts.ValImages, s.opts.ValCrop)
		if err != nil {
			return nil, err
		}
		s.eval.items = items
	}
	all, err := s.eval.all(step)
	if err != nil {
		return nil, err
	}
	var lines []byte
	for _, res := range all {
		line, _ := json.Marshal(res)
		lines = append(append(lines, line...), '\n')
	}
	f, err := os.OpenFile(s.valLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	_, err = f.Write(lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return all, err
}

// Evaluate scores a model file's network on the first limit images of src
// (0: all; whole images, or center crops of side crop) as training
// validates: PSNR of the 8-bit reconstruction, bpp from the likelihoods
// (the rate a file would have, within a few percent, without coding one),
// and CE and mIoU where src has labels; one result per rate level. It also
// measures models no bitstream can carry (training-only ablations).
func Evaluate(f *weights.File, be backends.Backend, src Source, limit, crop int, unquantized bool) ([]*ValResult, error) {
	ctx, cfg, err := ModelContext(f, be)
	if err != nil {
		return nil, err
	}
	if unquantized {
		ctx.SetParam(nn.ParamUnquantized, true)
	}
	e, err := newEvaluator(be, ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer e.close()
	if e.items, err = loadVal(src, limit, crop); err != nil {
		return nil, err
	}
	step, _ := strconv.ParseInt(f.Meta.Extra["step"], 10, 64) // 0 when unrecorded
	return e.all(step)
}

func (e *evaluator) level(step int64, level int) (*ValResult, error) {
	conf := metrics.NewConfusion(e.cfg.Classes)
	res := &ValResult{Step: step, Images: len(e.items)}
	labelled := false
	for _, it := range e.items {
		images := tensors.FromFlatDataAndDimensions(it.images, 1, it.h, it.w, 3)
		labels := tensors.FromFlatDataAndDimensions(it.labels, 1, it.h, it.w)
		rate := rateTensor([]int{level}, e.cfg.GainLevels())
		outs, err := e.exec.Exec(images, labels, rate)
		images.FinalizeAll()
		labels.FinalizeAll()
		rate.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("trainer: validation: %w", err)
		}
		res.PSNR += psnrOf(scalar(outs[0]))
		res.BPP += scalar(outs[1])
		res.CE += scalar(outs[2])
		if e.cfg.Semantic {
			preds, err := tensors.CopyFlatData[int32](outs[3])
			if err != nil {
				finalize(outs)
				return nil, err
			}
			if err := conf.Add(preds, it.labels); err != nil {
				finalize(outs)
				return nil, err
			}
			for _, v := range it.labels {
				if v >= 0 {
					labelled = true
					break
				}
			}
		}
		finalize(outs)
	}
	if n := float64(len(e.items)); n > 0 {
		res.PSNR, res.BPP, res.CE = res.PSNR/n, res.BPP/n, res.CE/n
	}
	if labelled {
		m := conf.MeanIoU()
		res.MIoU = &m
	}
	return res, nil
}
