package learned

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// Family is a learned model at several rate points, one model per quality.
// It is safe for concurrent use; models load on first use and stay loaded.
type Family struct {
	name     string
	source   string // "embedded" or the paths it came from
	semantic bool
	classes  int
	members  []*member // by increasing quality
	// levels > 0: one variable-rate model file (members[0]) serving
	// qualities 1..levels.
	levels int
}

type member struct {
	quality int
	path    string // "" for an embedded model
	once    sync.Once
	m       *codec.Model
	frozen  atomic.Bool // entropy tables computed at load: the file lacked them
	err     error
}

// families caches opened families by spec, so every codec instance (the
// harness makes one per worker) shares the loaded weights.
var (
	familiesMu sync.Mutex
	families   = map[string]*Family{}
)

// OpenFamily opens the models named by spec: "" for the family embedded in
// the codec, else a .smw file, a folder (its *.smw files) or a glob pattern.
// The files must share one model name and differ in quality. Only their
// headers are read here; weights load on first use. An empty embedded
// family gives an error wrapping codec.ErrNoModel; a folder or pattern
// without model files gives ErrNoModelFiles.
func OpenFamily(spec string) (*Family, error) {
	key := spec
	if spec != "" {
		if abs, err := filepath.Abs(spec); err == nil {
			key = abs
		}
	}
	familiesMu.Lock()
	defer familiesMu.Unlock()
	if f := families[key]; f != nil {
		return f, nil
	}
	var (
		f   *Family
		err error
	)
	if spec == "" {
		f, err = openEmbedded()
	} else {
		f, err = openFiles(spec)
	}
	if err != nil {
		return nil, err
	}
	families[key] = f
	return f, nil
}

func openEmbedded() (*Family, error) {
	qs := codec.DefaultQualities()
	if len(qs) == 0 {
		return nil, fmt.Errorf("%w: this build embeds no model", codec.ErrNoModel)
	}
	f := &Family{source: "embedded"}
	for _, q := range qs {
		f.members = append(f.members, &member{quality: q})
	}
	// The embedded family has no header-only view: load one model for the
	// name and the class set.
	m, err := f.Model(qs[0])
	if err != nil {
		return nil, err
	}
	f.name, f.semantic, f.classes = m.Name(), m.Config().Semantic, m.Config().Classes
	return f, nil
}

// modelPaths expands a --model spec into files.
func modelPaths(spec string) ([]string, error) {
	st, err := os.Stat(spec)
	switch {
	case err == nil && st.IsDir():
		paths, err := filepath.Glob(filepath.Join(globEscape(spec), "*"+weights.Extension))
		if err != nil {
			return nil, fmt.Errorf("learned: model folder %s: %w", spec, err)
		}
		if len(paths) == 0 {
			return nil, fmt.Errorf("%w: folder %s has no *%s file", ErrNoModelFiles, spec, weights.Extension)
		}
		return paths, nil
	case err == nil:
		return []string{spec}, nil
	case strings.ContainsAny(spec, "*?["):
		paths, gerr := filepath.Glob(spec)
		if gerr != nil {
			return nil, fmt.Errorf("learned: model pattern %q: %w", spec, gerr)
		}
		var files []string
		for _, p := range paths {
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				files = append(files, p)
			}
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%w: pattern %q matches no file", ErrNoModelFiles, spec)
		}
		return files, nil
	default:
		return nil, fmt.Errorf("learned: model: %w", err)
	}
}

// globEscape quotes the pattern characters of a literal path.
func globEscape(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func openFiles(spec string) (*Family, error) {
	paths, err := modelPaths(spec)
	if err != nil {
		return nil, err
	}
	f := &Family{source: spec}
	byQuality := map[int]string{}
	for i, p := range paths {
		meta, err := readMetadata(p)
		if err != nil {
			return nil, err
		}
		cfg, err := model.ParseConfig(meta.Config)
		if err != nil {
			return nil, fmt.Errorf("learned: model %s: no valid network configuration in its metadata: %w", p, err)
		}
		if i == 0 {
			f.name, f.semantic, f.classes = meta.Model, cfg.Semantic, cfg.Classes
		}
		if cfg.GainLevels() > 0 {
			if len(paths) > 1 {
				return nil, fmt.Errorf("%w: %s is a variable-rate model, which serves every quality alone", ErrFamily, p)
			}
			f.levels = cfg.GainLevels()
		}
		switch {
		case meta.Model != f.name:
			return nil, fmt.Errorf("%w: %s is model %q, %s is %q", ErrFamily, p, meta.Model, paths[0], f.name)
		case cfg.Semantic != f.semantic || (f.semantic && cfg.Classes != f.classes):
			return nil, fmt.Errorf("%w: %s and %s segment different class sets", ErrFamily, p, paths[0])
		case byQuality[meta.Quality] != "":
			return nil, fmt.Errorf("%w: %s and %s are both quality %d", ErrFamily, byQuality[meta.Quality], p, meta.Quality)
		case meta.Quality < 1:
			return nil, fmt.Errorf("%w: %s has quality %d; qualities start at 1", ErrFamily, p, meta.Quality)
		}
		byQuality[meta.Quality] = p
		f.members = append(f.members, &member{quality: meta.Quality, path: p})
	}
	slices.SortFunc(f.members, func(a, b *member) int { return a.quality - b.quality })
	return f, nil
}

func readMetadata(path string) (weights.Metadata, error) {
	fh, err := os.Open(path)
	if err != nil {
		return weights.Metadata{}, fmt.Errorf("learned: model: %w", err)
	}
	defer fh.Close()
	meta, err := weights.DecodeMetadata(fh)
	if err != nil {
		return weights.Metadata{}, fmt.Errorf("%w (%s)", err, path)
	}
	return meta, nil
}

// Name returns the model name the family's files share.
func (f *Family) Name() string { return f.name }

// Source says where the models come from: "embedded" or the --model spec.
func (f *Family) Source() string { return f.source }

// Semantic reports whether the models carry a semantic branch.
func (f *Family) Semantic() bool { return f.semantic }

// NumClasses returns the number of semantic classes (0 without a semantic
// branch).
func (f *Family) NumClasses() int {
	if !f.semantic {
		return 0
	}
	return f.classes
}

// Qualities returns the family's qualities in increasing order (the levels
// of a variable-rate model).
func (f *Family) Qualities() []int {
	if f.levels > 0 {
		qs := make([]int, f.levels)
		for i := range qs {
			qs[i] = i + 1
		}
		return qs
	}
	qs := make([]int, len(f.members))
	for i, m := range f.members {
		qs[i] = m.quality
	}
	return qs
}

// Model returns the model of quality q, loading it on first use. A file
// written without frozen entropy tables (trainer.Export's output) gets them
// computed at load, as codec.Freeze does at export.
func (f *Family) Model(q int) (*codec.Model, error) {
	var mem *member
	for _, m := range f.members {
		if m.quality == q || (f.levels > 0 && q >= 1 && q <= f.levels) {
			mem = m
		}
	}
	if mem == nil {
		return nil, fmt.Errorf("%w: %d (model %s has %s)", ErrQuality, q, f.name, joinInts(f.Qualities()))
	}
	mem.once.Do(func() {
		var frozen bool
		mem.m, frozen, mem.err = f.load(mem)
		mem.frozen.Store(frozen)
	})
	return mem.m, mem.err
}

func (f *Family) load(mem *member) (*codec.Model, bool, error) {
	if mem.path == "" {
		m, err := codec.DefaultModel(mem.quality)
		return m, false, err
	}
	file, err := weights.Read(mem.path)
	if err != nil {
		return nil, false, fmt.Errorf("%w (%s)", err, mem.path)
	}
	// The header was read when the family was opened; the file must not
	// have become another model since.
	if file.Meta.Quality != mem.quality || (f.name != "" && file.Meta.Model != f.name) {
		return nil, false, fmt.Errorf("%w: %s changed while the evaluation ran", ErrFamily, mem.path)
	}
	frozen := false
	if _, err := file.Tensor(codec.TensorZTables); errors.Is(err, weights.ErrNotFound) {
		if err := codec.Freeze(file); err != nil {
			return nil, false, fmt.Errorf("learned: model %s: %w", mem.path, err)
		}
		frozen = true
	}
	m, err := codec.NewModel(file)
	if err != nil {
		return nil, false, fmt.Errorf("learned: model %s: %w", mem.path, err)
	}
	if m.Config().Semantic != f.semantic || (f.semantic && m.Config().Classes != f.classes) {
		return nil, false, fmt.Errorf("%w: %s segments a different class set", ErrFamily, mem.path)
	}
	return m, frozen, nil
}

// frozenAtLoad reports whether any loaded member needed its entropy tables
// computed at load.
func (f *Family) frozenAtLoad() bool {
	for _, m := range f.members {
		if m.frozen.Load() {
			return true
		}
	}
	return false
}
