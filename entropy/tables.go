package entropy

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
)

// Tables is an immutable set of quantized CDFs ready for coding, addressed by
// index. It is safe for concurrent use.
type Tables struct {
	cum   []uint32    // all CDFs back to back, n+2 entries each
	lut   []uint16    // 1<<lutBits decode buckets per table
	descs []tableDesc // one per table
}

// tableDesc locates one CDF in the flat arrays.
type tableDesc struct {
	cumOff uint32 // index of Cum[0] in Tables.cum
	lutOff uint32 // index of the first bucket in Tables.lut
	nreg   uint32 // regular symbols; symbol nreg is the escape
	offset int32  // value of symbol 0
}

// MaxTables bounds the number of CDFs in one set (a sanity limit for
// deserialization; the network needs a few hundred at most).
const MaxTables = 1 << 16

// NewTables validates cdfs and builds a coding set; table i is cdfs[i]. The
// CDFs are copied.
func NewTables(cdfs []CDF) (*Tables, error) {
	if len(cdfs) == 0 || len(cdfs) > MaxTables {
		return nil, fmt.Errorf("%w: %d tables, want 1..%d", ErrTable, len(cdfs), MaxTables)
	}
	total := 0
	for i, c := range cdfs {
		if err := c.validate(); err != nil {
			return nil, fmt.Errorf("%w (table %d)", err, i)
		}
		total += len(c.Cum)
	}
	t := &Tables{
		cum:   make([]uint32, 0, total),
		lut:   make([]uint16, len(cdfs)<<lutBits),
		descs: make([]tableDesc, len(cdfs)),
	}
	for i, c := range cdfs {
		n := len(c.Cum) - 2
		t.descs[i] = tableDesc{
			cumOff: uint32(len(t.cum)),
			lutOff: uint32(i << lutBits),
			nreg:   uint32(n),
			offset: c.Offset,
		}
		t.cum = append(t.cum, c.Cum...)
		lut := t.lut[i<<lutBits : (i+1)<<lutBits]
		s := 0
		for b := range lut {
			slot := uint32(b) << lutShift
			for c.Cum[s+1] <= slot {
				s++
			}
			lut[b] = uint16(s)
		}
	}
	return t, nil
}

// Len returns the number of CDFs in the set.
func (t *Tables) Len() int { return len(t.descs) }

// CDF returns a copy of table i. It panics if i is out of range, like a slice.
func (t *Tables) CDF(i int) CDF {
	c := t.view(i)
	c.Cum = append([]uint32(nil), c.Cum...)
	return c
}

// view returns table i sharing the set's memory; callers must not modify it.
func (t *Tables) view(i int) CDF {
	d := &t.descs[i]
	return CDF{Offset: d.offset, Cum: t.cum[d.cumOff : d.cumOff+d.nreg+2 : d.cumOff+d.nreg+2]}
}

// Bits returns the ideal code length, -log2 of the quantized probability, of
// coding v with table i, escape and bypass bits included. It panics if i is
// out of range. Encoded streams are within a fraction of a percent, plus 4
// bytes, of the sum of Bits over their symbols.
func (t *Tables) Bits(v int32, i int) float64 {
	d := t.descs[i]
	cum := t.view(i).Cum
	s := int64(v) - int64(d.offset)
	if s >= 0 && s < int64(d.nreg) {
		return -math.Log2(float64(cum[s+1]-cum[s]) / Precision)
	}
	esc := -math.Log2(float64(cum[d.nreg+1]-cum[d.nreg]) / Precision)
	_, u := escapeDistance(int64(v), &d)
	nb := bits.Len32(u)
	extra := 0
	if nb > 0 {
		extra = nb - 1
	}
	return esc + 1 + bypassLenBits + float64(extra)
}

// Serialized table sets (MarshalBinary), little-endian:
//
//	"SMCT" | version u8 (1) | count u32 |
//	count × (offset i32 | n u32 | (n+1) × freq u16) | CRC-32 (IEEE) u32 of all preceding bytes
//
// Frequencies rather than cumulative counts make every byte string of the
// right shape with a good checksum a valid set once the sums are checked.
const (
	tablesMagic   = "SMCT"
	tablesVersion = 1
)

// MarshalBinary serializes the set in a compact form (2 bytes per symbol),
// for storing frozen tables in a model file. It implements
// encoding.BinaryMarshaler and never fails.
func (t *Tables) MarshalBinary() ([]byte, error) {
	size := len(tablesMagic) + 1 + 4 + 4
	for _, d := range t.descs {
		size += 8 + 2*int(d.nreg+1)
	}
	b := make([]byte, 0, size)
	b = append(b, tablesMagic...)
	b = append(b, tablesVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(t.descs)))
	for _, d := range t.descs {
		b = binary.LittleEndian.AppendUint32(b, uint32(d.offset))
		b = binary.LittleEndian.AppendUint32(b, d.nreg)
		cum := t.cum[d.cumOff : d.cumOff+d.nreg+2]
		for s := 0; s <= int(d.nreg); s++ {
			b = binary.LittleEndian.AppendUint16(b, uint16(cum[s+1]-cum[s]))
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

// UnmarshalTables parses the output of MarshalBinary. Any malformed input
// gives an error wrapping ErrTable; allocation is bounded by len(data).
func UnmarshalTables(data []byte) (*Tables, error) {
	const head = len(tablesMagic) + 1 + 4
	if len(data) < head+4 || string(data[:len(tablesMagic)]) != tablesMagic {
		return nil, fmt.Errorf("%w: not a serialized table set", ErrTable)
	}
	if v := data[len(tablesMagic)]; v != tablesVersion {
		return nil, fmt.Errorf("%w: table set version %d, want %d", ErrTable, v, tablesVersion)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, fmt.Errorf("%w: table set checksum mismatch", ErrTable)
	}
	count := binary.LittleEndian.Uint32(body[head-4:])
	rest := body[head:]
	// Each table takes at least 8+2*2 bytes: bound count before allocating.
	if count == 0 || count > MaxTables || uint64(count)*12 > uint64(len(rest)) {
		return nil, fmt.Errorf("%w: bad table count %d for %d bytes", ErrTable, count, len(rest))
	}
	cdfs := make([]CDF, count)
	for i := range cdfs {
		if len(rest) < 8 {
			return nil, fmt.Errorf("%w: table %d truncated", ErrTable, i)
		}
		offset := int32(binary.LittleEndian.Uint32(rest))
		n := binary.LittleEndian.Uint32(rest[4:])
		rest = rest[8:]
		if n < 1 || n > MaxSymbols || uint64(n+1)*2 > uint64(len(rest)) {
			return nil, fmt.Errorf("%w: table %d has a bad symbol count %d", ErrTable, i, n)
		}
		cum := make([]uint32, n+2)
		for s := uint32(0); s <= n; s++ {
			cum[s+1] = cum[s] + uint32(binary.LittleEndian.Uint16(rest[2*s:]))
		}
		rest = rest[2*(n+1):]
		cdfs[i] = CDF{Offset: offset, Cum: cum}
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d stray bytes after the tables", ErrTable, len(rest))
	}
	return NewTables(cdfs)
}
