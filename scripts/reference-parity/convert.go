//go:build ignore

// Convert turns a PyTorch reference scale hyperprior (../shared/reference,
// dumped by dump.py) into a semcodec model file: the plain `compact` network
// with transposed synthesis and hyper-synthesis, which is the reference's
// architecture, so both can be scored on the same weights.
//
//	go run scripts/reference-parity/convert.go [-lambda L] [-source S] RAW_DIR OUT.smw
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/pkg/core/tensors"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/trainer"
	"github.com/semcodec/semcodec/weights"
)

type raw struct {
	File  string `json:"file"`
	Shape []int  `json:"shape"`
	data  []float32
}

// load reads dump.py's index.json and the tensors it names.
func load(dir string) (map[string]*raw, error) {
	b, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, err
	}
	idx := map[string]*raw{}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%s/index.json: %w", dir, err)
	}
	for name, t := range idx {
		n := 1
		for _, d := range t.Shape {
			if d <= 0 || d > 1<<16 || len(t.Shape) > 4 {
				return nil, fmt.Errorf("%s: bad shape %v", name, t.Shape)
			}
			n *= d
		}
		if t.File != filepath.Base(t.File) {
			return nil, fmt.Errorf("%s: file %q is not a plain name", name, t.File)
		}
		if b, err = os.ReadFile(filepath.Join(dir, t.File)); err != nil {
			return nil, err
		}
		if len(b) != 4*n {
			return nil, fmt.Errorf("%s: %s holds %d bytes, shape %v wants %d", name, t.File, len(b), t.Shape, 4*n)
		}
		t.data = make([]float32, n)
		for i := range t.data {
			t.data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
	}
	return idx, nil
}

// mapper moves reference tensors into a context under semcodec's names,
// remembering the first error and which tensors it used. Shapes are checked
// later, against the network itself.
type mapper struct {
	ref  map[string]*raw
	used map[string]bool
	ctx  *mlctx.Context
	err  error
}

func (m *mapper) take(ref string, ok func(shape []int) bool) *raw {
	t := m.ref[ref]
	switch {
	case m.err != nil:
		return nil
	case t == nil:
		m.err = fmt.Errorf("the checkpoint lacks %s", ref)
	case !ok(t.Shape):
		m.err = fmt.Errorf("%s has an unexpected shape %v", ref, t.Shape)
	default:
		m.used[ref] = true
		return t
	}
	return nil
}

func (m *mapper) put(name string, shape []int, data []float32) {
	i := strings.LastIndexByte(name, '/')
	m.ctx.InAbsPath("/"+name[:i]).VariableWithValue(name[i+1:], tensors.FromFlatDataAndDimensions(data, shape...))
}

// copy stores a reference tensor as it is, less axis drop (-1: none), a
// singleton the reference keeps for broadcasting and semcodec does not.
func (m *mapper) copy(name, ref string, drop int) {
	t := m.take(ref, func(s []int) bool { return drop < len(s) && (drop < 0 || s[drop] == 1) })
	if t != nil {
		m.put(name, slices.Delete(slices.Clone(t.Shape), max(drop, 0), drop+1), t.data)
	}
}

// conv stores a Conv2d (transposed: ConvTranspose2d) and its bias. PyTorch
// keeps [out,in,kh,kw] ([in,out,kh,kw]); semcodec wants [kh,kw,in,out], and a
// transposed one flipped in space, since it convolves the dilated input.
func (m *mapper) conv(name, ref string, transposed bool) {
	m.copy(name+"/biases", ref+".bias", -1)
	t := m.take(ref+".weight", func(s []int) bool { return len(s) == 4 })
	if t == nil {
		return
	}
	a, b, kh, kw := t.Shape[0], t.Shape[1], t.Shape[2], t.Shape[3]
	w := make([]float32, len(t.data))
	for i := range a {
		for j := range b {
			for y := range kh {
				for x := range kw {
					v := t.data[((i*b+j)*kh+y)*kw+x]
					if transposed {
						w[(((kh-1-y)*kw+kw-1-x)*a+i)*b+j] = v
					} else {
						w[((y*kw+x)*b+j)*a+i] = v
					}
				}
			}
		}
	}
	if transposed {
		a, b = b, a
	}
	m.put(name+"/weights", []int{kh, kw, b, a}, w)
}

func convert(rawDir, outPath, source string, lambda float64) error {
	ref, err := load(rawDir)
	if err != nil {
		return err
	}
	// The named configuration as `semcodec train --config compact --no-semantic
	// --transposed-synthesis --transposed-hyper-synthesis` builds it.
	cfg, err := model.ConfigByName("compact")
	if err != nil {
		return err
	}
	cfg.Semantic, cfg.Enhancement = false, false
	cfg.TransposedSynthesis, cfg.TransposedHyperSynthesis = true, true

	m := &mapper{ref: ref, used: map[string]bool{}, ctx: mlctx.New()}
	for i := 1; i <= 4; i++ {
		m.conv(fmt.Sprintf("analysis/conv%d", i), fmt.Sprintf("g_a.%d", 2*i-2), false)
		m.conv(fmt.Sprintf("synthesis/up%d", i), fmt.Sprintf("g_s.%d", 2*i-2), true)
	}
	for i := 1; i <= 3; i++ {
		// gamma[i][j] weighs x_j² in output i on both sides: no transpose.
		for _, p := range []string{"beta", "gamma"} {
			m.copy(fmt.Sprintf("analysis/gdn%d/%s", i, p), fmt.Sprintf("g_a.%d.%s", 2*i-1, p), -1)
			m.copy(fmt.Sprintf("synthesis/igdn%d/%s", i, p), fmt.Sprintf("g_s.%d.%s", 2*i-1, p), -1)
		}
		m.conv(fmt.Sprintf("hyper_analysis/conv%d", i), fmt.Sprintf("h_a.%d", 2*i-2), false)
	}
	m.conv("hyper_synthesis/up1", "h_s.0", true)
	m.conv("hyper_synthesis/up2", "h_s.2", true)
	m.conv("hyper_synthesis/out", "h_s.4", false)
	for k := range 5 {
		m.copy(fmt.Sprintf("entropy_bottleneck/matrix%d", k), fmt.Sprintf("entropy_bottleneck.matrices.%d", k), -1)
		m.copy(fmt.Sprintf("entropy_bottleneck/bias%d", k), fmt.Sprintf("entropy_bottleneck.biases.%d", k), 2)
		if k < 4 {
			m.copy(fmt.Sprintf("entropy_bottleneck/factor%d", k), fmt.Sprintf("entropy_bottleneck.factors.%d", k), 2)
		}
	}
	m.copy("entropy_bottleneck/quantiles", "entropy_bottleneck.quantiles", 1)
	if m.err != nil {
		return m.err
	}
	for name := range ref {
		// Lower bounds and the aux loss's target are constants semcodec keeps in code.
		if !m.used[name] && !strings.HasSuffix(name, ".bound") && name != "entropy_bottleneck.target" {
			return fmt.Errorf("the checkpoint's %s has no place in the network", name)
		}
	}

	meta := weights.Metadata{Lambda: lambda, Quality: 1, Extra: map[string]string{"weights": trainer.ExportF32}}
	if source != "" {
		meta.Extra["source"] = source
	}
	f, err := codec.Export(m.ctx, cfg, meta, nil)
	if err != nil {
		return err
	}
	// Loading it as a network checks every variable's presence and shape.
	be, err := backend.New()
	if err != nil {
		return err
	}
	if _, _, err := trainer.ModelContext(f, be); err != nil {
		return err
	}
	return weights.WriteFile(outPath, f)
}

func main() {
	lambda := flag.Float64("lambda", 0, "λ the checkpoint was trained at (metadata only)")
	source := flag.String("source", "", "where the weights came from (metadata only)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run scripts/reference-parity/convert.go [-lambda L] [-source S] RAW_DIR OUT.smw")
		os.Exit(2)
	}
	if err := convert(flag.Arg(0), flag.Arg(1), *source, *lambda); err != nil {
		fmt.Fprintln(os.Stderr, "convert:", err)
		os.Exit(1)
	}
}
