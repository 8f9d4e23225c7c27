package dataset

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/train"
)

// Defaults for zero Options fields.
const (
	DefaultBatch = 8
	DefaultCrop  = 256
)

// Options configures a Dataset. The zero value means: batches of 8 crops of
// 256×256, seed 0, no flips, one pass in listing order, labels as the layouts
// define them, no cache, one decoder per CPU.
type Options struct {
	Batch int // crops per batch
	Crop  int // side of the square crops, in pixels
	Seed  uint64
	Flip  bool // flip each crop horizontally with probability 1/2
	// Loop makes an endless stream: the samples are reshuffled at every
	// epoch and every batch is full. Without it, Yield makes one pass and
	// then returns io.EOF; the last batch may be smaller.
	Loop bool
	// Shuffle shuffles the single pass too (Loop always shuffles).
	Shuffle bool
	// NumClasses, when positive, turns labels >= NumClasses into Ignore.
	NumClasses int
	// Cache keeps every decoded sample in memory after its first use (about
	// 5 bytes per pixel): for small sets that are read many times.
	Cache bool
	// Workers is the number of images decoded in parallel; 0 means
	// GOMAXPROCS. It never changes the batches.
	Workers int
	// Name overrides the name reported by Name.
	Name string
}

// Dataset streams batches of random crops. It implements GoMLX's
// train.Dataset; Yield gives inputs {images float32 [B, S, S, 3] in [0, 1]}
// and labels {int32 [B, S, S]} with Ignore for unlabelled pixels. A Dataset
// is not safe for concurrent use.
type Dataset struct {
	name    string
	samples []Sample
	opts    Options

	rng   *rand.Rand
	order []int // current epoch's sample order
	pos   int   // next index into order

	cacheMu sync.Mutex
	cache   map[int]*decoded
}

var _ train.Dataset = (*Dataset)(nil)

// Open lists the samples of specs (see ListAll) and returns a Dataset over
// them.
func Open(specs []string, opts Options) (*Dataset, error) {
	samples, err := ListAll(specs)
	if err != nil {
		return nil, err
	}
	if opts.Name == "" {
		opts.Name = strings.Join(specs, "+")
	}
	return New(samples, opts)
}

// New returns a Dataset over samples, which it keeps (do not modify them).
func New(samples []Sample, opts Options) (*Dataset, error) {
	if len(samples) == 0 {
		return nil, &Error{Path: "(no samples)", Err: ErrEmpty}
	}
	if opts.Batch < 0 || opts.Crop < 0 || opts.NumClasses < 0 || opts.Workers < 0 {
		return nil, fmt.Errorf("semcodec: dataset: negative option in %+v", opts)
	}
	if opts.Batch == 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Crop == 0 {
		opts.Crop = DefaultCrop
	}
	if opts.Workers == 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Name == "" {
		opts.Name = "dataset"
	}
	d := &Dataset{name: opts.Name, samples: samples, opts: opts}
	if opts.Cache {
		d.cache = make(map[int]*decoded)
	}
	d.Reset()
	return d, nil
}

// Name implements train.Dataset.
func (d *Dataset) Name() string { return d.name }

// Samples returns the samples the Dataset draws from, in listing order.
func (d *Dataset) Samples() []Sample { return d.samples }

// Options returns the options in use, with defaults filled in.
func (d *Dataset) Options() Options { return d.opts }

// Reset implements train.Dataset: it restarts the stream from the beginning,
// so the same batches follow again. The cache is kept.
func (d *Dataset) Reset() {
	d.rng = rand.New(rand.NewPCG(d.opts.Seed, 0x5e3c0dec))
	d.pos = 0
	d.newEpoch()
}

func (d *Dataset) newEpoch() {
	if d.order == nil {
		d.order = make([]int, len(d.samples))
	}
	for i := range d.order {
		d.order[i] = i
	}
	if d.opts.Loop || d.opts.Shuffle {
		d.rng.Shuffle(len(d.order), func(i, j int) { d.order[i], d.order[j] = d.order[j], d.order[i] })
	}
	d.pos = 0
}

// Batch is one batch in plain Go slices.
type Batch struct {
	Size, Crop int
	Images     []float32 // Size×Crop×Crop×3, values in [0, 1], zero padding
	Labels     []int32   // Size×Crop×Crop, Ignore for unlabelled pixels
	Samples    []int     // index into Samples() of each crop
}

// Yield implements train.Dataset. spec is nil. Without Loop it returns io.EOF
// after the last batch of the pass; call Reset to start again.
func (d *Dataset) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	b, err := d.Next()
	if err != nil {
		return nil, nil, nil, err
	}
	img := tensors.FromFlatDataAndDimensions(b.Images, b.Size, b.Crop, b.Crop, 3)
	lab := tensors.FromFlatDataAndDimensions(b.Labels, b.Size, b.Crop, b.Crop)
	return nil, []*tensors.Tensor{img}, []*tensors.Tensor{lab}, nil
}

// cropPlan holds the random choices for one crop, drawn before decoding so
// that they do not depend on decoding order.
type cropPlan struct {
	sample int
	u, v   float64 // crop offset as a fraction of the free range
	flip   bool
}

// Next returns the next batch as plain slices; see Yield.
func (d *Dataset) Next() (*Batch, error) {
	n := d.opts.Batch
	if !d.opts.Loop {
		if d.pos >= len(d.order) {
			return nil, io.EOF
		}
		n = min(n, len(d.order)-d.pos)
	}
	plans := make([]cropPlan, n)
	for i := range plans {
		if d.pos >= len(d.order) { // only with Loop
			d.newEpoch()
		}
		plans[i] = cropPlan{sample: d.order[d.pos], u: d.rng.Float64(), v: d.rng.Float64()}
		plans[i].flip = d.opts.Flip && d.rng.IntN(2) == 1
		d.pos++
	}
	s := d.opts.Crop
	b := &Batch{Size: n, Crop: s, Images: make([]float32, n*s*s*3), Labels: make([]int32, n*s*s), Samples: make([]int, n)}
	errs := make([]error, n)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(d.opts.Workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				errs[i] = d.fill(b, i, plans[i])
			}
		}()
	}
	for i := range plans {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// load decodes sample i, through the cache when enabled.
func (d *Dataset) load(i int) (*decoded, error) {
	if d.cache == nil {
		return d.samples[i].decode()
	}
	d.cacheMu.Lock()
	dec, ok := d.cache[i]
	d.cacheMu.Unlock()
	if ok {
		return dec, nil
	}
	dec, err := d.samples[i].decode()
	if err != nil {
		return nil, err
	}
	d.cacheMu.Lock()
	d.cache[i] = dec
	d.cacheMu.Unlock()
	return dec, nil
}

// fill writes crop k of batch b. An image smaller than the crop sits at the
// top left of the crop (before flipping), padded with zeros and Ignore.
func (d *Dataset) fill(b *Batch, k int, p cropPlan) error {
	dec, err := d.load(p.sample)
	if err != nil {
		return err
	}
	b.Samples[k] = p.sample
	s := b.Crop
	w, h := dec.img.Rect.Dx(), dec.img.Rect.Dy()
	x0, cw := offset(p.u, w, s)
	y0, ch := offset(p.v, h, s)
	imgs := b.Images[k*s*s*3:][:s*s*3]
	labs := b.Labels[k*s*s:][:s*s]
	for i := range labs {
		labs[i] = Ignore
	}
	nc := d.opts.NumClasses
	for y := 0; y < ch; y++ {
		src := dec.img.Pix[(y0+y)*dec.img.Stride+4*x0:][:4*cw]
		for x := 0; x < cw; x++ {
			dx := x
			if p.flip {
				dx = s - 1 - x
			}
			o := y*s + dx
			imgs[3*o] = float32(src[4*x]) / 255
			imgs[3*o+1] = float32(src[4*x+1]) / 255
			imgs[3*o+2] = float32(src[4*x+2]) / 255
			labs[o] = dec.label((y0+y)*w+x0+x, nc)
		}
	}
	return nil
}

// offset returns the start and length of a crop of side s along a side of
// n pixels: a random start when the image is large enough, else the whole
// side.
func offset(u float64, n, s int) (start, length int) {
	if n <= s {
		return 0, n
	}
	return min(int(u*float64(n-s+1)), n-s), s
}
