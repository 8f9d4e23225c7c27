package zoo

import (
	"bytes"
	"fmt"
	"image"
	"io/fs"
	"testing"

	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
	"github.com/semcodec/semcodec/metrics"
)

// TestShippedFamilyOnKodak checks the shipped models on a real Kodak image
// at every quality: the file decodes to the right size, segmentation-only
// decoding gives the full decode's label map, the coded payload stays near
// the model's own estimate from the likelihoods (within 2%, plus the 4 bytes
// each of the three rANS streams flushes), and PSNR and rate stay at their
// floors (familyFloors).
func TestShippedFamilyOnKodak(t *testing.T) {
	qs := codec.DefaultQualities()
	if len(qs) < 4 {
		t.Fatalf("the shipped family has %d quality levels, want at least 4", len(qs))
	}
	if testing.Short() {
		t.Skip("runs the shipped network at every quality")
	}
	img, err := imageio.ReadImage(shareddata.Path(t, "data", "kodak", "kodim23.png"))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	prevBytes := 0
	for _, q := range qs {
		m, err := codec.DefaultModel(q)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := codec.Encode(&buf, img, &codec.Options{Quality: float64(q)}); err != nil {
			t.Fatalf("q%d: encode: %v", q, err)
		}
		f, err := bitstream.Read(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("q%d: %v", q, err)
		}
		payload := float64(len(f.Hyper) + len(f.Semantic) + len(f.Image))
		bits, err := m.EstimateBitsAt(img, float64(q))
		if err != nil {
			t.Fatal(err)
		}
		est := bits / 8
		if d := payload - est; d > 0.02*est+12 || d < -0.02*est {
			t.Errorf("q%d: payload %.0f bytes vs estimate %.1f (%+.2f%%)", q, payload, est, 100*(payload/est-1))
		}
		if buf.Len() <= prevBytes {
			// The compact family (fixed-rate files trained apart) did not
			// always rise; a variable-rate model must.
			report := t.Logf
			if m.Levels() > 0 {
				report = t.Errorf
			}
			report("q%d: %d bytes, not more than the level below (%d)", q, buf.Len(), prevBytes)
		}
		prevBytes = buf.Len()

		dec, err := codec.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("q%d: decode: %v", q, err)
		}
		if dec.Image.Bounds() != image.Rect(0, 0, b.Dx(), b.Dy()) {
			t.Fatalf("q%d: decoded bounds %v", q, dec.Image.Bounds())
		}
		psnr, err := metrics.PSNR(img, dec.Image)
		if err != nil {
			t.Fatal(err)
		}
		seg, err := codec.DecodeSegmentation(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("q%d: seg-only: %v", q, err)
		}
		if !bytes.Equal(seg.Map.Pix, dec.Segmentation.Map.Pix) {
			t.Errorf("q%d: seg-only map differs from the full decode's", q)
		}
		bpp := metrics.BPP(int64(buf.Len()), b.Dx(), b.Dy())
		t.Logf("q%d: %d bytes, %.4f bpp, PSNR %.2f dB, payload %+.2f%% vs estimate", q, buf.Len(),
			bpp, psnr, 100*(payload/est-1))
		fl, ok := familyFloors[fmt.Sprintf("%s/q%d", m.Name(), q)]
		if !ok {
			t.Errorf("q%d: no regression floor for the shipped %s: add its measured figures to familyFloors", q, m.Name())
			continue
		}
		if psnr < fl.minPSNR || bpp > fl.maxBPP {
			t.Errorf("q%d: %.2f dB at %.4f bpp on kodim23; the shipped model gave at least %.2f dB at no more than %.4f bpp",
				q, psnr, bpp, fl.minPSNR, fl.maxBPP)
		}
	}
}

// familyFloors holds, per shipped model and quality, what kodim23 must
// still give: PSNR 0.3 dB below and a rate 3% above the figures measured
// when the model was shipped (2026-12-06, fifth session, `go test ./zoo -run
// TestShippedFamilyOnKodak -v`). A change that loses quality or spends more
// bits fails here.
var familyFloors = map[string]struct{ minPSNR, maxBPP float64 }{
	"semcodec-small/q1": {25.93 - 0.3, 0.1317 * 1.03},
	"semcodec-small/q2": {27.33 - 0.3, 0.1738 * 1.03},
	"semcodec-small/q3": {28.41 - 0.3, 0.2240 * 1.03},
	"semcodec-small/q4": {29.18 - 0.3, 0.2830 * 1.03},
	"semcodec-small/q5": {29.65 - 0.3, 0.3541 * 1.03},
	"semcodec-small/q6": {30.03 - 0.3, 0.4426 * 1.03},
	"semcodec-small/q7": {30.27 - 0.3, 0.5488 * 1.03},
	"semcodec-small/q8": {30.41 - 0.3, 0.6858 * 1.03},
}

// TestLegacyModelsDecode: files made with an earlier default still decode
// without naming a model, to what that model decodes them to.
func TestLegacyModelsDecode(t *testing.T) {
	names, err := fs.Glob(models, "models/legacy/*.smw")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Skip("no earlier default is shipped")
	}
	img := imageio.ToRGB(image.NewRGBA(image.Rect(0, 0, 96, 64)))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	for _, name := range names {
		data, err := fs.ReadFile(models, name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := codec.ParseModel(data)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := codec.Encode(&buf, img, &codec.Options{Model: m}); err != nil {
			t.Fatal(err)
		}
		got, err := codec.Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, err := (&codec.Decoder{Models: []*codec.Model{m}}).Decode(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Image.Pix, want.Image.Pix) {
			t.Errorf("%s: the default decoder's image differs from the model's", name)
		}
	}
}

func TestLambda(t *testing.T) {
	if l, err := Lambda(4); err != nil || l != 0.013 {
		t.Errorf("Lambda(4) = %g, %v", l, err)
	}
	for _, q := range []int{0, 9} {
		if _, err := Lambda(q); err == nil {
			t.Errorf("Lambda(%d) accepted", q)
		}
	}
}
