package codec

import (
	"encoding/binary"
	"image"
	"math"
)

// A colour transform, fitted by the encoder and carried in the file (format
// version 4), corrects the decoded picture's colours: each output pixel is
// A·p + b for the decoded RGB pixel p, with A a 3×3 matrix and b an offset.
// The network's colours drift from image to image (a tint, a saturation
// error) in ways only the encoder, which holds the original, can see; a
// least-squares fit of these 12 numbers removes that part of the error for
// 24 bytes, like the filter coefficients a video encoder signals for its
// in-loop filters. The decoder applies it in integers, so every platform
// decodes the same pixels.

// colourBlockSize is the transform's size in the file: A−I in Q13 and b in
// Q5, int16 each, little-endian, row by row (docs/bitstream.md).
const colourBlockSize = 24

const (
	colourMatrixShift = 13 // A's fraction bits
	colourOffsetShift = 5  // b's fraction bits
)

// colourFitMaxPixels bounds the images the encoder fits a transform for: the
// fit needs the whole decoded picture in memory, which above this would
// break the coding commands' memory bound; larger images get the identity.
const colourFitMaxPixels = 4096 * 4096

// colourTransform holds A−I (Q13) and b (Q5). The zero value is the identity.
type colourTransform struct {
	dA [3][3]int16
	b  [3]int16
}

func (c colourTransform) isIdentity() bool { return c == colourTransform{} }

func (c colourTransform) marshal() []byte {
	out := make([]byte, 0, colourBlockSize)
	for i := range 3 {
		for j := range 3 {
			out = binary.LittleEndian.AppendUint16(out, uint16(c.dA[i][j]))
		}
	}
	for i := range 3 {
		out = binary.LittleEndian.AppendUint16(out, uint16(c.b[i]))
	}
	return out
}

// parseColour reads a transform from the first colourBlockSize bytes of p.
// Every value of the 12 int16 is valid: apply clamps its output.
func parseColour(p []byte) colourTransform {
	var c colourTransform
	for i := range 3 {
		for j := range 3 {
			c.dA[i][j] = int16(binary.LittleEndian.Uint16(p[2*(3*i+j):]))
		}
	}
	for i := range 3 {
		c.b[i] = int16(binary.LittleEndian.Uint16(p[18+2*i:]))
	}
	return c
}

// apply transforms img's pixels in place (alpha untouched).
func (c colourTransform) apply(img *image.RGBA) {
	if c.isIdentity() {
		return
	}
	const one = 1 << colourMatrixShift
	var a [3][3]int64
	var b [3]int64
	for i := range 3 {
		for j := range 3 {
			a[i][j] = int64(c.dA[i][j])
		}
		a[i][i] += one
		b[i] = int64(c.b[i]) << (colourMatrixShift - colourOffsetShift)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for y := range h {
		row := img.Pix[y*img.Stride:][:4*w]
		for x := 0; x < len(row); x += 4 {
			r, g, bl := int64(row[x]), int64(row[x+1]), int64(row[x+2])
			for i := range 3 {
				v := (a[i][0]*r + a[i][1]*g + a[i][2]*bl + b[i] + one/2) >> colourMatrixShift
				row[x+i] = uint8(max(0, min(255, v)))
			}
		}
	}
}

// fitColour returns the transform that best maps the decoded picture dec to
// the original orig (same size) in squared error, quantized, or the
// identity when that does no better. A small ridge toward the identity
// keeps flat images (singular statistics) well posed.
func fitColour(dec, orig *image.RGBA) colourTransform {
	w, h := dec.Rect.Dx(), dec.Rect.Dy()
	var s [4][4]float64 // Σ u uᵀ, u = (r, g, b, 1) of dec
	var t [4][3]float64 // Σ u xᵀ, x of orig
	for y := range h {
		dr := dec.Pix[y*dec.Stride:][:4*w]
		or := orig.Pix[y*orig.Stride:][:4*w]
		for x := 0; x < len(dr); x += 4 {
			u := [4]float64{float64(dr[x]), float64(dr[x+1]), float64(dr[x+2]), 1}
			for i := range 4 {
				for j := i; j < 4; j++ {
					s[i][j] += u[i] * u[j]
				}
				for j := range 3 {
					t[i][j] += u[i] * float64(or[x+j])
				}
			}
		}
	}
	for i := range 4 {
		for j := range i {
			s[i][j] = s[j][i]
		}
	}
	// Ridge: μ·‖A−I‖², μ one squared level per pixel.
	mu := float64(w * h)
	for i := range 3 {
		s[i][i] += mu
		t[i][i] += mu
	}
	var c colourTransform
	for ch := range 3 {
		col, ok := solve4(s, [4]float64{t[0][ch], t[1][ch], t[2][ch], t[3][ch]})
		if !ok {
			return colourTransform{}
		}
		for j := range 3 {
			d := col[j]
			if j == ch {
				d--
			}
			c.dA[ch][j] = clampInt16(d * (1 << colourMatrixShift))
		}
		c.b[ch] = clampInt16(col[3] * (1 << colourOffsetShift))
	}
	if sqErr(dec, orig, c) >= sqErr(dec, orig, colourTransform{}) {
		return colourTransform{}
	}
	return c
}

// sqErr is the squared error against orig of dec transformed by c.
func sqErr(dec, orig *image.RGBA, c colourTransform) int64 {
	tmp := &image.RGBA{Pix: make([]byte, 0, 4*dec.Rect.Dx()), Stride: 4 * dec.Rect.Dx(), Rect: image.Rect(0, 0, dec.Rect.Dx(), 1)}
	var sum int64
	for y := range dec.Rect.Dy() {
		tmp.Pix = append(tmp.Pix[:0], dec.Pix[y*dec.Stride:][:4*dec.Rect.Dx()]...)
		c.apply(tmp)
		or := orig.Pix[y*orig.Stride:]
		for x, v := range tmp.Pix {
			if x%4 != 3 {
				d := int64(v) - int64(or[x])
				sum += d * d
			}
		}
	}
	return sum
}

func clampInt16(v float64) int16 {
	return int16(max(math.MinInt16, min(math.MaxInt16, math.Round(v))))
}

// solve4 solves the 4×4 system m·x = v by Gaussian elimination with partial
// pivoting; ok is false when m is singular.
func solve4(m [4][4]float64, v [4]float64) (x [4]float64, ok bool) {
	for col := range 4 {
		p := col
		for r := col + 1; r < 4; r++ {
			if math.Abs(m[r][col]) > math.Abs(m[p][col]) {
				p = r
			}
		}
		if math.Abs(m[p][col]) < 1e-9 {
			return x, false
		}
		m[col], m[p] = m[p], m[col]
		v[col], v[p] = v[p], v[col]
		for r := col + 1; r < 4; r++ {
			f := m[r][col] / m[col][col]
			for k := col; k < 4; k++ {
				m[r][k] -= f * m[col][k]
			}
			v[r] -= f * v[col]
		}
	}
	for r := 3; r >= 0; r-- {
		sum := v[r]
		for k := r + 1; k < 4; k++ {
			sum -= m[r][k] * x[k]
		}
		x[r] = sum / m[r][r]
	}
	for _, e := range x {
		if math.IsNaN(e) || math.IsInf(e, 0) {
			return x, false
		}
	}
	return x, true
}
