// Package entropy is semcodec's entropy coder: a range asymmetric numeral
// system (rANS, J. Duda, "Asymmetric numeral systems: entropy coding combining
// speed of Huffman coding with compression rate of arithmetic coding",
// arXiv:1311.2540) over quantized CDFs, and the builders of the CDF tables for
// the two entropy models of the network: the factorized prior of the
// hyper-latent z and the Gaussian conditional of the latent y (J. Ballé et al.,
// "Variational image compression with a scale hyperprior", ICLR 2018).
//
// The coding interface follows CompressAI's encode_with_indexes: every symbol
// is coded with its own CDF, chosen by an index into a Tables set. Each CDF
// covers a contiguous range of values and ends with an escape symbol; a value
// outside the range is coded as the escape followed by the value's distance
// from the range in bypass bits, so every int32 is codable with no clipping.
//
// Coder parameters (they are part of the bitstream format, docs/bitstream.md):
// 16-bit CDF precision, a 32-bit state kept in [2^23, 2^31) with byte-wise
// renormalisation, symbols coded last-to-first so that they decode first-to-
// last, and the final state written as 4 big-endian bytes at the start of the
// stream. Encoding is deterministic; decoding validates everything and returns
// an error, never panics, on corrupt input.
//
// The package is pure Go and does not import the ML framework.
package entropy

import "errors"

// Precision constants of the quantized CDFs.
const (
	// PrecisionBits is the number of bits of every quantized CDF.
	PrecisionBits = 16
	// Precision is the total count of every quantized CDF: the frequencies of
	// the symbols of one CDF, escape included, sum to exactly Precision.
	Precision = 1 << PrecisionBits
	// MaxSymbols is the largest number of regular (non-escape) symbols of one
	// CDF: every symbol needs a count of at least 1 and the escape needs one.
	MaxSymbols = Precision - 1
)

// rANS state bounds: the state x lives in [ransL, ransL<<8).
const (
	ransL     = 1 << 23
	ransHighL = ransL << 8
)

// Bypass coding of escaped values: after the escape symbol come a sign bit
// (1: below the range), the bit length of the distance minus one (6 bits, a
// value in 0..32), then the distance's bits below its leading one, in chunks
// of at most bypassChunk bits, least significant chunk first.
const (
	bypassLenBits = 6
	bypassChunk   = 16
	maxBypassLen  = 32
)

// Decode lookup: each table has 1<<lutBits buckets naming the symbol that
// holds the bucket's first slot, so a decode scans at most 1<<(16-lutBits)
// CDF entries and usually one or two.
const (
	lutBits  = 8
	lutShift = PrecisionBits - lutBits
)

// ErrCorrupt is returned (wrapped, with details) when a stream cannot have
// been produced by Encode with the same tables and indexes: bad initial or
// final state, bytes left over, an impossible escape. A stream that ends
// early also wraps io.ErrUnexpectedEOF.
var ErrCorrupt = errors.New("entropy: corrupt entropy-coded stream")

// ErrIndex is returned (wrapped) when an index does not name a table of the
// set, or when the symbol and index slices differ in length.
var ErrIndex = errors.New("entropy: bad entropy table index")

// ErrTable is returned (wrapped, with details) when a pmf, a CDF or a
// serialized table set is invalid.
var ErrTable = errors.New("entropy: invalid entropy table")
