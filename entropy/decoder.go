package entropy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Decode decodes len(indexes) symbols from data, symbol i with table
// indexes[i] of t; indexes must be those given to Encode. It is DecodeInto
// with a new slice.
func Decode(data []byte, indexes []int32, t *Tables) ([]int32, error) {
	out := make([]int32, len(indexes))
	if err := DecodeInto(out, data, indexes, t); err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeInto decodes len(indexes) symbols from data into dst[:len(indexes)].
//
// The whole of data must be one stream: on success every byte has been used
// and the coder is back in its initial state, which catches most corruption.
// Any input gives either the symbols or an error (ErrCorrupt, ErrIndex, with
// io.ErrUnexpectedEOF for a stream that ends early); the work is linear in
// len(indexes)+len(data) and nothing is allocated. dst may hold garbage
// after an error.
func DecodeInto(dst []int32, data []byte, indexes []int32, t *Tables) error {
	if len(dst) < len(indexes) {
		return fmt.Errorf("%w: destination holds %d symbols, need %d", ErrIndex, len(dst), len(indexes))
	}
	if len(data) < 4 {
		return fmt.Errorf("%w: %d-byte stream: %w", ErrCorrupt, len(data), io.ErrUnexpectedEOF)
	}
	x := binary.BigEndian.Uint32(data)
	if x < ransL || x >= ransHighL {
		return fmt.Errorf("%w: initial state %#x out of range", ErrCorrupt, x)
	}
	pos := 4
	cum, lut, descs := t.cum, t.lut, t.descs
	dst = dst[:len(indexes)]
	for i, idx := range indexes {
		if uint32(idx) >= uint32(len(descs)) {
			return fmt.Errorf("%w: index %d of symbol %d, have %d tables", ErrIndex, idx, i, len(descs))
		}
		d := &descs[idx]
		slot := x & (Precision - 1)
		// The bucket names the symbol holding its first slot; the symbol
		// holding this slot is at most a few entries further on. The
		// table's last entry is Precision > slot, so the scan stays inside.
		s := d.cumOff + uint32(lut[d.lutOff+slot>>lutShift])
		for cum[s+1] <= slot {
			s++
		}
		start := cum[s]
		x = (cum[s+1]-start)*(x>>PrecisionBits) + slot - start
		// Refill. x >= 2^7 here (x was >= 2^23 and the frequency >= 1), so
		// at most two bytes are due; away from the end, take both and keep
		// as many as needed, without a hard-to-predict loop branch.
		if pos+2 <= len(data) {
			var n uint32
			if x < ransL {
				n++
			}
			if x < ransL>>8 {
				n++
			}
			two := uint32(data[pos])<<8 | uint32(data[pos+1])
			x = x<<(8*n) | two>>(16-8*n)
			pos += int(n)
		} else {
			for x < ransL {
				if pos >= len(data) {
					return fmt.Errorf("%w: stream ends at symbol %d: %w", ErrCorrupt, i, io.ErrUnexpectedEOF)
				}
				x = x<<8 | uint32(data[pos])
				pos++
			}
		}
		if sym := s - d.cumOff; sym < d.nreg {
			dst[i] = d.offset + int32(sym)
			continue
		}
		var err error
		if dst[i], err = decodeEscape(&x, data, &pos, d); err != nil {
			return fmt.Errorf("%w (symbol %d)", err, i)
		}
	}
	if pos != len(data) {
		return fmt.Errorf("%w: %d bytes left after the last symbol", ErrCorrupt, len(data)-pos)
	}
	if x != ransL {
		return fmt.Errorf("%w: final state %#x, want %#x", ErrCorrupt, x, ransL)
	}
	return nil
}

// decodeEscape reads the bypass part of an escaped value (see the bypass
// constants) and returns the value, rejecting anything Encode cannot write.
func decodeEscape(x *uint32, data []byte, pos *int, d *tableDesc) (int32, error) {
	sign, err := getBits(x, data, pos, 1)
	if err != nil {
		return 0, err
	}
	nb, err := getBits(x, data, pos, bypassLenBits)
	if err != nil {
		return 0, err
	}
	if nb > maxBypassLen {
		return 0, fmt.Errorf("%w: escape length %d", ErrCorrupt, nb)
	}
	var u uint64
	if nb > 0 {
		rest := nb - 1
		u = 1 << rest
		lo := min(rest, bypassChunk)
		c, err := getBits(x, data, pos, lo)
		if err != nil {
			return 0, err
		}
		u |= uint64(c)
		if rest > bypassChunk {
			c, err := getBits(x, data, pos, rest-bypassChunk)
			if err != nil {
				return 0, err
			}
			u |= uint64(c) << bypassChunk
		}
	}
	var v int64
	if sign == 1 {
		v = int64(d.offset) - 1 - int64(u)
	} else {
		v = int64(d.offset) + int64(d.nreg) + int64(u)
	}
	if v < math.MinInt32 || v > math.MaxInt32 {
		return 0, fmt.Errorf("%w: escaped value %d overflows int32", ErrCorrupt, v)
	}
	return int32(v), nil
}

// getBits decodes an n-bit value (n <= 16) coded by putBits.
func getBits(x *uint32, data []byte, pos *int, n uint32) (uint32, error) {
	if n == 0 {
		return 0, nil
	}
	sh := PrecisionBits - n
	slot := *x & (Precision - 1)
	xs := (*x>>PrecisionBits)<<sh + slot&(1<<sh-1)
	for xs < ransL {
		if *pos >= len(data) {
			return 0, fmt.Errorf("%w: stream ends in an escape: %w", ErrCorrupt, io.ErrUnexpectedEOF)
		}
		xs = xs<<8 | uint32(data[*pos])
		*pos++
	}
	*x = xs
	return slot >> sh, nil
}
