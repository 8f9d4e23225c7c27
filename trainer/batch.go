package trainer

import (
	"fmt"
	"image"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Batch is one training batch in plain slices.
type Batch struct {
	Size, Crop int
	Images     []float32 // Size×Crop×Crop×3 in [0,1]
	Labels     []int32   // Size×Crop×Crop; -1 for pixels without a class
	Items      []int     // source index of each crop
}

// Batcher cuts batches of random crops from a Source. Batch t depends only on
// the seed, t and the source, never on earlier calls, so a resumed run sees
// exactly the batches an uninterrupted run would have seen.
//
// Samples are drawn without replacement within an epoch: the global crop
// counter c = t·B + b picks position c mod N of epoch c div N's permutation.
// Each crop's offset and horizontal flip come from a generator seeded with
// (seed, c).
type Batcher struct {
	src         Source
	batch, crop int
	seed        uint64

	permMu    sync.Mutex
	permEpoch int
	perm      []int

	cacheMu    sync.Mutex
	cache      map[int]*decodedItem
	cacheBytes int64
	cacheLimit int64
}

type decodedItem struct {
	img *image.RGBA
	lab []uint8 // nil when unlabelled
}

// DefaultCacheBytes bounds the memory a Batcher spends keeping decoded images
// (about 5 bytes per pixel); items beyond it are decoded at every use.
const DefaultCacheBytes = 3 << 30

// NewBatcher returns a Batcher of batch crops of crop×crop pixels.
func NewBatcher(src Source, batch, crop int, seed uint64) (*Batcher, error) {
	if src == nil || src.Len() == 0 {
		return nil, fmt.Errorf("trainer: no training images")
	}
	if batch < 1 || crop < 1 {
		return nil, fmt.Errorf("trainer: batch %d and crop %d must be positive", batch, crop)
	}
	return &Batcher{src: src, batch: batch, crop: crop, seed: seed, permEpoch: -1,
		cache: map[int]*decodedItem{}, cacheLimit: DefaultCacheBytes}, nil
}

// epochPerm returns the sample order of epoch e.
func (b *Batcher) epochPerm(e int) []int {
	b.permMu.Lock()
	defer b.permMu.Unlock()
	if e != b.permEpoch {
		r := rand.New(rand.NewPCG(b.seed, 0x7e9a0000+uint64(e)))
		b.perm = r.Perm(b.src.Len())
		b.permEpoch = e
	}
	return b.perm
}

type cropPlan struct {
	item int
	u, v float64
	flip bool
}

func (b *Batcher) plan(t int) []cropPlan {
	n := b.src.Len()
	plans := make([]cropPlan, b.batch)
	for k := range plans {
		c := uint64(t)*uint64(b.batch) + uint64(k)
		perm := b.epochPerm(int(c / uint64(n)))
		r := rand.New(rand.NewPCG(b.seed^0x5eedc0de5eedc0de, c))
		plans[k] = cropPlan{item: perm[c%uint64(n)], u: r.Float64(), v: r.Float64(), flip: r.IntN(2) == 1}
	}
	return plans
}

// Batch returns batch t (0-based: the batch of training step t+1).
func (b *Batcher) Batch(t int) (*Batch, error) {
	if t < 0 {
		return nil, fmt.Errorf("trainer: negative batch index %d", t)
	}
	plans := b.plan(t)
	s := b.crop
	out := &Batch{Size: b.batch, Crop: s, Images: make([]float32, b.batch*s*s*3),
		Labels: make([]int32, b.batch*s*s), Items: make([]int, b.batch)}
	errs := make([]error, len(plans))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for k, p := range plans {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[k] = b.fill(out, k, p)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *Batcher) load(i int) (*decodedItem, error) {
	b.cacheMu.Lock()
	d, ok := b.cache[i]
	b.cacheMu.Unlock()
	if ok {
		return d, nil
	}
	img, lab, err := b.src.Load(i)
	if err != nil {
		return nil, fmt.Errorf("trainer: load %s: %w", b.src.Item(i).Name, err)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if lab != nil && len(lab) != w*h {
		return nil, fmt.Errorf("trainer: %s: %d labels for a %dx%d image", b.src.Item(i).Name, len(lab), w, h)
	}
	d = &decodedItem{img: img, lab: lab}
	size := int64(len(img.Pix) + len(lab))
	b.cacheMu.Lock()
	if b.cacheBytes+size <= b.cacheLimit {
		b.cache[i] = d
		b.cacheBytes += size
	}
	b.cacheMu.Unlock()
	return d, nil
}

// fill writes crop k. A side shorter than the crop is extended by repeating
// its last pixel (as model.PadImage does), with those pixels' labels ignored.
func (b *Batcher) fill(out *Batch, k int, p cropPlan) error {
	d, err := b.load(p.item)
	if err != nil {
		return err
	}
	out.Items[k] = p.item
	s := b.crop
	w, h := d.img.Rect.Dx(), d.img.Rect.Dy()
	x0, y0 := offset(p.u, w, s), offset(p.v, h, s)
	imgs := out.Images[k*s*s*3:][:s*s*3]
	labs := out.Labels[k*s*s:][:s*s]
	for y := 0; y < s; y++ {
		sy := min(y0+y, h-1)
		row := d.img.Pix[d.img.PixOffset(d.img.Rect.Min.X, d.img.Rect.Min.Y+sy):]
		for x := 0; x < s; x++ {
			sx := min(x0+x, w-1)
			dx := x
			if p.flip {
				dx = s - 1 - x
			}
			o := y*s + dx
			imgs[3*o] = float32(row[4*sx]) / 255
			imgs[3*o+1] = float32(row[4*sx+1]) / 255
			imgs[3*o+2] = float32(row[4*sx+2]) / 255
			labs[o] = -1
			if d.lab != nil && y0+y < h && x0+x < w {
				if v := d.lab[sy*w+sx]; v != ignoreByte {
					labs[o] = int32(v)
				}
			}
		}
	}
	return nil
}

// offset is a crop start along a side of n pixels: uniform over the valid
// starts, or 0 when the side is shorter than the crop.
func offset(u float64, n, s int) int {
	if n <= s {
		return 0
	}
	return min(int(u*float64(n-s+1)), n-s)
}
