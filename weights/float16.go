package weights

import "math"

// The float16 conversions are written out here (IEEE 754 binary16) so that
// export rounding is fully specified by this file: round to nearest, ties to
// even, with subnormals, infinities and NaN preserved.

// float16ToFloat32 widens an IEEE 754 half-precision value; it is exact.
func float16ToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN; keep the payload's top bits.
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp != 0: // normal
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	case mant == 0: // signed zero
		return math.Float32frombits(sign)
	}
	// Subnormal half: mant·2^-24, normalised for float32.
	e := uint32(127 - 15 + 1)
	for mant&0x400 == 0 {
		mant <<= 1
		e--
	}
	return math.Float32frombits(sign | e<<23 | (mant&0x3ff)<<13)
}

// float32ToFloat16 narrows f to half precision, rounding to nearest even.
// Values too large become ±Inf; NaN stays a (quiet) NaN.
func float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00 | uint16(mant>>13) // quiet NaN, payload kept where it fits
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15 // biased half exponent
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		// Subnormal or zero half: shift the full significand (with the hidden
		// bit) right so that one unit is 2^-24, rounding to nearest even.
		if e < -10 {
			return sign // below half the smallest subnormal: rounds to zero
		}
		m := mant | 0x800000
		shift := uint32(14 - e) // 13 for the mantissa width difference, plus 1-e
		half := uint32(1) << (shift - 1)
		q := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && q&1 == 1) {
			q++
		}
		return sign | uint16(q) // a carry into bit 10 correctly gives the smallest normal
	}
	q := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && q&1 == 1) {
		q++ // a carry may overflow into the exponent, up to Inf: still correct
	}
	return sign | uint16(q)
}
