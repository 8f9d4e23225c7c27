package entropy

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// mustTables builds a set from pmfs, failing the test on error.
func mustTables(t testing.TB, cdfs ...CDF) *Tables {
	t.Helper()
	tab, err := NewTables(cdfs)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func mustCDF(t testing.TB, offset int32, pmf []float64, tail float64) CDF {
	t.Helper()
	c, err := NewCDF(offset, pmf, tail)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// roundTrip encodes, decodes and compares, and checks that encoding is
// deterministic and that Append keeps dst's prefix. It returns the stream.
func roundTrip(t testing.TB, symbols, indexes []int32, tab *Tables) []byte {
	t.Helper()
	data, err := Encode(symbols, indexes, tab)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	got, err := Decode(data, indexes, tab)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if !slices.Equal(got, symbols) {
		for i := range got {
			if got[i] != symbols[i] {
				t.Fatalf("symbol %d (table %d): decoded %d, encoded %d", i, indexes[i], got[i], symbols[i])
			}
		}
	}
	var e Encoder
	prefix := []byte("prefix")
	again, err := e.Append(slices.Clone(prefix), symbols, indexes, tab)
	if err != nil || !bytes.Equal(again[:len(prefix)], prefix) || !bytes.Equal(again[len(prefix):], data) {
		t.Fatalf("Append with a prefix differs from Encode (err %v)", err)
	}
	return data
}

// sample draws a value from table i of tab with its quantized probabilities.
func sample(rng *rand.Rand, tab *Tables, i int) int32 {
	c := tab.view(i)
	slot := uint32(rng.IntN(Precision))
	s, _ := slices.BinarySearch(c.Cum, slot+1)
	s--                      // c.Cum[s] <= slot < c.Cum[s+1]
	if s == c.NumSymbols() { // escape: some value outside the range
		return c.Offset - 1 - int32(rng.IntN(5))
	}
	return c.Offset + int32(s)
}

var extremes = []int32{math.MinInt32, math.MinInt32 + 1, -1 << 16, -65537, -1, 0, 1, 65535, 65536, 1 << 30, math.MaxInt32 - 1, math.MaxInt32}

func TestRoundTripDegenerate(t *testing.T) {
	single := mustCDF(t, 0, []float64{1}, 0)
	peaked := mustCDF(t, -2, []float64{1e-12, 1e-9, 1, 1e-9, 1e-12}, 1e-15)
	uniform := mustCDF(t, -100, slices.Repeat([]float64{1.0 / 201}, 201), 0)
	wide := mustCDF(t, math.MinInt32, make([]float64, MaxSymbols), 1) // all counts 1 but the escape's
	top := mustCDF(t, math.MaxInt32-2, []float64{0.2, 0.3, 0.5}, 0.01)
	bottom := mustCDF(t, math.MinInt32, []float64{0.5, 0.5}, 0.01)
	tab := mustTables(t, single, peaked, uniform, wide, top, bottom)

	rep := func(v int32, n int) []int32 { return slices.Repeat([]int32{v}, n) }
	all := func(n int, f func(i int) (int32, int32)) ([]int32, []int32) {
		s, x := make([]int32, n), make([]int32, n)
		for i := range n {
			s[i], x[i] = f(i)
		}
		return s, x
	}
	type tc struct {
		name             string
		symbols, indexes []int32
	}
	var tests []tc
	tests = append(tests, tc{"empty", nil, nil})
	tests = append(tests, tc{"single symbol table", rep(0, 10000), rep(0, 10000)})
	tests = append(tests, tc{"peaked mode", rep(0, 10000), rep(1, 10000)})
	s, x := all(1000, func(i int) (int32, int32) { return int32(i%5 - 2), 1 })
	tests = append(tests, tc{"peaked tails", s, x})
	s, x = all(5000, func(i int) (int32, int32) { return int32(i%201 - 100), 2 })
	tests = append(tests, tc{"uniform", s, x})
	s, x = all(3*len(extremes)*6, func(i int) (int32, int32) { return extremes[i%len(extremes)], int32(i / len(extremes) % 6) })
	tests = append(tests, tc{"extreme int32 in every table", s, x})
	s, x = all(2000, func(i int) (int32, int32) { return int32(1000 + i*1000003), 0 })
	tests = append(tests, tc{"all escape", s, x})
	s, x = all(len(extremes), func(i int) (int32, int32) { return extremes[i], 1 })
	tests = append(tests, tc{"all escape extremes", s, x})
	s, x = all(200, func(i int) (int32, int32) { return int32(math.MinInt32 + i*21474836), 3 })
	tests = append(tests, tc{"wide table", s, x})
	s, x = all(64, func(i int) (int32, int32) { return int32(i%2) - 1 + 3, 0 }) // range edges ±1
	tests = append(tests, tc{"just outside", s, x})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := roundTrip(t, tc.symbols, tc.indexes, tab)
			var ideal float64
			for i, v := range tc.symbols {
				ideal += tab.Bits(v, int(tc.indexes[i]))
			}
			if got := float64(8 * len(data)); got > ideal*1.005+64 {
				t.Errorf("%d bytes, ideal %.0f bits", len(data), ideal)
			}
		})
	}
}

// TestRoundTripRandom codes random streams under random table sets, with a
// share of out-of-range values, extreme values and random indexes.
func TestRoundTripRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		ntab := 1 + rng.IntN(8)
		cdfs := make([]CDF, ntab)
		for i := range cdfs {
			n := 1 + rng.IntN(64)
			if rng.IntN(10) == 0 {
				n = 1 + rng.IntN(MaxSymbols)
			}
			pmf, tail := randomPMF(rng, n)
			off := int32(rng.IntN(200) - 100)
			if rng.IntN(10) == 0 {
				off = int32(rng.Uint32())
				off = min(off, math.MaxInt32-int32(n)+1)
			}
			cdfs[i] = mustCDF(t, off, pmf, tail)
		}
		tab := mustTables(t, cdfs...)
		n := rng.IntN(3000)
		symbols, indexes := make([]int32, n), make([]int32, n)
		escapes := rng.Float64() * 0.3
		for i := range n {
			indexes[i] = int32(rng.IntN(ntab))
			switch r := rng.Float64(); {
			case r < escapes/2:
				symbols[i] = int32(rng.Uint32())
			case r < escapes:
				symbols[i] = extremes[rng.IntN(len(extremes))]
			default:
				symbols[i] = sample(rng, tab, int(indexes[i]))
			}
		}
		roundTrip(t, symbols, indexes, tab)
	}
}

// TestCodedSizeNearIdeal codes 10^6 symbols and compares the stream with the
// ideal code length -Σ log2 p under the same quantized tables: the coder
// itself (state truncation, renormalisation, flush) may add at most 0.5% and
// a few bytes.
func TestCodedSizeNearIdeal(t *testing.T) {
	const n = 1_000_000
	gt := GaussianTables()
	rng := rand.New(rand.NewPCG(7, 8))
	tests := []struct {
		name  string
		index func() int32
	}{
		{"gaussian spread", func() int32 { return int32(rng.IntN(NumGaussianScales)) }},
		{"gaussian small scales", func() int32 { return int32(rng.IntN(16)) }},
		{"gaussian smallest scale", func() int32 { return 0 }},
		{"gaussian widest", func() int32 { return NumGaussianScales - 1 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			symbols, indexes := make([]int32, n), make([]int32, n)
			var ideal float64
			for i := range n {
				indexes[i] = tc.index()
				symbols[i] = sample(rng, gt, int(indexes[i]))
				ideal += gt.Bits(symbols[i], int(indexes[i]))
			}
			data, err := Encode(symbols, indexes, gt)
			if err != nil {
				t.Fatal(err)
			}
			got := float64(8 * len(data))
			t.Logf("%d bytes, ideal %.1f bytes, overhead %.4f%%", len(data), ideal/8, 100*(got-ideal)/ideal)
			if got > ideal*1.005+8*8 {
				t.Errorf("coded %d bytes, ideal %.1f bytes", len(data), ideal/8)
			}
			out := make([]int32, n)
			if err := DecodeInto(out, data, indexes, gt); err != nil || !slices.Equal(out, symbols) {
				t.Fatalf("round trip failed: %v", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tab := mustTables(t, mustCDF(t, 0, []float64{0.5, 0.5}, 0))
	if _, err := Encode([]int32{1, 2}, []int32{0}, tab); !errors.Is(err, ErrIndex) {
		t.Errorf("length mismatch: %v", err)
	}
	for _, idx := range []int32{-1, 1, math.MaxInt32, math.MinInt32} {
		if _, err := Encode([]int32{0, 0}, []int32{0, idx}, tab); !errors.Is(err, ErrIndex) {
			t.Errorf("index %d: %v", idx, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tab := mustTables(t,
		mustCDF(t, -4, []float64{0.1, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1}, 0.01),
		mustCDF(t, 0, []float64{1}, 0))
	symbols := []int32{0, 1, -3, 100, 2, math.MinInt32, 0}
	indexes := []int32{0, 0, 0, 0, 0, 1, 1}
	good, err := Encode(symbols, indexes, tab)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		indexes []int32
		dst     int
		want    []error
	}{
		{"nil", nil, indexes, 7, []error{ErrCorrupt, io.ErrUnexpectedEOF}},
		{"three bytes", []byte{0, 0x80, 0}, indexes, 7, []error{ErrCorrupt, io.ErrUnexpectedEOF}},
		{"state too small", []byte{0, 0x7f, 0xff, 0xff}, nil, 0, []error{ErrCorrupt}},
		{"state too large", []byte{0x80, 0, 0, 0}, nil, 0, []error{ErrCorrupt}},
		{"empty stream", []byte{0, 0x80, 0, 0}, nil, 0, nil},
		{"trailing byte", append(slices.Clone(good), 0), indexes, 7, []error{ErrCorrupt}},
		{"truncated", good[:len(good)-1], indexes, 7, []error{ErrCorrupt}},
		{"too few indexes", good, indexes[:5], 7, []error{ErrCorrupt}},
		{"too many indexes", good, append(slices.Clone(indexes), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 19, []error{ErrCorrupt}},
		{"negative index", good, []int32{0, -1, 0, 0, 0, 1, 1}, 7, []error{ErrIndex}},
		{"index past the set", good, []int32{0, 0, 2, 0, 0, 1, 1}, 7, []error{ErrIndex}},
		{"short destination", good, indexes, 6, []error{ErrIndex}},
		// Escape that claims a 33-bit distance: state 0x00800000 with the
		// slot bits chosen so the escape of table 1 and length 63 decode.
		{"escape length over 32", []byte{0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []int32{1}, 1, []error{ErrCorrupt}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := DecodeInto(make([]int32, tc.dst), tc.data, tc.indexes, tab)
			if tc.want == nil && err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want %v", err, w)
				}
			}
		})
	}
}

// TestDecodeCorruptNoPanic flips bits and cuts streams: decoding must return
// an error or some symbols, never panic, and a success must re-encode to
// the same bytes (the coder is a bijection on valid streams).
func TestDecodeCorruptNoPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	gt := GaussianTables()
	n := 500
	symbols, indexes := make([]int32, n), make([]int32, n)
	for i := range n {
		indexes[i] = int32(rng.IntN(NumGaussianScales))
		symbols[i] = sample(rng, gt, int(indexes[i]))
	}
	symbols[17] = math.MaxInt32
	good, _ := Encode(symbols, indexes, gt)
	out := make([]int32, n)
	for trial := range 2000 {
		data := slices.Clone(good)
		switch trial % 3 {
		case 0:
			data[rng.IntN(len(data))] ^= 1 << rng.IntN(8)
		case 1:
			data = data[:rng.IntN(len(data))]
		case 2:
			for i := range data[4:] {
				data[4+i] = byte(rng.Uint32())
			}
		}
		if err := DecodeInto(out, data, indexes, gt); err == nil {
			again, _ := Encode(out, indexes, gt)
			if !bytes.Equal(again, data) {
				t.Fatalf("trial %d: decoded a stream that does not re-encode to itself", trial)
			}
		}
	}
}
