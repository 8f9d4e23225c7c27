package imageio

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/internal/shareddata"
)

func TestPalettes(t *testing.T) {
	if len(CamVidClasses) != 11 || len(CamVidPalette) != 12 || CamVidPalette[CamVidVoid] != color.Color(VoidColor) {
		t.Errorf("CamVid: %d classes, %d colours", len(CamVidClasses), len(CamVidPalette))
	}
	if len(CityscapesClasses) != 19 || len(CityscapesPalette) != 19 {
		t.Errorf("Cityscapes: %d classes, %d colours", len(CityscapesClasses), len(CityscapesPalette))
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := image.NewGray(image.Rect(0, 0, 5, 3))
	for i := range l.Pix {
		l.Pix[i] = uint8(i * 17)
	}
	path := filepath.Join(dir, "l.png")
	if err := WriteLabels(path, l); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLabels(path)
	if err != nil || !bytes.Equal(got.Pix, l.Pix) || got.Rect != l.Rect {
		t.Fatalf("read back %v, %v", got, err)
	}

	// Paletted PNG: the indices are the labels, whatever the colours.
	p := image.NewPaletted(image.Rect(0, 0, 3, 1), CamVidPalette)
	p.Pix = []uint8{3, 0, 11}
	ppath := writeFile(t, "p.png", encodePNG(t, p))
	got, err = ReadLabels(ppath)
	if err != nil || !bytes.Equal(got.Pix, []uint8{3, 0, 11}) {
		t.Fatalf("paletted labels %v, %v", got, err)
	}
}

func TestReadLabelsRejects(t *testing.T) {
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"rgb", encodePNG(t, image.NewRGBA(image.Rect(0, 0, 4, 4)))},
		{"gray16", encodePNG(t, image.NewGray16(image.Rect(0, 0, 4, 4)))},
		{"jpeg", jpg.Bytes()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "l.png", tc.data)
			_, err := ReadLabels(path)
			var fe *FileError
			if !errors.Is(err, ErrNotLabelMap) || !errors.As(err, &fe) || fe.Path != path {
				t.Fatalf("err = %v, want ErrNotLabelMap naming the file", err)
			}
		})
	}
}

func TestColorizeAndOverlay(t *testing.T) {
	l := image.NewGray(image.Rect(0, 0, 4, 1))
	l.Pix = []uint8{0, 3, CamVidVoid, 200}
	c := Colorize(l, CamVidPalette)
	want := [][4]uint8{{128, 128, 128, 255}, {128, 64, 128, 255}, {0, 0, 0, 255}, {0, 0, 0, 255}}
	for x, w := range want {
		if px := rgbAt(c, x, 0); px != w {
			t.Errorf("Colorize pixel %d = %v, want %v", x, px, w)
		}
	}

	img := image.NewRGBA(image.Rect(0, 0, 5, 1))
	for i := range img.Pix {
		img.Pix[i] = 100
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	o := Overlay(img, l, CamVidPalette, 0.5)
	want = [][4]uint8{
		{114, 114, 114, 255}, // (100+128)/2
		{114, 82, 114, 255},  // road
		{100, 100, 100, 255}, // void: untouched
		{100, 100, 100, 255}, // out of palette: untouched
		{100, 100, 100, 255}, // beyond the label map
	}
	for x, w := range want {
		if px := rgbAt(o, x, 0); px != w {
			t.Errorf("Overlay pixel %d = %v, want %v", x, px, w)
		}
	}
	if img.Pix[0] != 100 {
		t.Error("Overlay modified its input")
	}
}

// TestCityscapesTrainIDSample checks the labelId -> trainId table against the
// labelTrainIds file shipped with the Cityscapes sample. The sample's files
// were downscaled one by one, so a few boundary pixels disagree; the table
// must give the majority trainId of every labelId and agree on 99% of pixels.
func TestCityscapesTrainIDSample(t *testing.T) {
	dir := shareddata.Path(t, "data", "cityscapes_sample", "gtFine", "val", "frankfurt")
	ids, err := ReadLabels(filepath.Join(dir, "frankfurt_000000_000294_gtFine_labelIds.png"))
	if err != nil {
		t.Fatal(err)
	}
	train, err := ReadLabels(filepath.Join(dir, "frankfurt_000000_000294_gtFine_labelTrainIds.png"))
	if err != nil {
		t.Fatal(err)
	}
	if ids.Rect != train.Rect {
		t.Fatalf("sizes differ: %v vs %v", ids.Rect, train.Rect)
	}
	counts := map[uint8]map[uint8]int{} // labelId -> trainId in the file -> pixels
	agree := 0
	for i, id := range ids.Pix {
		if counts[id] == nil {
			counts[id] = map[uint8]int{}
		}
		counts[id][train.Pix[i]]++
		if CityscapesTrainID(id) == train.Pix[i] {
			agree++
		}
	}
	for id, byTrain := range counts {
		best, bestN := uint8(0), -1
		for tr, n := range byTrain {
			if n > bestN {
				best, bestN = tr, n
			}
		}
		if got := CityscapesTrainID(id); got != best {
			t.Errorf("labelId %d -> %d, the file mostly says %d (%v)", id, got, best, byTrain)
		}
	}
	if len(counts) < 8 {
		t.Errorf("sample covers only %d labelIds; test is too weak", len(counts))
	}
	if frac := float64(agree) / float64(len(ids.Pix)); frac < 0.99 {
		t.Errorf("table agrees with the file on %.4f of pixels", frac)
	}
}
