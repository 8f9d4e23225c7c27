package eval

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/semcodec/semcodec/dataset"
	"github.com/semcodec/semcodec/metrics"
)

// Segmenter predicts a label map for an image: the segmentation network run
// on the uncompressed input, which bounds what any bitstream can give.
type Segmenter interface {
	NumClasses() int
	// Segment returns one label per pixel, with img's size.
	Segment(img *image.RGBA) (*image.Gray, error)
}

// SemanticCodec is a Codec whose single bitstream also carries the image's
// semantic segmentation.
type SemanticCodec interface {
	Codec
	NumClasses() int
	// DecodeWithLabels rebuilds both the image and the label map.
	DecodeWithLabels(data []byte) (*image.RGBA, *image.Gray, error)
	// DecodeLabels rebuilds only the label map (seg-only decoding); it must
	// give the same labels as DecodeWithLabels.
	DecodeLabels(data []byte) (*image.Gray, error)
}

// Dataset layouts understood by ListSegmentation.
const (
	LayoutCamVid     = "camvid"     // DIR/SPLIT/X.png with DIR/SPLITannot/X.png
	LayoutCityscapes = "cityscapes" // DIR/leftImg8bit/SPLIT/CITY/*_leftImg8bit.png with gtFine labelTrainIds
)

// ListSegmentation lists the labelled images of a split in dir, in either
// layout, sorted by image path, through package dataset (the trainer's
// listing, with the same label rules: CamVid void, Cityscapes labelIds
// mapped to trainIds when the trainIds files are absent).
func ListSegmentation(dir, split string) ([]dataset.Sample, string, error) {
	if split == "" || strings.ContainsAny(split, `/\`) || split == "." || split == ".." {
		return nil, "", fmt.Errorf("eval: bad split name %q", split)
	}
	layout := LayoutCamVid
	if st, err := os.Stat(filepath.Join(dir, "leftImg8bit")); err == nil && st.IsDir() {
		layout = LayoutCityscapes
	}
	samples, err := dataset.List(layout + ":" + dir + ":" + split)
	if errors.Is(err, dataset.ErrEmpty) {
		return nil, "", fmt.Errorf("%w for split %s in %s: %v", ErrNoImages, split, dir, err)
	}
	if err != nil {
		return nil, "", err
	}
	for _, s := range samples {
		if s.Label == "" {
			return nil, "", fmt.Errorf("eval: %s has no label map", s.Image)
		}
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i].Image < samples[j].Image })
	return samples, layout, nil
}

// truthMap turns dataset labels into a label image, dataset.Ignore as 255
// (outside every class, so not counted).
func truthMap(labels []int32, b image.Rectangle) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for i, v := range labels {
		if v == dataset.Ignore {
			g.Pix[i] = 255
		} else {
			g.Pix[i] = uint8(v)
		}
	}
	return g
}

// SegmentationConfig says what RunSegmentation measures.
type SegmentationConfig struct {
	Pairs      []dataset.Sample
	NumClasses int
	// Codec, when set, is measured at each of Qualities (its default grid
	// when empty).
	Codec     SemanticCodec
	Qualities []int
	// Segmenter, when set, gives the uncompressed upper bound. When nil
	// and Codec implements Segmenter, Codec is used.
	Segmenter Segmenter
	// Categories adds Cityscapes category IoU (needs 19 classes).
	Categories bool
	Progress   func(done, total int)
}

// SegScores summarises a confusion matrix.
type SegScores struct {
	MeanIoU       float64
	PixelAccuracy float64
	IoU           []float64 // per class; NaN for a class absent from truth and predictions
	CategoryIoU   []float64 // Cityscapes categories, when asked for
	Pixels        int64     // labelled pixels counted
}

// MarshalJSON writes NaN as null.
func (s SegScores) MarshalJSON() ([]byte, error) {
	type out struct {
		MeanIoU       *float64 `json:"miou"`
		PixelAccuracy *float64 `json:"pixel_accuracy"`
		IoU           nullable `json:"iou"`
		CategoryIoU   nullable `json:"cat_iou,omitempty"`
		MeanCatIoU    *float64 `json:"mean_cat_iou,omitempty"`
		Pixels        int64    `json:"labelled_pixels"`
	}
	o := out{MeanIoU: finite(s.MeanIoU), PixelAccuracy: finite(s.PixelAccuracy), IoU: s.IoU, CategoryIoU: s.CategoryIoU, Pixels: s.Pixels}
	if len(s.CategoryIoU) > 0 {
		o.MeanCatIoU = finite(metrics.NaNMean(s.CategoryIoU))
	}
	return json.Marshal(o)
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// SegPoint is the codec at one quality.
type SegPoint struct {
	Quality           int
	BPP, PSNR, MSSSIM float64 // means over images
	Decoded           SegScores
	SegOnly           SegScores
	// SegOnlyMismatch counts pixels where seg-only decoding disagrees with
	// full decoding; it must be 0.
	SegOnlyMismatch int64
}

// MarshalJSON writes non-finite values as null.
func (p SegPoint) MarshalJSON() ([]byte, error) {
	type out struct {
		Quality         int       `json:"quality"`
		BPP             *float64  `json:"bpp"`
		PSNR            *float64  `json:"psnr-rgb"`
		MSSSIM          *float64  `json:"ms-ssim-rgb"`
		Decoded         SegScores `json:"decoded"`
		SegOnly         SegScores `json:"seg_only"`
		SegOnlyMismatch int64     `json:"seg_only_mismatched_pixels"`
	}
	return json.Marshal(out{p.Quality, finite(p.BPP), finite(p.PSNR), finite(p.MSSSIM), p.Decoded, p.SegOnly, p.SegOnlyMismatch})
}

// SegmentationReport is the outcome of RunSegmentation.
type SegmentationReport struct {
	Images     int        `json:"images"`
	UpperBound *SegScores `json:"upper_bound,omitempty"`
	Points     []SegPoint `json:"points"`
}

// labelScorer accumulates one confusion matrix.
type labelScorer struct {
	conf *metrics.Confusion
	cats bool
}

func (s *labelScorer) add(pred, truth *image.Gray) error {
	pb, tb := pred.Bounds(), truth.Bounds()
	if pb.Dx() != tb.Dx() || pb.Dy() != tb.Dy() {
		return fmt.Errorf("%w: labels %dx%d, ground truth %dx%d", ErrSizeMismatch, pb.Dx(), pb.Dy(), tb.Dx(), tb.Dy())
	}
	return s.conf.Add(grayToInt32(pred), grayToInt32(truth))
}

func (s *labelScorer) scores() (SegScores, error) {
	out := SegScores{MeanIoU: s.conf.MeanIoU(), PixelAccuracy: s.conf.PixelAccuracy(), IoU: s.conf.IoU(), Pixels: s.conf.Total()}
	if s.cats {
		c, err := metrics.CityscapesCategoryIoU(s.conf)
		if err != nil {
			return SegScores{}, err
		}
		out.CategoryIoU = c
	}
	return out, nil
}

func grayToInt32(g *image.Gray) []int32 {
	b := g.Bounds()
	out := make([]int32, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for _, v := range g.Pix[g.PixOffset(b.Min.X, y):][:b.Dx()] {
			out = append(out, int32(v))
		}
	}
	return out
}

// countDiff returns the number of pixels where a and b differ (all of them
// when the sizes differ).
func countDiff(a, b *image.Gray) int64 {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Dx() != bb.Dx() || ab.Dy() != bb.Dy() {
		return int64(max(ab.Dx()*ab.Dy(), bb.Dx()*bb.Dy()))
	}
	var n int64
	for y := 0; y < ab.Dy(); y++ {
		ra := a.Pix[a.PixOffset(ab.Min.X, ab.Min.Y+y):][:ab.Dx()]
		rb := b.Pix[b.PixOffset(bb.Min.X, bb.Min.Y+y):][:ab.Dx()]
		for x := range ra {
			if ra[x] != rb[x] {
				n++
			}
		}
	}
	return n
}

// RunSegmentation scores segmentations over a labelled data set: the
// upper bound on uncompressed input, then the labels decoded from the
// codec's bitstream at each quality, both by full and by seg-only decoding.
func RunSegmentation(ctx context.Context, cfg SegmentationConfig) (*SegmentationReport, error) {
	if len(cfg.Pairs) == 0 {
		return nil, ErrNoImages
	}
	if cfg.NumClasses < 1 {
		return nil, fmt.Errorf("eval: segmentation needs at least one class, got %d", cfg.NumClasses)
	}
	seg := cfg.Segmenter
	if seg == nil && cfg.Codec != nil {
		seg, _ = cfg.Codec.(Segmenter)
	}
	if seg == nil && cfg.Codec == nil {
		return nil, errors.New("eval: segmentation evaluation needs a segmenter or a semantic codec")
	}
	for _, n := range []interface{ NumClasses() int }{seg, cfg.Codec} {
		if n != nil && n.NumClasses() != cfg.NumClasses {
			return nil, fmt.Errorf("eval: model predicts %d classes, data set has %d", n.NumClasses(), cfg.NumClasses)
		}
	}
	var qualities []int
	if cfg.Codec != nil {
		qualities = grid(cfg.Codec, Options{Qualities: cfg.Qualities})
	}
	newScorer := func() *labelScorer {
		return &labelScorer{conf: metrics.NewConfusion(cfg.NumClasses), cats: cfg.Categories}
	}
	var upper *labelScorer
	if seg != nil {
		upper = newScorer()
	}
	decoded := make([]*labelScorer, len(qualities))
	segOnly := make([]*labelScorer, len(qualities))
	points := make([]SegPoint, len(qualities))
	for i, q := range qualities {
		decoded[i], segOnly[i] = newScorer(), newScorer()
		points[i].Quality = q
	}
	total := len(cfg.Pairs) * (len(qualities) + btoi(seg != nil))
	done := 0
	step := func() {
		done++
		if cfg.Progress != nil {
			cfg.Progress(done, total)
		}
	}
	for _, p := range cfg.Pairs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		img, labels, err := p.Load()
		if errors.Is(err, dataset.ErrSizeMismatch) {
			return nil, fmt.Errorf("%w: %v", ErrSizeMismatch, err)
		}
		if err != nil {
			return nil, err
		}
		name := filepath.Base(p.Image)
		truth := truthMap(labels, img.Bounds())
		if seg != nil {
			pred, err := seg.Segment(img)
			if err != nil {
				return nil, fmt.Errorf("eval: segment %s: %w", name, err)
			}
			if err := upper.add(pred, truth); err != nil {
				return nil, fmt.Errorf("eval: %s: %w", name, err)
			}
			step()
		}
		for i, q := range qualities {
			c := cfg.Codec
			wrap := func(op string, err error) error {
				return &CodecError{Codec: c.Name(), Quality: q, Image: name, Op: op, Err: err}
			}
			data, err := c.Encode(img, q)
			if err != nil {
				return nil, wrap("encode", err)
			}
			dec, labels, err := c.DecodeWithLabels(data)
			if err != nil {
				return nil, wrap("decode", err)
			}
			only, err := c.DecodeLabels(data)
			if err != nil {
				return nil, wrap("seg-only decode", err)
			}
			if err := decoded[i].add(labels, truth); err != nil {
				return nil, wrap("score", err)
			}
			if err := segOnly[i].add(only, truth); err != nil {
				return nil, wrap("score", err)
			}
			points[i].SegOnlyMismatch += countDiff(labels, only)
			m, err := metrics.CompareImages(img, dec)
			if err != nil {
				return nil, wrap("score", err)
			}
			b := img.Bounds()
			n := float64(len(cfg.Pairs))
			points[i].BPP += metrics.BPP(int64(len(data)), b.Dx(), b.Dy()) / n
			points[i].PSNR += m.PSNR / n
			points[i].MSSSIM += m.MSSSIM / n
			step()
		}
	}
	rep := &SegmentationReport{Images: len(cfg.Pairs), Points: points}
	if upper != nil {
		s, err := upper.scores()
		if err != nil {
			return nil, err
		}
		rep.UpperBound = &s
	}
	for i := range points {
		var err error
		if points[i].Decoded, err = decoded[i].scores(); err != nil {
			return nil, err
		}
		if points[i].SegOnly, err = segOnly[i].scores(); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
