package fixedpoint

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/entropy"
	"github.com/semcodec/semcodec/weights"
)

var updateGolden = os.Getenv("SEMCODEC_UPDATE_GOLDEN") != ""

// splitmix is a tiny self-contained generator, so test models and the golden
// checksum never depend on the standard library's random streams.
type splitmix uint64

func (s *splitmix) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	z := uint64(*s)
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// uniform returns a float32 in [-a, a).
func (s *splitmix) uniform(a float64) float32 {
	return float32((float64(s.next()>>11)/(1<<53)*2 - 1) * a)
}

func randomConv(rng *splitmix, in, out int, gain float64) Conv {
	c := Conv{KH: 3, KW: 3, In: in, Out: out, Weights: make([]float32, 9*in*out), Biases: make([]float32, out)}
	a := gain * math.Sqrt(3/float64(9*in)) // unit-variance-preserving uniform init
	for i := range c.Weights {
		c.Weights[i] = rng.uniform(a)
	}
	for i := range c.Biases {
		c.Biases[i] = rng.uniform(0.3)
	}
	return c
}

func randomModel(seed uint64, nh, m int) [3]Conv {
	rng := splitmix(seed)
	return [3]Conv{randomConv(&rng, nh, 4*nh, 1.6), randomConv(&rng, nh, 4*nh, 1.6), randomConv(&rng, nh, m, 1.6)}
}

// randomZ gives hyper-latents like a trained bottleneck's: mostly small
// integers, many zeros.
func randomZ(seed uint64, n int) []int32 {
	rng := splitmix(seed)
	z := make([]int32, n)
	for i := range z {
		r := rng.next()
		switch r % 4 {
		case 0, 1:
			z[i] = 0
		case 2:
			z[i] = int32(r>>8%7) - 3
		default:
			z[i] = int32(r>>8%41) - 20
		}
	}
	return z
}

// refConv is a float64 "same" convolution over HWC data.
func refConv(x []float64, h, w int, c Conv) []float64 {
	out := make([]float64, h*w*c.Out)
	for y := range h {
		for xx := range w {
			o := out[(y*w+xx)*c.Out:][:c.Out]
			for j := range o {
				o[j] = float64(c.Biases[j])
			}
			for ky := range c.KH {
				for kx := range c.KW {
					iy, ix := y+ky-c.KH/2, xx+kx-c.KW/2
					if iy < 0 || iy >= h || ix < 0 || ix >= w {
						continue
					}
					for i := range c.In {
						v := x[(iy*w+ix)*c.In+i]
						for j := range o {
							o[j] += v * float64(c.Weights[((ky*c.KW+kx)*c.In+i)*c.Out+j])
						}
					}
				}
			}
		}
	}
	return out
}

// refDepthToSpace follows the contract literally: reshape [H,W,4C] to
// [H,W,2,2,C], transpose to [H,2,W,2,C], reshape to [2H,2W,C].
func refDepthToSpace(x []float64, h, w, c int) []float64 {
	out := make([]float64, len(x))
	for i := range h {
		for j := range w {
			for a := range 2 {
				for b := range 2 {
					for k := range c {
						src := (((i*w+j)*2+a)*2+b)*c + k // index in [H,W,2,2,C]
						dst := (((i*2+a)*w+j)*2+b)*c + k // index in [H,2,W,2,C]
						out[dst] = x[src]
					}
				}
			}
		}
	}
	return out
}

func relu(x []float64) []float64 {
	for i, v := range x {
		x[i] = max(v, 0)
	}
	return x
}

// refScales is the float64 reference of the whole path.
func refScales(convs [3]Conv, z []int32, h, w int) []float64 {
	x := make([]float64, len(z))
	for i, v := range z {
		x[i] = float64(v)
	}
	nh := convs[0].In
	x = relu(refDepthToSpace(refConv(x, h, w, convs[0]), h, w, nh))
	h, w = 2*h, 2*w
	x = relu(refDepthToSpace(refConv(x, h, w, convs[1]), h, w, nh))
	h, w = 2*h, 2*w
	x = refConv(x, h, w, convs[2])
	for i, v := range x {
		x[i] = max(v, 0.11)
	}
	return x
}

func TestMatchesFloatReference(t *testing.T) {
	cases := []struct {
		name        string
		nh, m, h, w int
		seed        uint64
	}{
		{"tiny", 4, 6, 1, 1, 1},
		{"odd grid", 8, 12, 3, 5, 2},
		{"small widths", 16, 24, 4, 6, 3},
		{"wide", 32, 40, 2, 3, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			convs := randomModel(c.seed, c.nh, c.m)
			hs, err := NewHyperSynthesis(convs[0], convs[1], convs[2])
			if err != nil {
				t.Fatal(err)
			}
			z := randomZ(c.seed+100, c.h*c.w*c.nh)
			got, err := hs.Scales(z, c.h, c.w)
			if err != nil {
				t.Fatal(err)
			}
			want := refScales(convs, z, c.h, c.w)
			if len(got) != len(want) {
				t.Fatalf("%d scales, want %d", len(got), len(want))
			}
			// Errors are measured against the outputs' RMS: small scales come
			// from cancelling sums of large terms, so their absolute error
			// reflects the size of those terms, not of the result.
			var rms float64
			for _, v := range want {
				rms += v * v
			}
			rms = math.Sqrt(rms / float64(len(want)))
			var maxRel float64
			idxDiff := 0
			above := 0
			for i := range want {
				g := ToFloat(got[i])
				rel := math.Abs(g-want[i]) / max(want[i], rms)
				maxRel = max(maxRel, rel)
				if rel > 5e-4 {
					t.Fatalf("scale %d: fixed %v, float %v (error %.2g of max(value, rms %.3g))", i, g, want[i], rel, rms)
				}
				if entropy.GaussianIndexQ16(int64(got[i])) != entropy.GaussianIndex(want[i]) {
					idxDiff++
				}
				if want[i] > 0.2 {
					above++
				}
			}
			if above < len(want)/10 {
				t.Errorf("only %d of %d scales above the bound: the test model is degenerate", above, len(want))
			}
			if idxDiff > len(want)/100+1 {
				t.Errorf("%d of %d table indexes differ from the float path", idxDiff, len(want))
			}
			t.Logf("max relative error %.3g, %d/%d indexes differ", maxRel, idxDiff, len(want))
		})
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	convs := randomModel(7, 16, 20)
	hs, err := NewHyperSynthesis(convs[0], convs[1], convs[2])
	if err != nil {
		t.Fatal(err)
	}
	z := randomZ(8, 5*7*16)
	ref, err := hs.ScalesWorkers(z, 5, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{2, 3, 4, 7, 64} {
		got, err := hs.ScalesWorkers(z, 5, 7, workers)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ref {
			if got[i] != ref[i] {
				t.Fatalf("%d workers: scale %d is %d, want %d", workers, i, got[i], ref[i])
			}
		}
	}
}

// TestGolden pins the arithmetic: the fixed-point path is part of the
// bitstream format, so any change in its results must be deliberate
// (regenerate with SEMCODEC_UPDATE_GOLDEN=1 and bump the format version).
func TestGolden(t *testing.T) {
	convs := randomModel(42, 8, 12)
	hs, err := NewHyperSynthesis(convs[0], convs[1], convs[2])
	if err != nil {
		t.Fatal(err)
	}
	z := randomZ(43, 3*4*8)
	z[0], z[1] = 40000, -1<<31 // clamped inputs are part of the definition too
	scales, err := hs.Scales(z, 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	hash := sha256.New()
	binary.Write(hash, binary.LittleEndian, scales)
	got := hex.EncodeToString(hash.Sum(nil))
	const path = "testdata/golden.sha256"
	if updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with SEMCODEC_UPDATE_GOLDEN=1 to create it)", err)
	}
	if got != strings.TrimSpace(string(want)) {
		t.Errorf("fixed-point output checksum %s, want %s", got, want)
	}
}

func TestDepthToSpaceOrder(t *testing.T) {
	// Zero weights and distinct positive biases: each conv output channel
	// is a constant, so the layout after depth-to-space shows where every
	// channel went.
	const nh = 3
	up := Conv{KH: 3, KW: 3, In: nh, Out: 4 * nh, Weights: make([]float32, 9*nh*4*nh), Biases: make([]float32, 4*nh)}
	for j := range up.Biases {
		up.Biases[j] = float32(j + 1)
	}
	q, err := quantize("up", up)
	if err != nil {
		t.Fatal(err)
	}
	hs := &HyperSynthesis{nh: nh}
	const h, w = 2, 3
	out := hs.upsample(q, make([]int32, h*w*nh), h, w, 2)
	for y := range 2 * h {
		for x := range 2 * w {
			for c := range nh {
				dy, dx := y%2, x%2
				want := int32((dy*2+dx)*nh+c+1) << FracBits
				if got := out[(y*2*w+x)*nh+c]; got != want {
					t.Fatalf("pixel (%d,%d) channel %d = %d, want bias of conv channel %d", y, x, c, got, (dy*2+dx)*nh+c)
				}
			}
		}
	}
}

func TestRequantize(t *testing.T) {
	cases := []struct {
		a     int64
		shift uint8
		want  int32
	}{
		{5, 0, 5}, {-5, 0, 0}, {3, 1, 2}, {2, 2, 1}, {1, 2, 0}, {6, 2, 2}, {-2, 2, 0},
		{1 << 62, 1, math.MaxInt32}, {math.MaxInt32, 0, math.MaxInt32}, {math.MaxInt32 + 1, 0, math.MaxInt32},
	}
	for _, c := range cases {
		if got := requantize(c.a, c.shift); got != c.want {
			t.Errorf("requantize(%d, %d) = %d, want %d", c.a, c.shift, got, c.want)
		}
	}
}

func TestQuantizeWeights(t *testing.T) {
	c := Conv{KH: 1, KW: 1, In: 2, Out: 3,
		Weights: []float32{0.75, 0, -1e-12, -0.5, 0, 3e-12},
		Biases:  []float32{0.25, 1, -2}}
	q, err := quantize("c", c)
	if err != nil {
		t.Fatal(err)
	}
	// Channel 0: max 0.75 = 0.75·2^0, shift 15: 0.75·2^15 = 24576.
	if q.shift[0] != 15 || q.w[0] != 24576 || q.w[3] != -16384 || q.bias[0] != 1<<(FracBits+15)/4 {
		t.Errorf("channel 0: shift %d weights %d %d bias %d", q.shift[0], q.w[0], q.w[3], q.bias[0])
	}
	// Channel 1 is all zero: the largest shift, bias at its scale.
	if q.shift[1] != MaxWeightShift || q.bias[1] != 1<<(FracBits+MaxWeightShift) {
		t.Errorf("channel 1: shift %d bias %d", q.shift[1], q.bias[1])
	}
	// Channel 2: tiny weights keep MaxWeightShift and round to small integers.
	if q.shift[2] != MaxWeightShift || q.w[2] != 0 || q.w[5] != 0 {
		t.Errorf("channel 2: shift %d weights %d %d", q.shift[2], q.w[2], q.w[5])
	}
	// Rounding up to 2^15 clamps to the int16 range.
	c2 := Conv{KH: 1, KW: 1, In: 1, Out: 1, Weights: []float32{math.Nextafter32(1, 0)}, Biases: []float32{0}}
	if q2, err := quantize("c2", c2); err != nil || q2.w[0] != 32767 {
		t.Errorf("near-1 weight: %v %v", err, q2)
	}
}

func TestErrors(t *testing.T) {
	good := randomModel(1, 4, 6)
	mod := func(f func(c *[3]Conv)) [3]Conv {
		c := good
		for i := range c {
			c[i].Weights = append([]float32(nil), c[i].Weights...)
			c[i].Biases = append([]float32(nil), c[i].Biases...)
		}
		f(&c)
		return c
	}
	cases := []struct {
		name  string
		convs [3]Conv
		want  error
	}{
		{"channel mismatch", mod(func(c *[3]Conv) { c[1].In = 5 }), ErrShape},
		{"short weights", mod(func(c *[3]Conv) { c[2].Weights = c[2].Weights[1:] }), ErrShape},
		{"short biases", mod(func(c *[3]Conv) { c[0].Biases = c[0].Biases[1:] }), ErrShape},
		{"even kernel", mod(func(c *[3]Conv) { c[2].KH = 2 }), ErrShape},
		{"NaN weight", mod(func(c *[3]Conv) { c[0].Weights[5] = float32(math.NaN()) }), ErrRange},
		{"Inf bias", mod(func(c *[3]Conv) { c[2].Biases[0] = float32(math.Inf(1)) }), ErrRange},
		{"huge weight", mod(func(c *[3]Conv) { c[1].Weights[0] = 1e6 }), ErrRange},
		{"huge bias", mod(func(c *[3]Conv) { c[1].Biases[0] = 1e30 }), ErrRange},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewHyperSynthesis(c.convs[0], c.convs[1], c.convs[2])
			if !errors.Is(err, c.want) {
				t.Errorf("got %v, want %v", err, c.want)
			}
		})
	}
	hs, err := NewHyperSynthesis(good[0], good[1], good[2])
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []struct{ n, h, w int }{{4 * 6, 2, 2}, {0, 0, 0}, {4, -1, -1}, {4, MaxGridSide + 1, 1}} {
		if _, err := hs.Scales(make([]int32, in.n), in.h, in.w); !errors.Is(err, ErrShape) {
			t.Errorf("z of %d values for %dx%d: %v", in.n, in.h, in.w, err)
		}
	}
}

func TestLoadAndIndexes(t *testing.T) {
	convs := randomModel(5, 4, 6)
	f := weights.New(weights.Metadata{Model: "t", Quality: 1})
	for i, name := range []string{"up1", "up2", "out"} {
		c := convs[i]
		w, err := weights.NewF16("hyper_synthesis/"+name+"/weights", []int{3, 3, c.In, c.Out}, c.Weights)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := weights.NewF32("hyper_synthesis/"+name+"/biases", []int{c.Out}, c.Biases)
		f.Add(w)
		f.Add(b)
	}
	hs, err := Load(f, "hyper_synthesis")
	if err != nil {
		t.Fatal(err)
	}
	if hs.InputChannels() != 4 || hs.OutputChannels() != 6 {
		t.Fatalf("channels %d -> %d", hs.InputChannels(), hs.OutputChannels())
	}
	z := randomZ(6, 2*2*4)
	scales, err := hs.Scales(z, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	idx := entropy.GaussianIndexes(nil, scales)
	for i, s := range scales {
		if s < ScaleMin {
			t.Fatalf("scale %d below the bound", s)
		}
		if want := entropy.GaussianIndex(ToFloat(s)); int(idx[i]) != want {
			t.Fatalf("index of %d is %d, want %d", s, idx[i], want)
		}
	}
	if _, err := Load(f, "missing"); !errors.Is(err, weights.ErrNotFound) {
		t.Errorf("missing scope: %v", err)
	}
	if ScaleMin != entropy.GaussianScaleQ16(0) {
		t.Errorf("ScaleMin %d differs from the entropy table's first scale %d", ScaleMin, entropy.GaussianScaleQ16(0))
	}
}
