package codec

import "github.com/semcodec/semcodec/model"

// The grid: latent and hyper-latent cells in pixels (package model's).
const (
	latentStride = model.LatentStride
	hyperStride  = model.HyperStride
	hyperCells   = hyperStride / latentStride // latent cells per hyper cell, per side
)

// padded returns v rounded up to a multiple of PadMultiple.
func padded(v int) int { return model.Padded(v) }

// padHWC pads an h×w image with c channels (HWC) to hp×wp by repeating its
// last row and column, as model.PadImage does in training: replicated edges
// cost fewer bits than zeros.
func padHWC(src []float32, w, h, c, wp, hp int) []float32 {
	if w == wp && h == hp {
		return src
	}
	dst := make([]float32, hp*wp*c)
	for y := range hp {
		sy := min(y, h-1)
		row := dst[y*wp*c : (y+1)*wp*c]
		copy(row, src[sy*w*c:(sy+1)*w*c])
		last := src[(sy*w+w-1)*c : (sy*w+w)*c]
		for x := w; x < wp; x++ {
			copy(row[x*c:(x+1)*c], last)
		}
	}
	return dst
}
