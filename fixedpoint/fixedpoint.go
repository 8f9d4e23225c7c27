// Package fixedpoint computes the hyper-synthesis path of the network in
// integer arithmetic, so that the encoder and the decoder derive bit-identical
// entropy parameters on any machine, backend or GOMAXPROCS setting.
//
// The scales that select the Gaussian CDF of every latent element must agree
// exactly at both ends; a float network run on two devices does not guarantee
// that (CompressAI documents cross-device decoding as unsupported for this
// reason). Here the hyper-synthesis path — conv3x3 Nh→4Nh, depth-to-space,
// ReLU, twice, then conv3x3 Nh→M, ReLU, max with 0.11 — runs on quantized
// weights with int64 accumulators, and every rounding is an explicit integer
// operation.
//
// Number formats:
//   - activations and output scales: int32 in Q16 (value·2^16), saturating at
//     the int32 range;
//   - weights: int16 per output channel with a power-of-two scale 2^s chosen
//     from the channel's largest magnitude (s in 0..MaxWeightShift);
//   - biases: int64 at the accumulator's scale 2^(16+s);
//   - requantization: add 2^(s-1) and shift right arithmetically (round half
//     up), then saturate.
//
// Quantizing a float32 weight multiplies it by a power of two and rounds,
// which is exact in float64, so the integer weights depend only on the stored
// float32 values. The package is pure Go and imports no ML framework.
package fixedpoint

import "errors"

// Fixed-point formats.
const (
	// FracBits is the number of fractional bits of activations and scales.
	FracBits = 16
	// One is 1.0 in the activation format.
	One = 1 << FracBits
	// ScaleMin is the scale lower bound 0.11 in Q16, round(0.11·2^16). It equals
	// the first entry of the entropy package's Gaussian scale table.
	ScaleMin = 7209
	// MaxWeightShift bounds the power-of-two weight scale: channels whose
	// weights are all below 2^-15 keep 30 fractional bits.
	MaxWeightShift = 30
	// MaxInput is the largest |z| represented exactly (z·2^16 must fit int32);
	// larger hyper-latents are clamped.
	MaxInput = 1<<(31-FracBits) - 1
)

// Limits that keep every int64 accumulator exact: with |activation| < 2^31,
// |weight| ≤ 2^15 and at most maxTaps terms the products sum below 2^60.2,
// and biases are bounded by 2^61, so no sum can overflow.
const (
	maxTaps      = 9 * 2048
	maxBiasAbs   = 1 << 61
	MaxGridSide  = 4096    // bound on the z grid height and width
	MaxOutputLen = 1 << 28 // bound on the number of output scales
)

// ErrShape is returned (wrapped) when weights or inputs have inconsistent shapes.
var ErrShape = errors.New("fixedpoint: fixed-point hyper-synthesis: bad shape")

// ErrRange is returned (wrapped) when a weight or bias cannot be represented
// (NaN, Inf, or too large for the fixed-point formats).
var ErrRange = errors.New("fixedpoint: fixed-point hyper-synthesis: value out of range")
