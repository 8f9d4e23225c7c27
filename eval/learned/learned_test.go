package learned

import (
	"bytes"
	"context"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/eval"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

func TestRegistered(t *testing.T) {
	for _, n := range []string{Name, PlainName} {
		if !slices.Contains(eval.Names(), n) {
			t.Errorf("%s is not registered", n)
		}
	}
	for _, n := range []string{Name, PlainName} {
		c, err := eval.New(n, eval.Options{})
		if len(codec.DefaultQualities()) == 0 {
			var un *eval.UnavailableError
			if !errors.As(err, &un) || un.Codec != n || !strings.Contains(un.Reason, "--model") {
				t.Errorf("%s without models: got %v, want an UnavailableError pointing at --model", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s with the embedded models: %v", n, err)
		}
		if !slices.Equal(c.Qualities(), codec.DefaultQualities()) {
			t.Errorf("%s qualities %v, embedded %v", n, c.Qualities(), codec.DefaultQualities())
		}
	}
}

func TestMissingModelIsUnavailable(t *testing.T) {
	for _, spec := range []string{filepath.Join(t.TempDir(), "none.smw"), t.TempDir(), filepath.Join(t.TempDir(), "*.smw")} {
		_, err := eval.New(Name, eval.Options{Model: spec})
		var un *eval.UnavailableError
		if !errors.As(err, &un) || !strings.Contains(un.Reason, "--model") || strings.HasPrefix(un.Reason, "learned:") {
			t.Errorf("--model %s: got %v, want an UnavailableError", spec, err)
		}
	}
}

func TestOpenFamily(t *testing.T) {
	semDir, semPaths := semanticFamily(t)
	_, imgPaths := imageOnlyFamily(t)
	link := func(dir string, files ...string) string {
		t.Helper()
		d := filepath.Join(t.TempDir(), dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, string(rune('a'+i))+".smw"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return d
	}
	garbage := filepath.Join(t.TempDir(), "bad.smw")
	if err := os.WriteFile(garbage, []byte("not a model file at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := []struct {
		name, spec string
		want       []int
	}{
		{"folder", semDir, []int{1, 2}},
		{"one file", semPaths[1], []int{2}},
		{"glob", filepath.Join(semDir, "*-q1.smw"), []int{1}},
		{"glob of all", filepath.Join(semDir, "learned-test-q*"), []int{1, 2}},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			f, err := OpenFamily(c.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Qualities(), c.want) || f.Name() != "learned-test" || !f.Semantic() || f.NumClasses() != 11 {
				t.Errorf("qualities %v name %q semantic %v classes %d", f.Qualities(), f.Name(), f.Semantic(), f.NumClasses())
			}
			if again, _ := OpenFamily(c.spec); again != f {
				t.Error("opening the same spec twice loaded it twice")
			}
		})
	}
	bad := []struct {
		name, spec string
		want       error
	}{
		{"missing", filepath.Join(semDir, "nope.smw"), os.ErrNotExist},
		{"empty folder", t.TempDir(), ErrNoModelFiles},
		{"glob matches nothing", filepath.Join(semDir, "*.none"), ErrNoModelFiles},
		{"two names", link("mixed", semPaths[0], imgPaths[0]), ErrFamily},
		{"quality twice", link("twice", semPaths[0], semPaths[0]), ErrFamily},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if _, err := OpenFamily(c.spec); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	t.Run("not a model file", func(t *testing.T) {
		_, err := OpenFamily(garbage)
		if err == nil || !strings.Contains(err.Error(), "bad.smw") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("quality not in family", func(t *testing.T) {
		f, err := OpenFamily(semDir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Model(5); !errors.Is(err, ErrQuality) {
			t.Errorf("got %v", err)
		}
	})
}

func TestOptionErrors(t *testing.T) {
	dir, _ := semanticFamily(t)
	cases := []struct {
		name  string
		codec string
		opts  eval.Options
		want  error
	}{
		{"enhance not a bool", Name, eval.Options{Params: map[string]string{ParamEnhance: "maybe"}}, ErrParam},
		{"unknown key", Name, eval.Options{Params: map[string]string{"enhanse": "false"}}, ErrParam},
		{"upper bound mode", Name, eval.Options{Params: map[string]string{ParamUpperBound: "exact"}}, ErrParam},
		{"segmenter quality absent", Name, eval.Options{Params: map[string]string{ParamSegmenterQuality: "7"}}, ErrQuality},
		{"segmenter quality not a number", Name, eval.Options{Params: map[string]string{ParamSegmenterQuality: "high"}}, ErrParam},
		{"plain with enhancement", PlainName, eval.Options{Params: map[string]string{ParamEnhance: "true"}}, ErrParam},
		{"grid outside family", Name, eval.Options{Qualities: []int{1, 3}}, ErrQuality},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Model = dir
			if _, err := eval.New(c.codec, c.opts); !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	c, err := eval.New(Name, eval.Options{Model: dir, Qualities: []int{2}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.Qualities(), []int{2}) {
		t.Errorf("grid %v, want [2]", c.Qualities())
	}
	if _, err := c.Encode(image.NewRGBA(image.Rect(0, 0, 8, 8)), 4); !errors.Is(err, ErrQuality) {
		t.Errorf("encode at a quality outside the family: %v", err)
	}
}

// TestCompression runs the harness on one CamVid crop with the enhanced and
// the plain reconstruction and checks every number against the codec
// package used directly.
func TestCompression(t *testing.T) {
	dir, _ := semanticFamily(t)
	crop := camvidCrops(t, 1)[0]
	imgDir := t.TempDir()
	path := filepath.Join(imgDir, "crop.png")
	if err := imageio.WritePNG(path, crop.img); err != nil {
		t.Fatal(err)
	}
	opts := eval.Options{Model: dir}
	rep, err := eval.RunCompression(context.Background(), eval.CompressionConfig{
		Images: []string{path}, Codecs: []string{Name, PlainName},
		Options: map[string]eval.Options{Name: opts, PlainName: opts},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Results) != 2 || len(rep.Skipped) != 0 {
		t.Fatalf("results %d, skipped %v", len(rep.Results), rep.Skipped)
	}
	fam, err := OpenFamily(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range rep.Results {
		plain := res.Name == PlainName
		if !strings.Contains(res.Description, "learned-test") || !strings.Contains(res.Version, "q2 ") {
			t.Errorf("%s: description %q version %q", res.Name, res.Description, res.Version)
		}
		if len(res.Points) != 2 || res.Points[0].Quality != 1 || res.Points[1].Quality != 2 {
			t.Fatalf("%s: points %+v", res.Name, res.Points)
		}
		for _, p := range res.Points {
			m, err := fam.Model(p.Quality)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := m.Encode(&buf, crop.img); err != nil {
				t.Fatal(err)
			}
			if want := metrics.BPP(int64(buf.Len()), cropW, cropH); p.BPP != want || p.Images[0].Bytes != buf.Len() {
				t.Errorf("%s q%d: bpp %v (%d bytes), codec gives %v (%d bytes)", res.Name, p.Quality, p.BPP, p.Images[0].Bytes, want, buf.Len())
			}
			dec, err := (&codec.Decoder{Models: []*codec.Model{m}}).Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			want := dec.Image
			if plain {
				want = dec.Plain
			}
			s, err := metrics.CompareImages(crop.img, want)
			if err != nil {
				t.Fatal(err)
			}
			if p.PSNR != s.PSNR || !sameFloat(p.MSSSIM, s.MSSSIM) { // MS-SSIM is NaN below 161 pixels a side
				t.Errorf("%s q%d: PSNR %v MS-SSIM %v, codec's decode gives %v %v", res.Name, p.Quality, p.PSNR, p.MSSSIM, s.PSNR, s.MSSSIM)
			}
			bits, err := m.EstimateBits(crop.img)
			if err != nil {
				t.Fatal(err)
			}
			if est := bits / (cropW * cropH); p.EstimateBPP != est || p.Images[0].EstimateBPP != est {
				t.Errorf("%s q%d: estimate %v bpp, the model's is %v", res.Name, p.Quality, p.EstimateBPP, est)
			}
			if gap := 100 * (p.BPP/p.EstimateBPP - 1); p.EstimateGap != gap {
				t.Errorf("%s q%d: gap %v%%, want %v%%", res.Name, p.Quality, p.EstimateGap, gap)
			}
			if c := res.Curve(); len(c.Results.BPPEstimate) != 2 || len(c.Results.EstimateGap) != 2 {
				t.Errorf("%s: curve lacks the estimates: %+v", res.Name, c.Results)
			}
			if !(p.EncodeSeconds > 0 && p.DecodeSeconds > 0) || math.IsNaN(p.PSNR) {
				t.Errorf("%s q%d: times %v %v, PSNR %v", res.Name, p.Quality, p.EncodeSeconds, p.DecodeSeconds, p.PSNR)
			}
		}
		if !(res.Points[1].BPP > res.Points[0].BPP) {
			t.Errorf("%s: quality 2 takes %v bpp, quality 1 %v: the grid is not the family", res.Name, res.Points[1].BPP, res.Points[0].BPP)
		}
	}
	if rep.Results[0].Points[0].PSNR == rep.Results[1].Points[0].PSNR {
		t.Error("enhanced and plain reconstructions score the same: the enhance setting is not applied")
	}
}

// TestSegmentation scores two CamVid crops through the harness: the
// seg-only labels must equal the full decode's, and the upper bound must
// come from the same network as the codec's decoder.
func TestSegmentation(t *testing.T) {
	dir, _ := semanticFamily(t)
	crops := camvidCrops(t, 2)
	pairs, layout, err := eval.ListSegmentation(writeCamVid(t, crops), "val")
	if err != nil || layout != eval.LayoutCamVid {
		t.Fatal(err, layout)
	}
	c, err := eval.New(Name, eval.Options{Model: dir})
	if err != nil {
		t.Fatal(err)
	}
	sc, ok := c.(*SemanticCodec)
	if !ok {
		t.Fatalf("%T is not a *SemanticCodec", c)
	}
	rep, err := eval.RunSegmentation(context.Background(), eval.SegmentationConfig{
		Pairs: pairs, NumClasses: len(imageio.CamVidClasses), Codec: sc,
	})
	if err != nil {
		t.Fatal(err)
	}
	var labelled int64
	for _, cr := range crops {
		for _, v := range cr.labels.Pix {
			if int(v) < len(imageio.CamVidClasses) {
				labelled++
			}
		}
	}
	if rep.Images != 2 || rep.UpperBound == nil || rep.UpperBound.Pixels != labelled || len(rep.Points) != 2 {
		t.Fatalf("images %d, upper bound %+v, %d points; %d labelled pixels", rep.Images, rep.UpperBound, len(rep.Points), labelled)
	}
	for _, p := range rep.Points {
		if p.SegOnlyMismatch != 0 {
			t.Errorf("q%d: seg-only decoding differs from full decoding on %d pixels", p.Quality, p.SegOnlyMismatch)
		}
		if p.Decoded.Pixels != labelled || !slices.EqualFunc(p.Decoded.IoU, p.SegOnly.IoU, sameFloat) || !(p.BPP > 0) {
			t.Errorf("q%d: decoded %+v seg-only %+v bpp %v", p.Quality, p.Decoded, p.SegOnly, p.BPP)
		}
	}

	// Rounding y_sem in the upper-bound graph must reproduce what the
	// decoder gets from the bitstream: same network, same weights.
	rounded, err := eval.New(Name, eval.Options{Model: dir, Params: map[string]string{ParamUpperBound: "rounded"}})
	if err != nil {
		t.Fatal(err)
	}
	rs := rounded.(*SemanticCodec)
	if rs.segQ != 2 || !strings.Contains(rs.Description(), "quality-2 network") {
		t.Errorf("segmenter quality %d, description %q", rs.segQ, rs.Description())
	}
	differ := 0
	for _, cr := range crops {
		data, err := rs.Encode(cr.img, rs.segQ)
		if err != nil {
			t.Fatal(err)
		}
		fromStream, err := rs.DecodeLabels(data)
		if err != nil {
			t.Fatal(err)
		}
		up, err := rs.Segment(cr.img)
		if err != nil {
			t.Fatal(err)
		}
		if up.Bounds() != fromStream.Bounds() || !bytes.Equal(up.Pix, fromStream.Pix) {
			t.Errorf("%s: rounded upper bound differs from the decoded labels", cr.name)
		}
		float, err := sc.Segment(cr.img)
		if err != nil {
			t.Fatal(err)
		}
		if float.Bounds() != image.Rect(0, 0, cropW, cropH) || slices.Max(float.Pix) >= uint8(sc.NumClasses()) {
			t.Errorf("%s: upper-bound labels %v, max %d", cr.name, float.Bounds(), slices.Max(float.Pix))
		}
		for i := range float.Pix {
			if float.Pix[i] != up.Pix[i] {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Error("the unquantized upper bound equals the rounded one everywhere: is y_sem rounded?")
	}
}

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func TestImageOnlyModel(t *testing.T) {
	dir, _ := imageOnlyFamily(t)
	c, err := eval.New(Name, eval.Options{Model: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(eval.SemanticCodec); ok {
		t.Fatal("a model without a semantic branch is offered as a semantic codec")
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 24))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	data, err := c.Encode(img, 1)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if dec.Bounds() != img.Bounds() {
		t.Errorf("decoded %v", dec.Bounds())
	}
}

// TestUnfrozenModel loads a file without entropy tables (trainer.Export's
// output): they are computed at load and the description says so.
func TestUnfrozenModel(t *testing.T) {
	dir, _ := unfrozenFamily(t)
	c, err := eval.New(Name, eval.Options{Model: dir})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 3)
	}
	data, err := c.Encode(img, 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decode(data); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(c.Description(), "computed at load") {
		t.Errorf("description %q", c.Description())
	}
}

func TestDecodeErrors(t *testing.T) {
	dir, _ := semanticFamily(t)
	_, other := unfrozenFamily(t)
	c, err := eval.New(Name, eval.Options{Model: dir})
	if err != nil {
		t.Fatal(err)
	}
	sc := c.(*SemanticCodec)
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	good, err := c.Encode(img, 1)
	if err != nil {
		t.Fatal(err)
	}
	// A file from another family at a quality this one lacks.
	om, err := OpenFamily(other[0])
	if err != nil {
		t.Fatal(err)
	}
	m3, err := om.Model(3)
	if err != nil {
		t.Fatal(err)
	}
	var foreign bytes.Buffer
	if err := m3.Encode(&foreign, img); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:20], // seg-only decoding never reads the image segment: cut early
		"garbage":   []byte("definitely not an smc file"),
		"foreign":   foreign.Bytes(),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := c.Decode(data); err == nil {
				t.Error("Decode: no error")
			}
			if _, _, err := sc.DecodeWithLabels(data); err == nil {
				t.Error("DecodeWithLabels: no error")
			}
			if _, err := sc.DecodeLabels(data); err == nil {
				t.Error("DecodeLabels: no error")
			}
		})
	}
	if _, err := sc.Segment(image.NewRGBA(image.Rect(0, 0, 0, 5))); !errors.Is(err, codec.ErrEmpty) {
		t.Errorf("segment an empty image: %v", err)
	}
}
