package weights

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"image/color"
	"reflect"
	"slices"
	"strconv"
)

// Metadata is the typed view of a model file's "__metadata__" entry.
type Metadata struct {
	// Model names the architecture and training run, e.g. "semcodec-small".
	// Files of one family share it.
	Model string
	// Config is the model configuration as JSON, written by the model package.
	Config json.RawMessage
	// Lambda is the rate-distortion trade-off the model was trained with.
	Lambda float64
	// Quality is the quality index, 1 (lowest rate) upwards.
	Quality int
	// Classes are the semantic class names, in label order.
	Classes []string
	// Palette gives a display colour per label, in label order.
	Palette []color.RGBA
	// Extra holds any other metadata keys, e.g. training provenance.
	Extra map[string]string
}

// File is a model file: metadata plus named tensors.
type File struct {
	Meta    Metadata
	tensors map[string]*Tensor
	// version is the format version read from the file (FormatVersion for new files).
	version int
	// raw holds the exact bytes the file was parsed from, so that Hash covers
	// the file as stored even if another writer laid it out differently;
	// rawMeta is the metadata parsed from them, to notice later edits of Meta.
	raw     []byte
	rawMeta Metadata
}

// New returns an empty model file with the given metadata.
func New(meta Metadata) *File {
	return &File{Meta: meta, tensors: map[string]*Tensor{}, version: FormatVersion}
}

// Add adds t to f. The name must be unique, non-empty and not reserved; t's
// data must match its dtype and shape.
func (f *File) Add(t *Tensor) error {
	if err := checkName(t.Name); err != nil {
		return err
	}
	if _, err := t.check(); err != nil {
		return err
	}
	if _, dup := f.tensors[t.Name]; dup {
		return fmt.Errorf("weights: duplicate tensor %q", t.Name)
	}
	f.tensors[t.Name] = t
	f.raw = nil
	return nil
}

func checkName(name string) error {
	if name == "" || name == metadataKey {
		return fmt.Errorf("weights: invalid tensor name %q", name)
	}
	return nil
}

// Tensor returns the named tensor, or an error wrapping ErrNotFound.
func (f *File) Tensor(name string) (*Tensor, error) {
	t, ok := f.tensors[name]
	if !ok {
		return nil, fmt.Errorf("%w: tensor %q", ErrNotFound, name)
	}
	return t, nil
}

// Float32 returns the named tensor's values as float32 after checking that
// its shape is shape. It is the usual way a loader fetches a weight.
func (f *File) Float32(name string, shape ...int) ([]float32, error) {
	t, err := f.Tensor(name)
	if err != nil {
		return nil, err
	}
	if !t.HasShape(shape...) {
		return nil, fmt.Errorf("weights: tensor %q has shape %v, want %v", name, t.Shape, shape)
	}
	return t.Float32()
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string {
	names := make([]string, 0, len(f.tensors))
	for n := range f.tensors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Len returns the number of tensors.
func (f *File) Len() int { return len(f.tensors) }

// Version returns the format version of the file.
func (f *File) Version() int { return f.version }

// Bytes returns the file's encoding: the bytes it was parsed from, or, for a
// file built in memory or changed since it was parsed, its canonical encoding.
// The caller must not modify the result.
func (f *File) Bytes() ([]byte, error) {
	if f.raw != nil && reflect.DeepEqual(f.Meta, f.rawMeta) {
		return f.raw, nil
	}
	return f.encode()
}

// Hash returns the SHA-256 of the file's bytes (see Bytes).
func (f *File) Hash() ([32]byte, error) {
	b, err := f.Bytes()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// ID returns the model ID: the first IDSize bytes of Hash.
func (f *File) ID() (ID, error) {
	h, err := f.Hash()
	if err != nil {
		return ID{}, err
	}
	var id ID
	copy(id[:], h[:])
	return id, nil
}

// encodeMetadata turns Meta into the string map stored in the header.
func (f *File) encodeMetadata() (map[string]string, error) {
	m := f.Meta
	out := make(map[string]string, len(m.Extra)+8)
	for k, v := range m.Extra {
		switch k {
		case KeyFormat, KeyFormatVersion, KeyModel, KeyConfig, KeyLambda, KeyQuality, KeyClasses, KeyPalette:
			return nil, fmt.Errorf("weights: metadata key %q is reserved; set the Metadata field instead", k)
		}
		out[k] = v
	}
	out[KeyFormat] = FormatName
	out[KeyFormatVersion] = strconv.Itoa(FormatVersion)
	out[KeyModel] = m.Model
	if len(m.Config) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, m.Config); err != nil {
			return nil, fmt.Errorf("weights: metadata config is not valid JSON: %w", err)
		}
		out[KeyConfig] = buf.String()
	}
	out[KeyLambda] = strconv.FormatFloat(m.Lambda, 'g', -1, 64)
	out[KeyQuality] = strconv.Itoa(m.Quality)
	if m.Classes != nil {
		enc, err := json.Marshal(m.Classes)
		if err != nil {
			return nil, err
		}
		out[KeyClasses] = string(enc)
	}
	if m.Palette != nil {
		rgb := make([][3]int, len(m.Palette))
		for i, c := range m.Palette {
			rgb[i] = [3]int{int(c.R), int(c.G), int(c.B)}
		}
		enc, _ := json.Marshal(rgb)
		out[KeyPalette] = string(enc)
	}
	return out, nil
}

// decodeMetadata fills the typed metadata from the header's string map.
func decodeMetadata(raw map[string]string) (Metadata, int, error) {
	var m Metadata
	if raw[KeyFormat] != FormatName {
		return m, 0, FormatError(fmt.Sprintf("metadata %q is %q, want %q", KeyFormat, raw[KeyFormat], FormatName))
	}
	version, err := strconv.Atoi(raw[KeyFormatVersion])
	if err != nil || version < 1 {
		return m, 0, FormatError(fmt.Sprintf("bad %s %q", KeyFormatVersion, raw[KeyFormatVersion]))
	}
	if version > FormatVersion {
		return m, 0, UnsupportedError(fmt.Sprintf("format version %d (newest supported %d)", version, FormatVersion))
	}
	m.Model = raw[KeyModel]
	if s, ok := raw[KeyConfig]; ok {
		if !json.Valid([]byte(s)) {
			return m, 0, FormatError("config is not valid JSON")
		}
		m.Config = json.RawMessage(s)
	}
	if s, ok := raw[KeyLambda]; ok {
		if m.Lambda, err = strconv.ParseFloat(s, 64); err != nil {
			return m, 0, FormatError(fmt.Sprintf("bad lambda %q", s))
		}
	}
	if s, ok := raw[KeyQuality]; ok {
		if m.Quality, err = strconv.Atoi(s); err != nil {
			return m, 0, FormatError(fmt.Sprintf("bad quality %q", s))
		}
	}
	if s, ok := raw[KeyClasses]; ok {
		if err := json.Unmarshal([]byte(s), &m.Classes); err != nil {
			return m, 0, FormatError("classes: " + err.Error())
		}
	}
	if s, ok := raw[KeyPalette]; ok {
		var rgb [][3]uint8
		if err := json.Unmarshal([]byte(s), &rgb); err != nil {
			return m, 0, FormatError("palette: " + err.Error())
		}
		m.Palette = make([]color.RGBA, len(rgb))
		for i, c := range rgb {
			m.Palette[i] = color.RGBA{c[0], c[1], c[2], 255}
		}
	}
	for k, v := range raw {
		switch k {
		case KeyFormat, KeyFormatVersion, KeyModel, KeyConfig, KeyLambda, KeyQuality, KeyClasses, KeyPalette:
			continue
		}
		if m.Extra == nil {
			m.Extra = map[string]string{}
		}
		m.Extra[k] = v
	}
	return m, version, nil
}
