package entropy

import (
	"fmt"
	"math/bits"
	"slices"
)

// Encoder codes symbol sequences. Its zero value is ready to use; it keeps a
// scratch buffer between calls, so reusing one Encoder avoids allocation. An
// Encoder must not be used by several goroutines at once.
type Encoder struct {
	buf []byte // bytes in emission order, the reverse of the stream order
}

// Encode codes symbols[i] with table indexes[i] of t and returns the stream.
// It is Encoder.Append with a fresh Encoder and no destination.
func Encode(symbols, indexes []int32, t *Tables) ([]byte, error) {
	var e Encoder
	return e.Append(nil, symbols, indexes, t)
}

// Append codes symbols[i] with table indexes[i] of t and appends the stream
// to dst. Any int32 is codable with any table: values outside a table's range
// go through its escape symbol. The output depends only on the arguments.
// The stream holds no length: the decoder must be given the same indexes.
func (e *Encoder) Append(dst []byte, symbols, indexes []int32, t *Tables) ([]byte, error) {
	if len(symbols) != len(indexes) {
		return dst, fmt.Errorf("%w: %d symbols but %d indexes", ErrIndex, len(symbols), len(indexes))
	}
	buf := e.buf[:0]
	cum, descs := t.cum, t.descs
	x := uint32(ransL)
	// rANS is last-in first-out: code backwards so the decoder runs forwards.
	for i := len(symbols) - 1; i >= 0; i-- {
		idx := indexes[i]
		if uint32(idx) >= uint32(len(descs)) {
			e.buf = buf
			return dst, fmt.Errorf("%w: index %d of symbol %d, have %d tables", ErrIndex, idx, i, len(descs))
		}
		d := &descs[idx]
		s := int64(symbols[i]) - int64(d.offset)
		if uint64(s) < uint64(d.nreg) {
			c := cum[d.cumOff+uint32(s):]
			start := c[0]
			x, buf = put(x, buf, start, c[1]-start)
			continue
		}
		// Escape: the decoder reads the escape symbol, the sign, the length and
		// then the chunks, so they are put in the opposite order.
		below, u := escapeDistance(int64(symbols[i]), d)
		nb := bits.Len32(u)
		if nb > 1 {
			rest := uint32(nb - 1)
			if rest > bypassChunk {
				hi := rest - bypassChunk
				x, buf = putBits(x, buf, (u>>bypassChunk)&(1<<hi-1), hi)
				rest = bypassChunk
			}
			x, buf = putBits(x, buf, u&(1<<rest-1), rest)
		}
		x, buf = putBits(x, buf, uint32(nb), bypassLenBits)
		sign := uint32(0)
		if below {
			sign = 1
		}
		x, buf = putBits(x, buf, sign, 1)
		c := cum[d.cumOff+d.nreg:]
		x, buf = put(x, buf, c[0], c[1]-c[0])
	}
	buf = append(buf, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
	e.buf = buf
	dst = slices.Grow(dst, len(buf))
	for i := len(buf) - 1; i >= 0; i-- {
		dst = append(dst, buf[i])
	}
	return dst, nil
}

// put codes the interval [start, start+freq) of a 16-bit CDF. The state is
// first shifted down until coding cannot leave [ransL, ransHighL).
func put(x uint32, buf []byte, start, freq uint32) (uint32, []byte) {
	xmax := freq << (31 - PrecisionBits) // ((ransL >> 16) << 8) * freq
	for x >= xmax {
		buf = append(buf, byte(x))
		x >>= 8
	}
	q := x / freq
	return q<<PrecisionBits + (x - q*freq) + start, buf
}

// putBits codes the n-bit value v (n <= 16) with a uniform distribution.
func putBits(x uint32, buf []byte, v, n uint32) (uint32, []byte) {
	sh := PrecisionBits - n
	return put(x, buf, v<<sh, 1<<sh)
}

// escapeDistance returns whether v lies below table d's range and its
// distance from the range minus one: 0 for the value just outside it. The
// distance of an int32 from an int32 range fits in 32 bits.
func escapeDistance(v int64, d *tableDesc) (below bool, u uint32) {
	lo := int64(d.offset)
	if v < lo {
		return true, uint32(lo - v - 1)
	}
	return false, uint32(v - lo - int64(d.nreg))
}
