package learned

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/eval"
	"github.com/semcodec/semcodec/model"
)

// Codec is the learned codec as an eval.Codec: Encode writes the exact .smc
// bytes (header included) with the family's model of the requested quality,
// Decode returns the post-enhanced reconstruction, or the plain synthesis
// with Params enhance=false. Instances share models; like every eval.Codec,
// one instance serves one worker.
//
// The graphs of a model are compiled on first use for each padded image
// size. So that the reported times measure coding and not compilation,
// Encode and Decode run once untimed the first time a model meets a size,
// and LastRunTime (eval.SelfTimer) reports the timed run only.
type Codec struct {
	name    string
	fam     *Family
	enhance bool
	grid    []int
	last    time.Duration
}

var (
	_ eval.Codec         = (*Codec)(nil)
	_ eval.SelfTimer     = (*Codec)(nil)
	_ eval.Versioner     = (*Codec)(nil)
	_ eval.RateEstimator = (*Codec)(nil)
	_ eval.SemanticCodec = (*SemanticCodec)(nil)
	_ eval.Segmenter     = (*SemanticCodec)(nil)
)

// Name returns the registry name.
func (c *Codec) Name() string { return c.name }

// Family returns the models the codec uses.
func (c *Codec) Family() *Family { return c.fam }

// Qualities returns the grid: the family's qualities unless
// eval.Options.Qualities chose some of them.
func (c *Codec) Qualities() []int { return append([]int(nil), c.grid...) }

// Description names the model, its source and the decoding settings.
func (c *Codec) Description() string {
	recon := "post-enhanced reconstruction (x̂_e)"
	if !c.enhance {
		recon = "plain synthesis output (x̂, no post-enhancement)"
	}
	frozen := ""
	if c.fam.frozenAtLoad() {
		frozen = "; hyper-latent entropy tables computed at load (the file had none)"
	}
	return fmt.Sprintf("semcodec learned codec (mutual enhancement network on a scale hyperprior), model %s (%s), %s; "+
		"%s; rate from the real .smc bytes, header included; %s backend, times exclude one-off graph compilation%s",
		c.fam.Name(), c.fam.Source(), joinInts(c.fam.Qualities()), recon, backendName(), frozen)
}

// Version lists the model ID of each quality of the grid that is loaded,
// which pins down the exact weights measured.
func (c *Codec) Version() string {
	var ids []string
	for _, q := range c.grid {
		if m, err := c.fam.Model(q); err == nil {
			ids = append(ids, fmt.Sprintf("q%d %s", q, m.ID()))
		}
	}
	return "model IDs " + strings.Join(ids, ", ")
}

func backendName() string {
	if b := strings.TrimSpace(os.Getenv("GOMLX_BACKEND")); b != "" {
		return b
	}
	return backend.Name
}

// LastRunTime returns the duration of the last timed Encode or Decode.
func (c *Codec) LastRunTime() time.Duration { return c.last }

// warmKey is one compiled graph set: a model, a padded size and an
// operation.
type warmKey struct {
	m     *codec.Model
	w, h  int
	op    string
	plain bool
}

// warmed records the graphs already run once, over all instances (compiled
// graphs live in the shared models).
var warmed sync.Map // warmKey -> struct{}

func padded(v int) int { return model.Padded(v) }

// warm runs f once, untimed, the first time key is seen.
func warm(key warmKey, f func() error) error {
	if _, done := warmed.Load(key); done {
		return nil
	}
	if err := f(); err != nil {
		return err
	}
	warmed.Store(key, struct{}{})
	return nil
}

// Encode compresses img with the model of quality q.
func (c *Codec) Encode(img *image.RGBA, q int) ([]byte, error) {
	m, err := c.fam.Model(q)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	key := warmKey{m: m, w: padded(b.Dx()), h: padded(b.Dy()), op: "encode"}
	opts := &codec.Options{Model: m, Quality: float64(q)} // a fixed-rate model ignores Quality
	if err := warm(key, func() error { return codec.Encode(io.Discard, img, opts) }); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	start := time.Now()
	err = codec.Encode(&buf, img, opts)
	c.last = time.Since(start)
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EstimateBits returns the model's own estimate of the coded size of img at
// quality q, from the likelihoods (codec.Model.EstimateBits), for
// eval.RateEstimator.
func (c *Codec) EstimateBits(img *image.RGBA, q int) (float64, error) {
	m, err := c.fam.Model(q)
	if err != nil {
		return 0, err
	}
	return m.EstimateBitsAt(img, float64(q))
}

// decoder returns a decoder holding the model a file names.
func (c *Codec) decoder(data []byte) (*codec.Decoder, codec.Config, error) {
	cfg, err := codec.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, cfg, err
	}
	m, err := c.fam.Model(int(cfg.Quality))
	if err != nil {
		return nil, cfg, err
	}
	// The decoder checks the file's model ID against m.
	return &codec.Decoder{Models: []*codec.Model{m}, NoEnhance: !c.enhance}, cfg, nil
}

// Decode rebuilds the image of a file made by Encode.
func (c *Codec) Decode(data []byte) (*image.RGBA, error) {
	d, cfg, err := c.decoder(data)
	if err != nil {
		return nil, err
	}
	key := warmKey{m: d.Models[0], w: padded(cfg.Width), h: padded(cfg.Height), op: "decode", plain: !c.enhance}
	if err := warm(key, func() error { _, err := d.Decode(bytes.NewReader(data)); return err }); err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := d.Decode(bytes.NewReader(data))
	c.last = time.Since(start)
	if err != nil {
		return nil, err
	}
	return res.Image, nil
}

// SemanticCodec is Codec for models with a semantic branch: it is also an
// eval.SemanticCodec and, for the upper bound, an eval.Segmenter.
type SemanticCodec struct {
	*Codec
	segQ    int
	rounded bool
}

// NumClasses returns the number of semantic classes of the models.
func (c *SemanticCodec) NumClasses() int { return c.fam.NumClasses() }

// Description adds how the upper bound is computed.
func (c *SemanticCodec) Description() string {
	how := "unquantized y_sem"
	if c.rounded {
		how = "y_sem rounded as the codec rounds it, not entropy-coded"
	}
	return fmt.Sprintf("%s; segmentation upper bound: the quality-%d network on the original image with %s",
		c.Codec.Description(), c.segQ, how)
}

// DecodeWithLabels rebuilds the image and the label map from one full
// decode.
func (c *SemanticCodec) DecodeWithLabels(data []byte) (*image.RGBA, *image.Gray, error) {
	d, _, err := c.decoder(data)
	if err != nil {
		return nil, nil, err
	}
	res, err := d.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	if res.Segmentation == nil {
		return nil, nil, codec.ErrNoSegmentation
	}
	return res.Image, res.Segmentation.Map, nil
}

// DecodeLabels is seg-only decoding (codec.Decoder.DecodeSegmentation): the
// image segment is neither entropy-decoded nor synthesized.
func (c *SemanticCodec) DecodeLabels(data []byte) (*image.Gray, error) {
	d, _, err := c.decoder(data)
	if err != nil {
		return nil, err
	}
	l, err := d.DecodeSegmentation(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	return l.Map, nil
}

// Segment is the uncompressed upper bound: the segmenter-quality model's
// analysis and semantic decoder on img, with y_sem unquantized (or rounded
// with Params upper-bound=rounded), never entropy-coded.
func (c *SemanticCodec) Segment(img *image.RGBA) (*image.Gray, error) {
	m, err := c.fam.Model(c.segQ)
	if err != nil {
		return nil, err
	}
	net, err := segmentationNet(m, c.rounded)
	if err != nil {
		return nil, err
	}
	return net.segment(img)
}
