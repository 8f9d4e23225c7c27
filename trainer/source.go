package trainer

import (
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/semcodec/semcodec/datapack"
	"github.com/semcodec/semcodec/dataset"
)

// Item describes one training or validation image.
type Item struct {
	Name       string
	Classes    string // class set of the labels ("camvid", "cityscapes"); "" when unlabelled
	NumClasses int    // 0 when unlabelled
	Width      int
	Height     int
}

// Source is a random-access collection of images with optional label maps.
// Load returns labels as one byte per pixel, row-major: the class index, or
// datapack.IgnoreLabel (255) for pixels without a class; nil when the item is
// unlabelled. Load must be safe for concurrent use.
type Source interface {
	Len() int
	Item(i int) Item
	Load(i int) (*image.RGBA, []uint8, error)
}

// ignoreByte is how Source labels mark pixels without a class.
const ignoreByte = datapack.IgnoreLabel

// OpenData opens and concatenates data specs. A spec naming a file that
// starts with the data pack magic is read as a pack (see package datapack);
// anything else is a dataset spec (folder, optionally "camvid:", "cityscapes:"
// or "images:" prefixed; see package dataset). Every image and label header
// is checked up front, so a missing folder, an image without its label file
// or a corrupt pack fails here, naming the file. A spec ending in "*N"
// (N ≥ 1) enters N times, so that each epoch draws its images N times: the
// way to weigh a small set (20 photos beside 367 CamVid frames) up.
func OpenData(specs []string) (Source, error) {
	if len(specs) == 0 {
		return nil, errors.New("trainer: no data given")
	}
	var parts []Source
	for _, spec := range specs {
		spec, n, err := repeats(strings.TrimSpace(spec))
		if err != nil {
			return nil, err
		}
		var part Source
		if isPack(spec) {
			p, err := datapack.Open(spec)
			if err != nil {
				return nil, err
			}
			part = packSource{p}
		} else {
			samples, err := dataset.List(spec)
			if err != nil {
				return nil, err
			}
			part = newDirSource(samples)
		}
		for range n {
			parts = append(parts, part)
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return newMultiSource(parts), nil
}

// maxRepeats bounds a spec's "*N": beyond it a typo, not a weighting.
const maxRepeats = 1000

// repeats splits a trailing "*N" off spec: the spec and N (1 without one).
func repeats(spec string) (string, int, error) {
	i := strings.LastIndexByte(spec, '*')
	if i < 0 {
		return spec, 1, nil
	}
	n, err := strconv.Atoi(spec[i+1:])
	if err != nil || n < 1 || n > maxRepeats {
		return "", 0, fmt.Errorf("trainer: data spec %q: want SPEC*N with N in 1..%d", spec, maxRepeats)
	}
	return spec[:i], n, nil
}

// SplitSpecs splits a comma-separated list of data specs, dropping empty
// entries.
func SplitSpecs(list string) []string {
	var out []string
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// isPack reports whether path is a regular file starting with the pack magic.
func isPack(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || st.IsDir() {
		return false
	}
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return false
	}
	return string(magic[:]) == datapack.Magic
}

// ClassSet returns the one class set shared by every labelled item of src:
// its name and class count, or "", 0 when nothing is labelled. Mixing class
// sets (CamVid with Cityscapes) is an error, since the network has one
// segmentation head.
func ClassSet(src Source) (string, int, error) {
	name, k := "", 0
	for i := 0; i < src.Len(); i++ {
		it := src.Item(i)
		if it.NumClasses == 0 {
			continue
		}
		if name == "" {
			name, k = it.Classes, it.NumClasses
			continue
		}
		if it.Classes != name || it.NumClasses != k {
			return "", 0, fmt.Errorf("trainer: data mixes class sets %s (%d classes) and %s (%d classes), e.g. at %s",
				name, k, it.Classes, it.NumClasses, it.Name)
		}
	}
	return name, k, nil
}

// packSource reads a data pack.
type packSource struct{ p *datapack.Pack }

func (s packSource) Len() int { return s.p.Len() }

func (s packSource) Item(i int) Item {
	in := s.p.Info(i)
	return Item{Name: in.Name, Classes: in.Classes, NumClasses: in.NumClasses, Width: in.Width, Height: in.Height}
}

func (s packSource) Load(i int) (*image.RGBA, []uint8, error) {
	img, err := s.p.Image(i)
	if err != nil {
		return nil, nil, err
	}
	l, err := s.p.Labels(i)
	if err != nil || l == nil {
		return img, nil, err
	}
	w, h := l.Rect.Dx(), l.Rect.Dy()
	lab := make([]uint8, w*h)
	for y := 0; y < h; y++ {
		copy(lab[y*w:(y+1)*w], l.Pix[l.PixOffset(l.Rect.Min.X, l.Rect.Min.Y+y):])
	}
	return img, lab, nil
}

// dirSource reads samples listed by package dataset.
type dirSource struct {
	samples []dataset.Sample
	names   []string
}

func newDirSource(samples []dataset.Sample) *dirSource {
	return &dirSource{samples: samples, names: RelativeNames(samples)}
}

// RelativeNames names each sample by its image path relative to the deepest
// folder that holds them all, which keeps names unique and free of the
// machine's absolute paths.
func RelativeNames(samples []dataset.Sample) []string {
	names := make([]string, len(samples))
	if len(samples) == 0 {
		return names
	}
	common := filepath.Dir(filepath.Clean(samples[0].Image))
	for _, s := range samples[1:] {
		for !strings.HasPrefix(filepath.Clean(s.Image), common+string(filepath.Separator)) && common != filepath.Dir(common) {
			common = filepath.Dir(common)
		}
	}
	for i, s := range samples {
		rel, err := filepath.Rel(common, filepath.Clean(s.Image))
		if err != nil {
			rel = s.Image
		}
		names[i] = filepath.ToSlash(rel)
	}
	return names
}

func (s *dirSource) Len() int { return len(s.samples) }

func (s *dirSource) Item(i int) Item {
	sm := s.samples[i]
	it := Item{Name: s.names[i], Width: sm.Width, Height: sm.Height}
	if sm.Label != "" && sm.Layout != dataset.Images {
		it.Classes, it.NumClasses = sm.Layout.String(), sm.Layout.NumClasses()
	}
	return it
}

func (s *dirSource) Load(i int) (*image.RGBA, []uint8, error) {
	sm := s.samples[i]
	img, lab32, err := sm.Load()
	if err != nil {
		return nil, nil, err
	}
	if sm.Label == "" || sm.Layout == dataset.Images {
		return img, nil, nil
	}
	lab := make([]uint8, len(lab32))
	for j, v := range lab32 {
		if v < 0 || v >= ignoreByte {
			lab[j] = ignoreByte
		} else {
			lab[j] = uint8(v)
		}
	}
	return img, lab, nil
}

// multiSource concatenates sources.
type multiSource struct {
	parts  []Source
	starts []int
	n      int
}

func newMultiSource(parts []Source) *multiSource {
	m := &multiSource{parts: parts}
	for _, p := range parts {
		m.starts = append(m.starts, m.n)
		m.n += p.Len()
	}
	return m
}

func (m *multiSource) locate(i int) (Source, int) {
	for k := len(m.parts) - 1; k >= 0; k-- {
		if i >= m.starts[k] {
			return m.parts[k], i - m.starts[k]
		}
	}
	return m.parts[0], i
}

func (m *multiSource) Len() int { return m.n }

func (m *multiSource) Item(i int) Item { p, j := m.locate(i); return p.Item(j) }

func (m *multiSource) Load(i int) (*image.RGBA, []uint8, error) {
	p, j := m.locate(i)
	return p.Load(j)
}
