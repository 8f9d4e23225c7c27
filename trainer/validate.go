package trainer

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/metrics"
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

// validate runs the inference path (rounding, running BatchNorm statistics)
// on the validation images one at a time, at every rate level of a
// variable-rate network (one pass otherwise). It reads the variables but
// changes none, so it never alters the training trajectory.
func (s *session) validate(src Source, step int64) ([]*ValResult, error) {
	if s.valItems == nil {
		items, err := loadVal(src, s.opts.ValImages, s.opts.ValCrop)
		if err != nil {
			return nil, err
		}
		s.valItems = items
	}
	levels := s.cfg.GainLevels()
	var all []*ValResult
	for level := range max(levels, 1) {
		res, err := s.validateLevel(step, level)
		if err != nil {
			return nil, err
		}
		if levels > 0 {
			res.Quality = level + 1
		}
		all = append(all, res)
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

func (s *session) validateLevel(step int64, level int) (*ValResult, error) {
	conf := metrics.NewConfusion(s.cfg.Classes)
	res := &ValResult{Step: step, Images: len(s.valItems)}
	labelled := false
	for _, it := range s.valItems {
		images := tensors.FromFlatDataAndDimensions(it.images, 1, it.h, it.w, 3)
		labels := tensors.FromFlatDataAndDimensions(it.labels, 1, it.h, it.w)
		rate := rateTensor([]int{level}, s.cfg.GainLevels())
		outs, err := s.evalEx.Exec(images, labels, rate)
		images.FinalizeAll()
		labels.FinalizeAll()
		rate.FinalizeAll()
		if err != nil {
			return nil, fmt.Errorf("trainer: validation: %w", err)
		}
		res.PSNR += psnrOf(scalar(outs[0]))
		res.BPP += scalar(outs[1])
		res.CE += scalar(outs[2])
		if s.cfg.Semantic {
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
	if n := float64(len(s.valItems)); n > 0 {
		res.PSNR, res.BPP, res.CE = res.PSNR/n, res.BPP/n, res.CE/n
	}
	if labelled {
		m := conf.MeanIoU()
		res.MIoU = &m
	}
	return res, nil
}
