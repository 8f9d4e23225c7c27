package codec

import (
	"fmt"
	"image/color"
	"io/fs"
	"math"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/entropy"
	"github.com/semcodec/semcodec/fixedpoint"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/weights"
)

// Names of the frozen entropy tensors in a model file (written by Export).
const (
	// TensorZTables holds the hyper-latent's quantized CDFs, one per channel,
	// serialized by entropy.Tables.MarshalBinary (U8).
	TensorZTables = weights.FrozenPrefix + "z_tables"
	// TensorZCenters holds the integer each channel's symbols are coded
	// relative to, round(median) (I32 [NHyper]).
	TensorZCenters = weights.FrozenPrefix + "z_centers"
)

// Model is a loaded model: the network's weights in a GoMLX context, its
// fixed-point hyper-synthesis and its frozen entropy tables. It is safe for
// concurrent use.
type Model struct {
	file     *weights.File
	id       weights.ID
	cfg      model.Config
	classes  []string
	palette  color.Palette
	hyper    *fixedpoint.HyperSynthesis
	zTables  *entropy.Tables
	zCenters []int32
	gains    *gainTables // nil for a fixed-rate model

	ctx   *context.Context
	execs execCache
	// be, when set, replaces the shared backend (tests compare backends).
	be backends.Backend
}

// LoadModel reads a model file (.smw).
func LoadModel(path string) (*Model, error) {
	f, err := weights.Read(path)
	if err != nil {
		return nil, err
	}
	return NewModel(f)
}

// ParseModel loads a model from the bytes of a model file, e.g. a go:embed
// variable. data must not be modified afterwards.
func ParseModel(data []byte) (*Model, error) {
	f, err := weights.Parse(data)
	if err != nil {
		return nil, err
	}
	return NewModel(f)
}

// NewModel prepares a parsed model file for coding: it checks the
// configuration, quantizes the hyper-synthesis, loads the entropy tables and
// puts the network's variables in a GoMLX context.
func NewModel(f *weights.File) (*Model, error) {
	m := &Model{file: f}
	var err error
	if m.id, err = f.ID(); err != nil {
		return nil, err
	}
	if m.cfg, err = networkConfig(f); err != nil {
		return nil, err
	}
	if err := m.cfg.Codable(); err != nil {
		return nil, err
	}
	if f.Meta.Quality < 1 || f.Meta.Quality > math.MaxUint8 {
		return nil, weights.FormatError(fmt.Sprintf("quality %d outside 1..255", f.Meta.Quality))
	}
	if len(f.Meta.Model) > 255 {
		return nil, weights.FormatError("model name longer than 255 bytes")
	}
	if m.hyper, err = fixedpoint.Load(f, model.ScopeHyperSynthesis); err != nil {
		return nil, err
	}
	if m.hyper.InputChannels() != m.cfg.NHyper || m.hyper.OutputChannels() != m.cfg.LatentChannels() {
		return nil, weights.FormatError(fmt.Sprintf("hyper-synthesis maps %d to %d channels; the configuration says %d to %d",
			m.hyper.InputChannels(), m.hyper.OutputChannels(), m.cfg.NHyper, m.cfg.LatentChannels()))
	}
	if err := m.loadZTables(); err != nil {
		return nil, err
	}
	if m.cfg.GainLevels() > 0 {
		if m.gains, err = loadGains(f, m.cfg); err != nil {
			return nil, err
		}
	}
	m.classes, m.palette = classesAndPalette(f.Meta, m.cfg.Classes)
	if m.ctx, err = variablesContext(f); err != nil {
		return nil, err
	}
	return m, nil
}

// networkConfig parses a model file's network configuration (model.ParseConfig:
// an unknown field, from a newer release, is refused rather than ignored).
func networkConfig(f *weights.File) (model.Config, error) {
	if len(f.Meta.Config) == 0 {
		return model.Config{}, weights.FormatError("no model configuration in the metadata")
	}
	cfg, err := model.ParseConfig(f.Meta.Config)
	if err != nil {
		return cfg, weights.FormatError("model configuration: " + err.Error())
	}
	return cfg, nil
}

func (m *Model) loadZTables() error {
	t, err := m.file.Tensor(TensorZTables)
	if err != nil {
		return err
	}
	if t.DType != weights.U8 {
		return weights.FormatError(TensorZTables + " is not U8")
	}
	if m.zTables, err = entropy.UnmarshalTables(t.Data); err != nil {
		return err
	}
	c, err := m.file.Tensor(TensorZCenters)
	if err != nil {
		return err
	}
	if !c.HasShape(m.cfg.NHyper) {
		return weights.FormatError(fmt.Sprintf("%s has shape %v, want [%d]", TensorZCenters, c.Shape, m.cfg.NHyper))
	}
	if m.zCenters, err = c.Int32(); err != nil {
		return err
	}
	if m.zTables.Len() != m.cfg.NHyper {
		return weights.FormatError(fmt.Sprintf("%d hyper-latent tables for %d channels", m.zTables.Len(), m.cfg.NHyper))
	}
	return nil
}

// classesAndPalette returns the metadata's class names and palette, filling
// in defaults for the well-known class counts.
func classesAndPalette(meta weights.Metadata, k int) ([]string, color.Palette) {
	classes := meta.Classes
	if len(classes) != k {
		switch k {
		case len(imageio.CamVidClasses):
			classes = imageio.CamVidClasses
		case len(imageio.CityscapesClasses):
			classes = imageio.CityscapesClasses
		default:
			classes = make([]string, k)
			for i := range classes {
				classes[i] = fmt.Sprintf("class%d", i)
			}
		}
	}
	var palette color.Palette
	if len(meta.Palette) >= k {
		for _, c := range meta.Palette[:k] {
			palette = append(palette, c)
		}
	} else {
		switch k {
		case len(imageio.CamVidClasses):
			palette = imageio.CamVidPalette[:k:k]
		case len(imageio.CityscapesClasses):
			palette = imageio.CityscapesPalette[:k:k]
		default:
			for i := range k { // evenly spread grays
				v := uint8(i * 255 / max(k-1, 1))
				palette = append(palette, color.RGBA{v, v, v, 255})
			}
		}
	}
	return classes, palette
}

// NetworkContext puts every network tensor of a model file (all but the
// frozen entropy tables) into a new GoMLX context: the tensor "a/b/name"
// becomes variable "name" in scope "/a/b". Tools that run other graphs of the
// same network (evaluation) build on it.
func NetworkContext(f *weights.File) (*context.Context, error) { return variablesContext(f) }

// variablesContext implements NetworkContext.
func variablesContext(f *weights.File) (*context.Context, error) {
	ctx := context.New()
	for _, name := range f.Names() {
		if strings.HasPrefix(name, weights.FrozenPrefix) {
			continue
		}
		t, _ := f.Tensor(name)
		i := strings.LastIndexByte(name, '/')
		if i <= 0 || i == len(name)-1 {
			return nil, weights.FormatError(fmt.Sprintf("tensor name %q has no scope", name))
		}
		var value *tensors.Tensor
		switch t.DType {
		case weights.F32, weights.F16:
			v, err := t.Float32()
			if err != nil {
				return nil, err
			}
			value = tensors.FromFlatDataAndDimensions(v, t.Shape...)
		case weights.I32:
			v, err := t.Int32()
			if err != nil {
				return nil, err
			}
			value = tensors.FromFlatDataAndDimensions(v, t.Shape...)
		default:
			return nil, weights.FormatError(fmt.Sprintf("tensor %q has dtype %v, not a variable type", name, t.DType))
		}
		if err := setVariable(ctx.InAbsPath("/"+name[:i]), name[i+1:], value); err != nil {
			return nil, err
		}
	}
	return ctx, nil
}

// setVariable creates a variable, turning GoMLX's panics (e.g. a duplicate
// name) into errors.
func setVariable(ctx *context.Context, name string, value *tensors.Tensor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = weights.FormatError(fmt.Sprintf("variable %s/%s: %v", ctx.Scope(), name, r))
		}
	}()
	ctx.VariableWithValue(name, value)
	return nil
}

// Name returns the model name.
func (m *Model) Name() string { return m.file.Meta.Model }

// ID returns the model ID written into bitstream headers.
func (m *Model) ID() weights.ID { return m.id }

// Quality returns the model's quality index (that of its file; a
// variable-rate model codes at any quality from 1 to Levels).
func (m *Model) Quality() int { return m.file.Meta.Quality }

// Lambda returns the rate-distortion trade-off the model was trained with.
func (m *Model) Lambda() float64 { return m.file.Meta.Lambda }

// Config returns the network configuration.
func (m *Model) Config() model.Config { return m.cfg }

// Classes returns the semantic class names, in label order.
func (m *Model) Classes() []string { return m.classes }

// Palette returns a display colour per class.
func (m *Model) Palette() color.Palette { return m.palette }

// File returns the underlying model file.
func (m *Model) File() *weights.File { return m.file }

// The default models come from RegisterDefaults, which package zoo calls
// when it is imported (as image/png registers a format): a program that
// needs no default models does not carry their bytes.
var registered struct {
	sync.Mutex
	fsys fs.FS
	used bool
}

// RegisterDefaults makes fsys's models/*.smw the default family (one
// variable-rate file, or one file per quality level) and its
// models/legacy/*.smw earlier defaults, kept so that the files they made
// still decode: decoders find those by model ID, encoders never use them.
// It must be called before the first use of a default model, normally from
// an init function (package zoo's), and only once.
func RegisterDefaults(fsys fs.FS) {
	registered.Lock()
	defer registered.Unlock()
	if registered.fsys != nil || registered.used {
		panic("codec: RegisterDefaults called twice or after the default models were used")
	}
	registered.fsys = fsys
}

// defaultsFS returns the registered models' file system (nil: none).
func defaultsFS() fs.FS {
	registered.Lock()
	defer registered.Unlock()
	registered.used = true
	return registered.fsys
}

var (
	defaultFamily = sync.OnceValues(func() (*weights.Family, error) {
		fsys := defaultsFS()
		if fsys == nil {
			return weights.NewFamily()
		}
		return weights.LoadFamily(fsys, "models/*"+weights.Extension)
	})
	// legacyFamilies are the earlier defaults, one family per model name:
	// they may be of several models and generations.
	legacyFamilies = sync.OnceValues(func() ([]*weights.Family, error) {
		fsys := defaultsFS()
		if fsys == nil {
			return nil, nil
		}
		return weights.LoadFamilies(fsys, "models/legacy/*"+weights.Extension)
	})
	legacyModels  sync.Map // legacyKey -> *defaultEntry
	defaultModels sync.Map // quality -> *defaultEntry
)

// legacyKey names a legacy file: its family's index among the legacy
// families (generations of one model name form several) and its quality.
type legacyKey struct {
	family, quality int
}

type defaultEntry struct {
	once sync.Once
	m    *Model
	err  error
}

// DefaultQualities returns the quality levels of the embedded model family,
// in increasing order (none when no model is embedded): 1 to Levels when the
// default is one variable-rate model, which also codes any quality between.
func DefaultQualities() []int {
	fam, err := defaultFamily()
	if err != nil {
		return nil
	}
	if m := defaultVariable(fam); m != nil {
		qs := make([]int, m.Levels())
		for i := range qs {
			qs[i] = i + 1
		}
		return qs
	}
	return fam.Qualities()
}

// defaultVariable returns the embedded model when it is a single
// variable-rate one, else nil.
func defaultVariable(fam *weights.Family) *Model {
	qs := fam.Qualities()
	if len(qs) != 1 {
		return nil
	}
	m, err := defaultLevel(fam, qs[0])
	if err != nil || m.gains == nil {
		return nil
	}
	return m
}

// defaultModelFor returns the embedded model that codes quality q (0: the
// default): the variable-rate default for any q, else the family's level q,
// which must then be whole.
func defaultModelFor(q float64) (*Model, error) {
	if fam, err := defaultFamily(); err == nil {
		if m := defaultVariable(fam); m != nil {
			return m, nil
		}
	}
	if q != math.Trunc(q) {
		return nil, fmt.Errorf("%w: %g (the embedded models have whole qualities %v)", ErrQuality, q, DefaultQualities())
	}
	return DefaultModel(int(q))
}

// DefaultModel returns the embedded model of the given quality level; 0 means
// DefaultQuality or, if that level is absent, the nearest one. A
// variable-rate default serves every quality from 1 to its Levels.
func DefaultModel(quality int) (*Model, error) {
	fam, err := defaultFamily()
	if err != nil {
		return nil, fmt.Errorf("codec: embedded models: %w", err)
	}
	qs := fam.Qualities()
	if len(qs) == 0 {
		return nil, fmt.Errorf("%w: no default models (import github.com/semcodec/semcodec/zoo to embed them) and none given", ErrNoModel)
	}
	if m := defaultVariable(fam); m != nil {
		if quality != 0 && (quality < 1 || quality > m.Levels()) {
			return nil, fmt.Errorf("%w: %d (the embedded model has qualities 1 to %d)", ErrQuality, quality, m.Levels())
		}
		return m, nil
	}
	if quality == 0 {
		quality = qs[0]
		for _, q := range qs {
			if abs(q-DefaultQuality) < abs(quality-DefaultQuality) {
				quality = q
			}
		}
	}
	return defaultLevel(fam, quality)
}

// defaultLevel loads the embedded family's file of one quality, once.
func defaultLevel(fam *weights.Family, quality int) (*Model, error) {
	return loadMember(&defaultModels, quality, fam, quality)
}

// legacyModel returns the earlier embedded model called name whose ID is
// id, if there is one. A variable-rate model's file has one quality
// whatever the stream's, so every level of the family is tried.
func legacyModel(name string, id weights.ID) (*Model, bool) {
	fams, err := legacyFamilies()
	if err != nil {
		return nil, false
	}
	for i, fam := range fams {
		if fam.Name() != name {
			continue
		}
		for _, q := range fam.Qualities() {
			m, err := loadMember(&legacyModels, legacyKey{i, q}, fam, q)
			if err == nil && m.id == id {
				return m, true
			}
		}
	}
	return nil, false
}

// loadMember loads a family's file of one quality once, caching it in cache
// under key.
func loadMember(cache *sync.Map, key any, fam *weights.Family, quality int) (*Model, error) {
	v, _ := cache.LoadOrStore(key, &defaultEntry{})
	e := v.(*defaultEntry)
	e.once.Do(func() {
		f, err := fam.Quality(quality)
		if err != nil {
			e.err = fmt.Errorf("%w: %w", ErrNoModel, err)
			return
		}
		e.m, e.err = NewModel(f)
	})
	return e.m, e.err
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// The backend is created once and shared by all models: one CPU backend
// already uses every core.
var sharedBackend = sync.OnceValues(func() (backends.Backend, error) { return backend.New() })

func rgba8(r, g, b uint32) color.RGBA {
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
}
