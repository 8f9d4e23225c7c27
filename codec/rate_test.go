package codec

import (
	"bytes"
	"errors"
	"math"
	"sync"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/model"
)

var variableModel = sync.OnceValues(func() (*Model, error) {
	cfg, err := model.ConfigByName("tiny")
	if err != nil {
		return nil, err
	}
	cfg.GainLambdas = []float64{0.0035, 0.013, 0.05}
	f, err := exportTestModel(cfg, "semcodec-test-tiny-vr", 1)
	if err != nil {
		return nil, err
	}
	return NewModel(f)
})

// TestVariableRate codes one image at whole and fractional qualities of a
// variable-rate model: the file stores the quality, the rate rises with it,
// and the decoder rebuilds what the network itself computes at that rate.
func TestVariableRate(t *testing.T) {
	m, err := variableModel()
	if err != nil {
		t.Fatal(err)
	}
	if m.Levels() != 3 {
		t.Fatalf("Levels() = %d, want 3", m.Levels())
	}
	img, err := imageio.ReadImage("../testdata/kodim23_crop.png")
	if err != nil {
		t.Fatal(err)
	}
	be, err := sharedBackend()
	if err != nil {
		t.Fatal(err)
	}
	// The network's own reconstruction at a given rate, in float.
	x := imageio.ToFloat32(imageio.ToRGB(img))
	b := img.Bounds()
	reference := context.MustNewExec(be, m.ctx.Reuse(), func(ctx *context.Context, x, rate *graph.Node) *graph.Node {
		return model.ForwardRate(ctx, m.cfg, x, rate, false).XHatEnh
	})
	prev := 0
	for _, q := range []float64{1, 1.5, 2, 2.25, 3} {
		var buf bytes.Buffer
		if err := Encode(&buf, img, &Options{Model: m, Quality: q}); err != nil {
			t.Fatalf("q %g: %v", q, err)
		}
		d, err := (&Decoder{Models: []*Model{m}}).Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("q %g: %v", q, err)
		}
		if d.Config.Quality != q || d.Config.FormatVersion != bitstream.Version {
			t.Errorf("q %g: file says quality %g, version %d", q, d.Config.Quality, d.Config.FormatVersion)
		}
		if buf.Len() <= prev {
			t.Errorf("q %g: %d bytes, not more than the lower quality's %d", q, buf.Len(), prev)
		}
		prev = buf.Len()
		r, err := m.rateFor(q)
		if err != nil {
			t.Fatal(err)
		}
		out, err := reference.Exec(tensors.FromFlatDataAndDimensions(x, 1, b.Dy(), b.Dx(), 3),
			tensors.FromFlatDataAndDimensions(r.weights(m.Levels()), 1, m.Levels()))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := tensors.CopyFlatData[float32](out[0])
		if err != nil {
			t.Fatal(err)
		}
		// The decoder applies the file's colour transform to the network's picture.
		wantImg := imageio.FromFloat32(ref, b.Dx(), b.Dy())
		f, err := bitstream.Read(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		parseColour(f.Image).apply(wantImg)
		var sum float64
		for i := range wantImg.Pix {
			sum += math.Abs(float64(wantImg.Pix[i]) - float64(d.Image.Pix[i]))
		}
		if mad := sum / float64(len(wantImg.Pix)); mad > 0.5 {
			t.Errorf("q %g: decoded image differs from the network's by %.3f levels on average", q, mad)
		}
		t.Logf("q %g: %d bytes", q, buf.Len())
	}
	for _, q := range []float64{0.5, 3.5, math.NaN()} {
		if err := Encode(&bytes.Buffer{}, img, &Options{Model: m, Quality: q}); !errors.Is(err, ErrQuality) {
			t.Errorf("q %g: %v, want ErrQuality", q, err)
		}
	}
}
