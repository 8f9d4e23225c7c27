package eval

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

// CompressionConfig says what RunCompression measures.
type CompressionConfig struct {
	// Images are the image files, scored in this order.
	Images []string
	// Codecs are registry names, reported in this order.
	Codecs []string
	// Options holds per-codec options by name; missing names get defaults.
	Options map[string]Options
	// Workers is the number of images in flight (values below 1 mean 1).
	// Encoders and decoders never run concurrently whatever its value:
	// only reading and scoring overlap them, so times stay single-threaded.
	Workers int
	// Progress, when set, is called after each image at each quality of
	// each codec, never concurrently.
	Progress func(done, total int)
	// Notes, when set, receives remarks such as skipped codecs.
	Notes func(msg string)
}

// ImageScore is the measure of one image at one quality.
type ImageScore struct {
	Image         string
	Width, Height int
	Bytes         int
	BPP           float64 // 8·Bytes/(Width·Height)
	// EstimateBPP is the codec's own rate estimate (RateEstimator), 0 when
	// it makes none.
	EstimateBPP   float64
	PSNR, MSSSIM  float64
	ChannelBias   [3]float64 // decoded − original, mean per channel R, G, B, in 8-bit levels
	EncodeSeconds float64
	DecodeSeconds float64
}

// Point is one quality of one codec: means over images of the per-image
// scores, as CompressAI reports them.
type Point struct {
	Quality int
	BPP     float64
	// EstimateBPP is the mean rate estimate and EstimateGap the per-image
	// file size against its estimate, 100·(BPP/EstimateBPP − 1), furthest
	// from zero; both 0 unless every image has an estimate.
	EstimateBPP   float64
	EstimateGap   float64
	PSNR, MSSSIM  float64
	ChannelBias   [3]float64 // colour bias: ImageScore.ChannelBias, per channel
	EncodeSeconds float64
	DecodeSeconds float64
	Images        []ImageScore
}

// CodecResult is a codec's measured curve.
type CodecResult struct {
	Name, Description string
	Version           string // tool versions, when the codec reports them
	Points            []Point
}

// Skipped records a requested codec that could not run.
type Skipped struct {
	Codec  string `json:"codec"`
	Reason string `json:"reason"`
}

// CompressionReport is the outcome of RunCompression.
type CompressionReport struct {
	Images  []string
	Pixels  int64 // total pixels over all images
	Results []CodecResult
	Skipped []Skipped
}

// Versioner is implemented by codecs that can name the exact software
// version they run, which reports record.
type Versioner interface {
	Version() string
}

// ListImages returns the PNG and JPEG files directly inside dir, sorted by
// name.
func ListImages(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eval: read image folder: %w", err)
	}
	var out []string
	for _, e := range entries {
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			if !e.IsDir() {
				out = append(out, filepath.Join(dir, e.Name()))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoImages, dir)
	}
	sort.Strings(out)
	return out, nil
}

// codecRun is one requested codec with an instance per worker.
type codecRun struct {
	name      string
	qualities []int
	instances []Codec
}

// RunCompression encodes every image with every codec at every quality,
// decodes it back, and scores it against the original. A codec whose
// factory reports *UnavailableError is skipped and listed in Skipped; an
// unknown codec name or any failure of a running codec is an error.
func RunCompression(ctx context.Context, cfg CompressionConfig) (*CompressionReport, error) {
	if len(cfg.Images) == 0 {
		return nil, ErrNoImages
	}
	workers := max(1, min(cfg.Workers, len(cfg.Images)))
	report := &CompressionReport{Images: cfg.Images}

	var runs []*codecRun
	defer func() {
		for _, r := range runs {
			for _, c := range r.instances {
				if cl, ok := c.(io.Closer); ok {
					cl.Close()
				}
			}
		}
	}()
	seen := map[string]bool{}
	for _, name := range cfg.Codecs {
		if seen[name] {
			return nil, fmt.Errorf("eval: codec %q requested twice", name)
		}
		seen[name] = true
		factory, err := Lookup(name)
		if err != nil {
			return nil, err
		}
		opts := cfg.Options[name]
		first, err := factory(opts)
		var un *UnavailableError
		if errors.As(err, &un) {
			report.Skipped = append(report.Skipped, Skipped{name, un.Reason})
			if cfg.Notes != nil {
				cfg.Notes(fmt.Sprintf("skipping %s: %s", name, un.Reason))
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("eval: codec %s: %w", name, err)
		}
		r := &codecRun{name: name, instances: []Codec{first}}
		runs = append(runs, r) // from here on, the deferred loop closes its instances
		for len(r.instances) < workers {
			c, err := factory(opts)
			if err != nil {
				return nil, fmt.Errorf("eval: codec %s: %w", name, err)
			}
			r.instances = append(r.instances, c)
		}
		r.qualities = grid(r.instances[0], opts)
		if len(r.qualities) == 0 {
			return nil, fmt.Errorf("eval: codec %s has an empty quality grid", name)
		}
	}
	if len(runs) == 0 {
		var why []string
		for _, s := range report.Skipped {
			why = append(why, s.Codec+": "+s.Reason)
		}
		return nil, fmt.Errorf("eval: none of the requested codecs can run here (%s)", strings.Join(why, "; "))
	}

	// scores[codec][quality][image], each slot written by one worker.
	scores := make([][][]ImageScore, len(runs))
	total := 0
	for i, r := range runs {
		scores[i] = make([][]ImageScore, len(r.qualities))
		for j := range scores[i] {
			scores[i][j] = make([]ImageScore, len(cfg.Images))
		}
		total += len(r.qualities) * len(cfg.Images)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		timing   sync.Mutex // held while any encoder or decoder runs
		progMu   sync.Mutex
		done     int
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	tick := func() {
		progMu.Lock()
		done++
		if cfg.Progress != nil {
			cfg.Progress(done, total)
		}
		progMu.Unlock()
	}
	jobs := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if ctx.Err() != nil {
					continue
				}
				path := cfg.Images[i]
				img, err := imageio.ReadImage(path)
				if err != nil {
					fail(err)
					continue
				}
				for ci, r := range runs {
					c := r.instances[w]
					if p, ok := c.(Preparer); ok {
						if err := p.Prepare(img); err != nil {
							fail(&CodecError{Codec: r.name, Image: filepath.Base(path), Op: "prepare", Err: err})
							break
						}
					}
					for qi, q := range r.qualities {
						s, err := scoreOne(ctx, c, img, q, filepath.Base(path), &timing)
						if err != nil {
							fail(err)
							break
						}
						scores[ci][qi][i] = s
						tick()
					}
					if ctx.Err() != nil {
						break
					}
				}
			}
		}()
	}
feed:
	for i := range cfg.Images {
		select {
		case jobs <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	if len(scores) > 0 {
		for _, im := range scores[0][0] {
			report.Pixels += int64(im.Width) * int64(im.Height)
		}
	}
	for ci, r := range runs {
		res := CodecResult{Name: r.name, Description: r.instances[0].Description()}
		if v, ok := r.instances[0].(Versioner); ok {
			res.Version = v.Version()
		}
		for qi, q := range r.qualities {
			res.Points = append(res.Points, meanPoint(q, scores[ci][qi]))
		}
		report.Results = append(report.Results, res)
	}
	return report, nil
}

// scoreOne encodes, decodes and scores one image at one quality.
func scoreOne(ctx context.Context, c Codec, img *image.RGBA, q int, name string, timing *sync.Mutex) (ImageScore, error) {
	if err := ctx.Err(); err != nil {
		return ImageScore{}, err
	}
	wrap := func(op string, err error) error {
		return &CodecError{Codec: c.Name(), Quality: q, Image: name, Op: op, Err: err}
	}
	timing.Lock()
	data, encT, err := timed(c, func() ([]byte, error) { return c.Encode(img, q) })
	timing.Unlock()
	if err != nil {
		return ImageScore{}, wrap("encode", err)
	}
	if len(data) == 0 {
		return ImageScore{}, wrap("encode", errors.New("empty bitstream"))
	}
	timing.Lock()
	dec, decT, err := timed(c, func() (*image.RGBA, error) { return c.Decode(data) })
	timing.Unlock()
	if err != nil {
		return ImageScore{}, wrap("decode", err)
	}
	b := img.Bounds()
	var estBPP float64
	if re, ok := c.(RateEstimator); ok {
		bits, err := re.EstimateBits(img, q)
		if err != nil {
			return ImageScore{}, wrap("estimate", err)
		}
		estBPP = bits / float64(b.Dx()*b.Dy())
	}
	if dec.Bounds().Dx() != b.Dx() || dec.Bounds().Dy() != b.Dy() {
		return ImageScore{}, wrap("decode", fmt.Errorf("%w: %dx%d, want %dx%d", ErrSizeMismatch,
			dec.Bounds().Dx(), dec.Bounds().Dy(), b.Dx(), b.Dy()))
	}
	m, err := metrics.CompareImages(img, dec)
	if err != nil {
		return ImageScore{}, wrap("score", err)
	}
	return ImageScore{
		Image: name, Width: b.Dx(), Height: b.Dy(), Bytes: len(data),
		BPP:         metrics.BPP(int64(len(data)), b.Dx(), b.Dy()),
		EstimateBPP: estBPP,
		PSNR:        m.PSNR, MSSSIM: m.MSSSIM,
		ChannelBias:   m.ChannelBias,
		EncodeSeconds: encT.Seconds(), DecodeSeconds: decT.Seconds(),
	}, nil
}

// timed runs f and returns its result with the time to report: the codec's
// own measure when it has one, else the wall time of f.
func timed[T any](c Codec, f func() (T, error)) (T, time.Duration, error) {
	start := time.Now()
	v, err := f()
	d := time.Since(start)
	if st, ok := c.(SelfTimer); ok {
		d = st.LastRunTime()
	}
	return v, d, err
}

// meanPoint averages per-image scores with a fixed summation order, so
// results do not depend on scheduling.
func meanPoint(q int, imgs []ImageScore) Point {
	p := Point{Quality: q, Images: imgs}
	estimated := len(imgs) > 0
	for _, s := range imgs {
		if s.EstimateBPP <= 0 {
			estimated = false
		}
	}
	if estimated {
		for _, s := range imgs {
			p.EstimateBPP += s.EstimateBPP
			if g := 100 * (s.BPP/s.EstimateBPP - 1); math.Abs(g) > math.Abs(p.EstimateGap) {
				p.EstimateGap = g
			}
		}
		p.EstimateBPP /= float64(len(imgs))
	}
	for _, s := range imgs {
		p.BPP += s.BPP
		p.PSNR += s.PSNR
		p.MSSSIM += s.MSSSIM
		for c := range p.ChannelBias {
			p.ChannelBias[c] += s.ChannelBias[c]
		}
		p.EncodeSeconds += s.EncodeSeconds
		p.DecodeSeconds += s.DecodeSeconds
	}
	n := float64(len(imgs))
	p.BPP /= n
	p.PSNR /= n
	p.MSSSIM /= n
	for c := range p.ChannelBias {
		p.ChannelBias[c] /= n
	}
	p.EncodeSeconds /= n
	p.DecodeSeconds /= n
	return p
}
