package eval

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

const camvidClasses = 11

// threshold is a trivial deterministic segmenter: three classes by
// brightness.
type threshold struct{}

func (threshold) NumClasses() int { return camvidClasses }

func (threshold) Segment(img *image.RGBA) (*image.Gray, error) {
	b := img.Bounds()
	out := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			c := img.RGBAAt(b.Min.X+x, b.Min.Y+y)
			l := (int(c.R) + int(c.G) + int(c.B)) / 3
			switch {
			case l < 90:
				out.Pix[y*out.Stride+x] = 0
			case l < 160:
				out.Pix[y*out.Stride+x] = 1
			default:
				out.Pix[y*out.Stride+x] = 2
			}
		}
	}
	return out, nil
}

// jpegSeg is a stand-in semantic codec: JPEG for the picture, and labels
// computed from the decoded picture. shiftSegOnly breaks seg-only decoding.
type jpegSeg struct {
	goJPEG
	threshold
	shiftSegOnly bool
}

func (c jpegSeg) DecodeWithLabels(data []byte) (*image.RGBA, *image.Gray, error) {
	img, err := c.Decode(data)
	if err != nil {
		return nil, nil, err
	}
	l, err := c.Segment(img)
	return img, l, err
}

func (c jpegSeg) DecodeLabels(data []byte) (*image.Gray, error) {
	_, l, err := c.DecodeWithLabels(data)
	if err == nil && c.shiftSegOnly {
		l.Pix[0] = (l.Pix[0] + 1) % 3
	}
	return l, err
}

// camvidFixture writes a CamVid-layout split whose labels are the
// threshold segmentation of the images, with a void (11) band.
func camvidFixture(t *testing.T) string {
	t.Helper()
	_, crops := kodakCrops(t, 2, 192, 176)
	root := t.TempDir()
	for _, d := range []string{"val", "valannot"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range crops {
		img, err := imageio.ReadImage(p)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := threshold{}.Segment(img)
		for x := 0; x < l.Rect.Dx(); x++ {
			l.Pix[x] = 11 // first row is void
		}
		name := filepath.Base(p)
		if err := imageio.WritePNG(filepath.Join(root, "val", name), img); err != nil {
			t.Fatal(err)
		}
		if err := imageio.WriteLabels(filepath.Join(root, "valannot", name), l); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSegmentationScores(t *testing.T) {
	root := camvidFixture(t)
	pairs, layout, err := ListSegmentation(root, "val")
	if err != nil || layout != LayoutCamVid || len(pairs) != 2 {
		t.Fatalf("ListSegmentation = %v, %q, %v", pairs, layout, err)
	}
	qs := []int{5, 90}
	var calls int
	rep, err := RunSegmentation(context.Background(), SegmentationConfig{
		Pairs: pairs, NumClasses: camvidClasses, Codec: jpegSeg{}, Qualities: qs,
		Progress: func(done, total int) { calls++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 2*(len(qs)+1) {
		t.Errorf("progress called %d times", calls)
	}
	// The codec is its own segmenter: on uncompressed input it reproduces
	// the labels exactly. Void pixels are not counted.
	u := rep.UpperBound
	if u == nil || u.MeanIoU != 1 || u.PixelAccuracy != 1 || u.Pixels != 2*175*192 {
		t.Fatalf("upper bound %+v", u)
	}
	if !math.IsNaN(u.IoU[5]) || u.IoU[0] != 1 {
		t.Errorf("per-class IoU %v: absent classes must be NaN", u.IoU)
	}
	// Recompute the decoded pixel accuracy outside the harness.
	for i, q := range qs {
		var right, total int
		for _, p := range pairs {
			img, _ := imageio.ReadImage(p.Image)
			truth, _ := imageio.ReadLabels(p.Label)
			data, _ := goJPEG{}.Encode(img, q)
			dec, _ := goJPEG{}.Decode(data)
			pred, _ := threshold{}.Segment(dec)
			for j, v := range truth.Pix {
				if v < camvidClasses {
					total++
					if pred.Pix[j] == v {
						right++
					}
				}
			}
		}
		pt := rep.Points[i]
		if want := float64(right) / float64(total); math.Abs(pt.Decoded.PixelAccuracy-want) > 1e-12 {
			t.Errorf("q%d: pixel accuracy %v, recomputed %v", q, pt.Decoded.PixelAccuracy, want)
		}
		if pt.SegOnlyMismatch != 0 || pt.SegOnly.MeanIoU != pt.Decoded.MeanIoU {
			t.Errorf("q%d: seg-only differs: %+v", q, pt)
		}
		if pt.BPP <= 0 || pt.PSNR < 15 || pt.Decoded.PixelAccuracy >= 1 {
			t.Errorf("q%d: implausible point %+v", q, pt)
		}
	}
	if !(rep.Points[1].Decoded.MeanIoU > rep.Points[0].Decoded.MeanIoU) {
		t.Errorf("mIoU should grow with quality: %v then %v", rep.Points[0].Decoded.MeanIoU, rep.Points[1].Decoded.MeanIoU)
	}

	rep, err = RunSegmentation(context.Background(), SegmentationConfig{
		Pairs: pairs, NumClasses: camvidClasses, Codec: jpegSeg{shiftSegOnly: true}, Qualities: []int{50},
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Points[0].SegOnlyMismatch != 2 {
		t.Errorf("broken seg-only decoding: %d mismatched pixels, want 2", rep.Points[0].SegOnlyMismatch)
	}
}

func TestSegmentationErrors(t *testing.T) {
	root := camvidFixture(t)
	pairs, _, err := ListSegmentation(root, "val")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := RunSegmentation(ctx, SegmentationConfig{Pairs: pairs, NumClasses: camvidClasses}); err == nil {
		t.Error("no model accepted")
	}
	if _, err := RunSegmentation(ctx, SegmentationConfig{Pairs: pairs, NumClasses: 19, Segmenter: threshold{}}); err == nil ||
		!strings.Contains(err.Error(), "11 classes") {
		t.Errorf("class count mismatch: %v", err)
	}
	if _, err := RunSegmentation(ctx, SegmentationConfig{NumClasses: 11, Segmenter: threshold{}}); !errors.Is(err, ErrNoImages) {
		t.Errorf("no pairs: %v", err)
	}
	// Labels of another size than their image.
	small := image.NewGray(image.Rect(0, 0, 10, 10))
	if err := imageio.WriteLabels(pairs[0].Label, small); err != nil {
		t.Fatal(err)
	}
	if _, err := RunSegmentation(ctx, SegmentationConfig{Pairs: pairs, NumClasses: 11, Segmenter: threshold{}}); !errors.Is(err, ErrSizeMismatch) {
		t.Errorf("size mismatch: %v", err)
	}
	// Missing labels and bad split names are caught when listing.
	os.Remove(pairs[1].Label)
	if _, _, err := ListSegmentation(root, "val"); err == nil {
		t.Error("missing label file accepted")
	}
	for _, split := range []string{"", "..", "a/b"} {
		if _, _, err := ListSegmentation(root, split); err == nil {
			t.Errorf("split %q accepted", split)
		}
	}
}

// oracle returns the ground truth it was built with.
type oracle struct{ labels *image.Gray }

func (oracle) NumClasses() int                            { return 19 }
func (o oracle) Segment(*image.RGBA) (*image.Gray, error) { return o.labels, nil }

func TestSegmentationCityscapesLayout(t *testing.T) {
	root := shareddata.Path(t, "data", "cityscapes_sample")
	pairs, layout, err := ListSegmentation(root, "val")
	if err != nil || layout != LayoutCityscapes || len(pairs) != 1 || !strings.HasSuffix(pairs[0].Label, "_gtFine_labelTrainIds.png") {
		t.Fatalf("ListSegmentation = %v, %q, %v", pairs, layout, err)
	}
	truth, err := imageio.ReadLabels(pairs[0].Label)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunSegmentation(context.Background(), SegmentationConfig{
		Pairs: pairs, NumClasses: 19, Segmenter: oracle{truth}, Categories: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	u := rep.UpperBound
	if u.MeanIoU != 1 || len(u.CategoryIoU) != 7 || len(rep.Points) != 0 {
		t.Errorf("oracle scores %+v", u)
	}
	for _, v := range u.CategoryIoU {
		if !math.IsNaN(v) && v != 1 {
			t.Errorf("category IoU %v", u.CategoryIoU)
		}
	}
}
