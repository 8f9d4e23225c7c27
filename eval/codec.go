package eval

import (
	"fmt"
	"image"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Codec is a lossy image codec evaluated at a grid of integer qualities. The
// meaning of a quality is the codec's own (JPEG quality, AVIF quantizer,
// JPEG 2000 compression ratio, the learned codec's model index); the harness
// only walks the grid. A Codec need not be safe for concurrent use: the
// harness creates one per worker.
type Codec interface {
	// Name is the registry name, used in results and plots.
	Name() string
	// Description says which implementation and settings produced the
	// results (it becomes the results file's description).
	Description() string
	// Qualities is the default grid, in the order points are reported.
	Qualities() []int
	// Encode compresses img at quality q into the exact bytes that would be
	// stored; their length is the rate.
	Encode(img *image.RGBA, q int) ([]byte, error)
	// Decode rebuilds the image from bytes made by Encode.
	Decode(data []byte) (*image.RGBA, error)
}

// Preparer is implemented by codecs with per-image set-up that must not
// count as encoding time, such as writing the input file an external encoder
// reads. The harness calls Prepare once per image before timing Encode.
type Preparer interface {
	Prepare(img *image.RGBA) error
}

// SelfTimer is implemented by codecs whose Encode and Decode do harness work
// (temporary files, format conversion) around the codec proper. After each
// Encode or Decode, LastRunTime returns the time spent in the codec itself,
// which the harness reports instead of its own wall-clock measure.
type SelfTimer interface {
	LastRunTime() time.Duration
}

// RateEstimator is implemented by learned codecs that predict their own
// rate from the entropy model's likelihoods. The harness records the
// prediction beside the real file size, untimed, so a results file shows
// how closely the coder meets the model's estimate.
type RateEstimator interface {
	EstimateBits(img *image.RGBA, q int) (float64, error)
}

// Options configure a codec instance; the zero value means the codec's
// defaults.
type Options struct {
	// Qualities replaces the codec's default grid when not empty.
	Qualities []int
	// Model is the path of a model file, for learned codecs.
	Model string
	// Params holds codec-specific settings ("key" -> "value").
	Params map[string]string
}

// Factory makes a codec instance. It returns an *UnavailableError when the
// codec cannot run here (a missing tool or model).
type Factory func(opts Options) (Codec, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a codec available under name. It panics when name is empty
// or already taken: registration happens in init functions, where a clash is
// a programming error.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if name == "" || f == nil {
		panic("eval.Register with empty name or nil factory")
	}
	if _, dup := registry[name]; dup {
		panic("eval.Register called twice for " + name)
	}
	registry[name] = f
}

// Names lists the registered codec names in sorted order.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the factory registered under name, or an error wrapping
// ErrUnknownCodec that lists the known names.
func Lookup(name string) (Factory, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		hint := ""
		if name == "semcodec" {
			hint = " (the learned codec is not registered in this build)"
		}
		return nil, fmt.Errorf("%w %q%s; known codecs: %s", ErrUnknownCodec, name, hint, strings.Join(Names(), ", "))
	}
	return f, nil
}

// New makes an instance of the codec registered under name.
func New(name string, opts Options) (Codec, error) {
	f, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return f(opts)
}

// grid returns the qualities a codec is evaluated at.
func grid(c Codec, opts Options) []int {
	if len(opts.Qualities) > 0 {
		return slices.Clone(opts.Qualities)
	}
	return c.Qualities()
}
