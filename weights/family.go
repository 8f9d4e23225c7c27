package weights

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"
)

// A model family is one model trained at several rate points. The convention
// is one complete .smw file per quality level, all with the same Metadata.Model
// and distinct Metadata.Quality. Keeping one file per quality means each file
// has its own ID (the bitstream names exactly the weights it needs), a decoder
// loads only the level a stream uses, and an embedded default is simply a
// folder of files: //go:embed models, then LoadFamily(fsys, "models/*.smw").

// Family is a set of model files of one model, one per quality level. It is
// safe for concurrent use; files are parsed when first asked for.
type Family struct {
	name    string
	members []*member // sorted by quality
}

type member struct {
	meta Metadata
	load func() (*File, error)
	once sync.Once
	file *File
	err  error
}

// NewFamily groups already loaded files into a family.
func NewFamily(files ...*File) (*Family, error) {
	ms := make([]*member, len(files))
	for i, f := range files {
		ms[i] = &member{meta: f.Meta, load: func() (*File, error) { return f, nil }}
	}
	return newFamily(ms)
}

// LoadFamily indexes the model files in fsys matching pattern (fs.Glob syntax,
// e.g. "models/*.smw"). Only headers are read now; the tensor data of a level
// is read on its first use. A pattern that matches nothing gives an empty
// family, which is not an error: check Len.
func LoadFamily(fsys fs.FS, pattern string) (*Family, error) {
	ms, err := indexMembers(fsys, pattern)
	if err != nil {
		return nil, err
	}
	return newFamily(ms)
}

// LoadFamilies is LoadFamily for files of several models, in name order:
// one family per model name, or several where generations of a model share
// its name and a quality (two variable-rate files, each quality 1): files,
// in path order, join the first family of their name that lacks their
// quality.
func LoadFamilies(fsys fs.FS, pattern string) ([]*Family, error) {
	ms, err := indexMembers(fsys, pattern)
	if err != nil {
		return nil, err
	}
	byName := map[string][][]*member{}
	for _, m := range ms {
		groups := byName[m.meta.Model]
		i := slices.IndexFunc(groups, func(g []*member) bool {
			return !slices.ContainsFunc(g, func(o *member) bool { return o.meta.Quality == m.meta.Quality })
		})
		if i < 0 {
			i = len(groups)
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], m)
		byName[m.meta.Model] = groups
	}
	var fams []*Family
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		for _, g := range byName[name] {
			fam, err := newFamily(g)
			if err != nil {
				return nil, err
			}
			fams = append(fams, fam)
		}
	}
	return fams, nil
}

// indexMembers reads the header of every file matching pattern.
func indexMembers(fsys fs.FS, pattern string) ([]*member, error) {
	names, err := fs.Glob(fsys, pattern)
	if err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	ms := make([]*member, 0, len(names))
	for _, name := range names {
		fh, err := fsys.Open(name)
		if err != nil {
			return nil, fmt.Errorf("weights: %w", err)
		}
		meta, err := DecodeMetadata(fh)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%w (%s)", err, name)
		}
		ms = append(ms, &member{meta: meta, load: func() (*File, error) {
			f, err := ReadFS(fsys, name)
			if err == nil && (f.Meta.Model != meta.Model || f.Meta.Quality != meta.Quality) {
				err = FormatError(name + " changed while loading")
			}
			return f, err
		}})
	}
	return ms, nil
}

func newFamily(ms []*member) (*Family, error) {
	fam := &Family{members: ms}
	slices.SortFunc(ms, func(a, b *member) int { return a.meta.Quality - b.meta.Quality })
	for i, m := range ms {
		if i == 0 {
			fam.name = m.meta.Model
		} else if m.meta.Model != fam.name {
			return nil, fmt.Errorf("weights: model family mixes %q and %q", fam.name, m.meta.Model)
		}
		if m.meta.Quality < 1 {
			return nil, fmt.Errorf("weights: model %q has quality %d; qualities start at 1", m.meta.Model, m.meta.Quality)
		}
		if i > 0 && ms[i-1].meta.Quality == m.meta.Quality {
			return nil, fmt.Errorf("weights: model family %q has two files for quality %d", fam.name, m.meta.Quality)
		}
	}
	return fam, nil
}

// Name returns the model name shared by the family's files ("" if empty).
func (fam *Family) Name() string { return fam.name }

// Len returns the number of quality levels.
func (fam *Family) Len() int { return len(fam.members) }

// Qualities returns the available quality levels in increasing order.
func (fam *Family) Qualities() []int {
	qs := make([]int, len(fam.members))
	for i, m := range fam.members {
		qs[i] = m.meta.Quality
	}
	return qs
}

func (fam *Family) find(quality int) (*member, error) {
	for _, m := range fam.members {
		if m.meta.Quality == quality {
			return m, nil
		}
	}
	return nil, fmt.Errorf("%w: model %q has no quality %d (have %v)", ErrNotFound, fam.name, quality, fam.Qualities())
}

// Metadata returns the metadata of the given quality level without loading
// its tensors.
func (fam *Family) Metadata(quality int) (Metadata, error) {
	m, err := fam.find(quality)
	if err != nil {
		return Metadata{}, err
	}
	return m.meta, nil
}

// Quality returns the model file of the given quality level, loading it on
// first use.
func (fam *Family) Quality(quality int) (*File, error) {
	m, err := fam.find(quality)
	if err != nil {
		return nil, err
	}
	m.once.Do(func() { m.file, m.err = m.load() })
	return m.file, m.err
}
