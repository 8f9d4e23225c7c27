package entropy

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"testing"
)

func TestNewTablesErrors(t *testing.T) {
	good := []uint32{0, 100, Precision}
	tests := []struct {
		name string
		cdfs []CDF
	}{
		{"no tables", nil},
		{"too short", []CDF{{Cum: []uint32{0, Precision}}}},
		{"bad start", []CDF{{Cum: []uint32{1, 100, Precision}}}},
		{"bad end", []CDF{{Cum: []uint32{0, 100, Precision - 1}}}},
		{"flat step", []CDF{{Cum: []uint32{0, 100, 100, Precision}}}},
		{"decreasing", []CDF{{Cum: []uint32{0, 200, 100, Precision}}}},
		{"range overflows int32", []CDF{{Offset: math.MaxInt32, Cum: []uint32{0, 1, 2, Precision}}}},
		{"second table bad", []CDF{{Cum: good}, {Cum: []uint32{0, Precision, Precision}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewTables(tc.cdfs); !errors.Is(err, ErrTable) {
				t.Errorf("err = %v, want ErrTable", err)
			}
		})
	}
}

func TestTablesAccessors(t *testing.T) {
	c := mustCDF(t, -1, []float64{0.25, 0.5, 0.25}, 0)
	tab := mustTables(t, c)
	got := tab.CDF(0)
	if tab.Len() != 1 || got.Offset != -1 || !slices.Equal(got.Cum, c.Cum) {
		t.Fatalf("CDF(0) = %+v, want %+v", got, c)
	}
	got.Cum[1] = 7 // a copy: the set must not change
	if tab.CDF(0).Cum[1] == 7 {
		t.Error("CDF returned shared memory")
	}
	f := freqs(c)
	if b := tab.Bits(0, 0); math.Abs(b-math.Log2(Precision/float64(f[1]))) > 1e-12 {
		t.Errorf("Bits(0) = %v", b)
	}
	// Escape of distance 1 (value 2): escape + sign + length, no extra bits;
	// distance 6 (value 7, u = 5, 3 bits): 2 extra bits.
	esc := math.Log2(Precision / float64(f[3]))
	if b := tab.Bits(2, 0); math.Abs(b-(esc+7)) > 1e-9 {
		t.Errorf("Bits(2) = %v, want %v", b, esc+7)
	}
	if b := tab.Bits(7, 0); math.Abs(b-(esc+9)) > 1e-9 {
		t.Errorf("Bits(7) = %v, want %v", b, esc+9)
	}
}

func TestMarshalTablesRoundTrip(t *testing.T) {
	tab := mustTables(t,
		mustCDF(t, -1, []float64{0.25, 0.5, 0.25}, 0.01),
		mustCDF(t, math.MinInt32, []float64{1}, 0),
		mustCDF(t, 1000, make([]float64, 1000), 1))
	b, err := tab.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalTables(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Len() != tab.Len() {
		t.Fatalf("%d tables back, want %d", back.Len(), tab.Len())
	}
	for i := range tab.Len() {
		a, c := tab.CDF(i), back.CDF(i)
		if a.Offset != c.Offset || !slices.Equal(a.Cum, c.Cum) {
			t.Errorf("table %d differs after the round trip", i)
		}
	}
	if want := 9 + 3*8 + 2*(4+2+1001) + 4; len(b) != want {
		t.Errorf("%d bytes, want %d", len(b), want)
	}
}

// resum replaces the trailing checksum so that a test reaches the checks
// behind it.
func resum(b []byte) []byte {
	b = slices.Clone(b)
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
	return b
}

func TestUnmarshalTablesErrors(t *testing.T) {
	good, _ := mustTables(t, mustCDF(t, -1, []float64{0.25, 0.5, 0.25}, 0.01)).MarshalBinary()
	mod := func(f func(b []byte) []byte) []byte { return resum(f(slices.Clone(good))) }
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"short", good[:8]},
		{"bad magic", mod(func(b []byte) []byte { b[0] = 'X'; return b })},
		{"bad version", mod(func(b []byte) []byte { b[4] = 2; return b })},
		{"bad checksum", append(slices.Clone(good[:len(good)-1]), good[len(good)-1]^1)},
		{"zero tables", mod(func(b []byte) []byte { b[5] = 0; return b })},
		{"huge count", mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[5:], 1<<31); return b })},
		{"count past data", mod(func(b []byte) []byte { b[5] = 2; return b })},
		{"zero symbols", mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[13:], 0); return b })},
		{"symbols past data", mod(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[13:], 70000); return b })},
		{"counts off total", mod(func(b []byte) []byte { b[17]++; return b })},
		{"zero count", mod(func(b []byte) []byte {
			f0 := binary.LittleEndian.Uint16(b[17:])
			binary.LittleEndian.PutUint16(b[17:], 0)
			binary.LittleEndian.PutUint16(b[19:], binary.LittleEndian.Uint16(b[19:])+f0)
			return b
		})},
		{"stray bytes", mod(func(b []byte) []byte { return append(b[:len(b)-4], 0, 0, 0, 0, 0) })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := UnmarshalTables(tc.data); !errors.Is(err, ErrTable) {
				t.Errorf("err = %v, want ErrTable", err)
			}
		})
	}
}
