package dataset

import (
	"image"

	"github.com/semcodec/semcodec/imageio"
)

// Load decodes the whole image and its labels, without cropping: labels has
// one int32 per pixel, row-major, with Ignore for pixels without a class
// (all of them for unlabelled images).
func (s Sample) Load() (*image.RGBA, []int32, error) {
	d, err := s.decode()
	if err != nil {
		return nil, nil, err
	}
	w, h := d.img.Rect.Dx(), d.img.Rect.Dy()
	labels := make([]int32, w*h)
	for i := range labels {
		labels[i] = d.label(i, 0)
	}
	return d.img, labels, nil
}

// decoded is a sample in memory. lab holds labels as bytes with noLabel for
// Ignore (nil: all Ignore), which keeps cached samples small.
type decoded struct {
	img *image.RGBA
	lab []uint8
}

const noLabel = 255

// label returns the label of pixel i, with values at or above numClasses
// (when positive) turned into Ignore.
func (d *decoded) label(i, numClasses int) int32 {
	if d.lab == nil {
		return Ignore
	}
	v := d.lab[i]
	if v == noLabel || (numClasses > 0 && int(v) >= numClasses) {
		return Ignore
	}
	return int32(v)
}

// labelLUT maps raw label file values to stored labels for each layout.
var labelLUT = func() (t [3][256]uint8) {
	const camvid, trainIDs, labelIDs = 0, 1, 2
	for v := 0; v < 256; v++ {
		t[camvid][v], t[trainIDs][v] = noLabel, noLabel
		if v < imageio.CamVidVoid {
			t[camvid][v] = uint8(v)
		}
		if v < len(imageio.CityscapesClasses) {
			t[trainIDs][v] = uint8(v)
		}
		t[labelIDs][v] = imageio.CityscapesTrainID(uint8(v)) // 255 stays noLabel
	}
	return t
}()

func (s Sample) decode() (*decoded, error) {
	img, err := imageio.ReadImage(s.Image)
	if err != nil {
		return nil, err
	}
	d := &decoded{img: img}
	if s.Label == "" || s.Layout == Images {
		return d, nil
	}
	l, err := imageio.ReadLabels(s.Label)
	if err != nil {
		return nil, err
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	if l.Rect.Dx() != w || l.Rect.Dy() != h {
		return nil, sizeMismatch(s.Image, w, h, s.Label, l.Rect.Dx(), l.Rect.Dy())
	}
	lut := &labelLUT[0]
	switch {
	case s.Layout == Cityscapes && s.LabelIDs:
		lut = &labelLUT[2]
	case s.Layout == Cityscapes:
		lut = &labelLUT[1]
	}
	d.lab = make([]uint8, w*h)
	for y := 0; y < h; y++ {
		row := l.Pix[l.PixOffset(l.Rect.Min.X, l.Rect.Min.Y+y):][:w]
		out := d.lab[y*w:][:w]
		for x, v := range row {
			out[x] = lut[v]
		}
	}
	return d, nil
}
