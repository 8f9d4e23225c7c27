package imageio

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// Label values with a special meaning in the supported data sets.
const (
	CamVidVoid       = 11  // CamVid "Unlabelled": ignored in loss and mIoU
	CityscapesIgnore = 255 // Cityscapes trainId for pixels outside the 19 classes
)

// CamVidClasses names the 11 CamVid classes (SegNet split), by label value.
var CamVidClasses = []string{
	"Sky", "Building", "Pole", "Road", "Pavement", "Tree",
	"SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist",
}

// CityscapesClasses names the 19 Cityscapes training classes, by trainId.
var CityscapesClasses = []string{
	"road", "sidewalk", "building", "wall", "fence", "pole",
	"traffic light", "traffic sign", "vegetation", "terrain", "sky",
	"person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
}

// VoidColor paints label values outside a palette (CamVid void, Cityscapes
// ignore) in Colorize.
var VoidColor = color.RGBA{0, 0, 0, 255}

// CamVidPalette holds the SegNet CamVid colours of the 11 classes followed by
// the void colour (black) at index CamVidVoid.
var CamVidPalette = color.Palette{
	color.RGBA{128, 128, 128, 255}, // Sky
	color.RGBA{128, 0, 0, 255},     // Building
	color.RGBA{192, 192, 128, 255}, // Pole
	color.RGBA{128, 64, 128, 255},  // Road
	color.RGBA{60, 40, 222, 255},   // Pavement
	color.RGBA{128, 128, 0, 255},   // Tree
	color.RGBA{192, 128, 128, 255}, // SignSymbol
	color.RGBA{64, 64, 128, 255},   // Fence
	color.RGBA{64, 0, 128, 255},    // Car
	color.RGBA{64, 64, 0, 255},     // Pedestrian
	color.RGBA{0, 128, 192, 255},   // Bicyclist
	VoidColor,                      // Unlabelled (void)
}

// CityscapesPalette holds the official Cityscapes colours of the 19 training
// classes, by trainId.
var CityscapesPalette = color.Palette{
	color.RGBA{128, 64, 128, 255},  // road
	color.RGBA{244, 35, 232, 255},  // sidewalk
	color.RGBA{70, 70, 70, 255},    // building
	color.RGBA{102, 102, 156, 255}, // wall
	color.RGBA{190, 153, 153, 255}, // fence
	color.RGBA{153, 153, 153, 255}, // pole
	color.RGBA{250, 170, 30, 255},  // traffic light
	color.RGBA{220, 220, 0, 255},   // traffic sign
	color.RGBA{107, 142, 35, 255},  // vegetation
	color.RGBA{152, 251, 152, 255}, // terrain
	color.RGBA{70, 130, 180, 255},  // sky
	color.RGBA{220, 20, 60, 255},   // person
	color.RGBA{255, 0, 0, 255},     // rider
	color.RGBA{0, 0, 142, 255},     // car
	color.RGBA{0, 0, 70, 255},      // truck
	color.RGBA{0, 60, 100, 255},    // bus
	color.RGBA{0, 80, 100, 255},    // train
	color.RGBA{0, 0, 230, 255},     // motorcycle
	color.RGBA{119, 11, 32, 255},   // bicycle
}

// cityscapesTrainIDs maps the official 34 Cityscapes labelIds (0..33) to
// trainIds; every other value maps to CityscapesIgnore.
var cityscapesTrainIDs = func() (t [256]uint8) {
	for i := range t {
		t[i] = CityscapesIgnore
	}
	// labelId: trainId for the 19 evaluated classes (road .. bicycle).
	for id, train := range map[uint8]uint8{
		7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
		23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
	} {
		t[id] = train
	}
	return t
}()

// CityscapesTrainID maps a Cityscapes labelId (the *_gtFine_labelIds.png
// scheme) to its trainId, or CityscapesIgnore for classes not trained on.
func CityscapesTrainID(labelID uint8) uint8 { return cityscapesTrainIDs[labelID] }

// ReadLabels reads a label map: an 8-bit gray PNG, or a paletted PNG whose
// palette indices are the labels. Anything else (JPEG, RGB, 16-bit) fails with
// ErrNotLabelMap, since its values cannot be trusted as class indices.
func ReadLabels(path string) (*image.Gray, error) {
	img, format, err := readRaw(path)
	if err != nil {
		return nil, err
	}
	if format != "png" {
		return nil, &FileError{Op: "read", Path: path, Err: fmt.Errorf("%w (got %s)", ErrNotLabelMap, format)}
	}
	switch m := img.(type) {
	case *image.Gray:
		return m, nil
	case *image.Paletted:
		return &image.Gray{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}, nil
	}
	return nil, &FileError{Op: "read", Path: path, Err: fmt.Errorf("%w (got %T)", ErrNotLabelMap, img)}
}

// WriteLabels writes l atomically as an 8-bit gray PNG.
func WriteLabels(path string, l *image.Gray) error {
	if l == nil {
		return &FileError{Op: "write", Path: path, Err: ErrEmpty}
	}
	return WritePNG(path, l)
}

// Colorize paints each label with its palette colour; values outside p are
// painted VoidColor. The result has l's size, with bounds at (0, 0).
func Colorize(l *image.Gray, p color.Palette) *image.RGBA {
	lut := paletteLUT(p)
	b := l.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		row := l.Pix[l.PixOffset(b.Min.X, b.Min.Y+y):][:b.Dx()]
		d := out.Pix[y*out.Stride:]
		for x, v := range row {
			c := lut[v]
			d[4*x], d[4*x+1], d[4*x+2], d[4*x+3] = c[0], c[1], c[2], 255
		}
	}
	return out
}

// Overlay blends the colour of each label onto img with weight alpha (clamped
// to [0, 1]): out = (1-alpha)·img + alpha·colour. Pixels whose label is
// outside p or is void (VoidColor in p) keep the image colour, so ignored
// regions stay readable. The result has img's size; where l is smaller,
// the uncovered part is left as is.
func Overlay(img image.Image, l *image.Gray, p color.Palette, alpha float64) *image.RGBA {
	alpha = math.Max(0, math.Min(1, alpha))
	if math.IsNaN(alpha) {
		alpha = 0
	}
	out := ToRGB(img)
	lut := paletteLUT(p)
	var skip [256]bool
	for v := range skip {
		skip[v] = v >= len(p) || p[v] == nil || p[v] == color.Color(VoidColor)
	}
	lb := l.Bounds()
	w, h := min(lb.Dx(), out.Rect.Dx()), min(lb.Dy(), out.Rect.Dy())
	for y := 0; y < h; y++ {
		row := l.Pix[l.PixOffset(lb.Min.X, lb.Min.Y+y):][:w]
		d := out.Pix[y*out.Stride:]
		for x, v := range row {
			if skip[v] {
				continue
			}
			for c := 0; c < 3; c++ {
				d[4*x+c] = uint8(math.Round((1-alpha)*float64(d[4*x+c]) + alpha*float64(lut[v][c])))
			}
		}
	}
	return out
}

// paletteLUT resolves a palette to opaque RGB for all 256 label values.
func paletteLUT(p color.Palette) (lut [256][3]uint8) {
	void := rgbOnWhite(VoidColor)
	for v := range lut {
		if v < len(p) && p[v] != nil {
			lut[v] = rgbOnWhite(p[v])
		} else {
			lut[v] = void
		}
	}
	return lut
}
