package codec

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/weights"
)

// withoutFrozen copies f without its entropy/ tensors, as an exporter that
// knows nothing of them (trainer.Export) writes it.
func withoutFrozen(t *testing.T, f *weights.File) *weights.File {
	t.Helper()
	g := weights.New(f.Meta)
	for _, name := range f.Names() {
		if strings.HasPrefix(name, weights.FrozenPrefix) {
			continue
		}
		tt, _ := f.Tensor(name)
		if err := g.Add(tt); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func TestFreeze(t *testing.T) {
	f, err := testModelFile()
	if err != nil {
		t.Fatal(err)
	}
	g := withoutFrozen(t, f)
	if _, err := NewModel(g); !errors.Is(err, weights.ErrNotFound) {
		t.Errorf("model without tables: %v", err)
	}
	if err := Freeze(g); err != nil {
		t.Fatal(err)
	}
	// Same variables give the same tables, the same bytes and the same ID.
	a, _ := f.Bytes()
	b, _ := g.Bytes()
	if !bytes.Equal(a, b) {
		t.Error("freezing the same variables again gave a different file")
	}
	if err := Freeze(g); err != nil {
		t.Errorf("freezing a frozen file: %v", err)
	}
	broken := withoutFrozen(t, f)
	broken.Meta.Config = nil
	if err := Freeze(broken); err == nil {
		t.Error("file without configuration accepted")
	}
}

func TestModelFileChecks(t *testing.T) {
	f, err := testModelFile()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := f.Bytes()
	m, err := ParseModel(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.ID() != mustModel(t).ID() || m.Quality() != 2 || m.Name() != "semcodec-test-tiny" || len(m.Classes()) != 11 {
		t.Errorf("parsed model: %s q%d %s %d classes", m.ID(), m.Quality(), m.Name(), len(m.Classes()))
	}
	// A hyper-synthesis that does not match the configuration is refused.
	g := weights.New(f.Meta)
	for _, name := range f.Names() {
		tt, _ := f.Tensor(name)
		if name == "hyper_synthesis/out/biases" {
			v, _ := tt.Float32()
			tt, _ = weights.NewF32(name, []int{len(v) - 1}, v[1:])
		}
		g.Add(tt)
	}
	if _, err := NewModel(g); err == nil {
		t.Error("inconsistent hyper-synthesis accepted")
	}
	g.Meta.Quality = 0
	if _, err := NewModel(g); err == nil {
		t.Error("quality 0 accepted")
	}
}
