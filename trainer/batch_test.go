package trainer

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"slices"
	"testing"
)

// memSource is an in-memory Source: image i is filled with value 10·i+1 in
// red, and its labels (when labelled) are i mod 3 with the last column
// ignored.
type memSource struct {
	n, w, h  int
	labelled bool
}

func (m memSource) Len() int { return m.n }

func (m memSource) Item(i int) Item {
	it := Item{Name: fmt.Sprintf("img%d", i), Width: m.w, Height: m.h}
	if m.labelled {
		it.Classes, it.NumClasses = "camvid", 11
	}
	return it
}

func (m memSource) Load(i int) (*image.RGBA, []uint8, error) {
	img := image.NewRGBA(image.Rect(0, 0, m.w, m.h))
	for y := 0; y < m.h; y++ {
		for x := 0; x < m.w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(10*i + 1), uint8(x), uint8(y), 255})
		}
	}
	if !m.labelled {
		return img, nil, nil
	}
	lab := make([]uint8, m.w*m.h)
	for p := range lab {
		lab[p] = uint8(i % 3)
		if p%m.w == m.w-1 {
			lab[p] = ignoreByte
		}
	}
	return img, lab, nil
}

// Batches depend on the seed and the index only, and every epoch visits
// every image once.
func TestBatcherDeterministic(t *testing.T) {
	src := memSource{n: 6, w: 20, h: 12, labelled: true}
	a, err := NewBatcher(src, 4, 8, 11)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewBatcher(src, 4, 8, 11)
	var seen []int
	for _, step := range []int{5, 0, 2, 1} { // out of order on purpose
		x, err := a.Batch(step)
		if err != nil {
			t.Fatal(err)
		}
		y, _ := b.Batch(step)
		if !slices.Equal(x.Images, y.Images) || !slices.Equal(x.Labels, y.Labels) || !slices.Equal(x.Items, y.Items) {
			t.Fatalf("batch %d differs between two batchers", step)
		}
		if step <= 2 {
			seen = append(seen, x.Items...)
		}
	}
	// Steps 0..2 are 12 crops: two full epochs of 6 images.
	counts := map[int]int{}
	for _, it := range seen {
		counts[it]++
	}
	for i := 0; i < 6; i++ {
		if counts[i] != 2 {
			t.Errorf("image %d drawn %d times in two epochs", i, counts[i])
		}
	}
	other, _ := NewBatcher(src, 4, 8, 12)
	x, _ := a.Batch(0)
	y, _ := other.Batch(0)
	if slices.Equal(x.Items, y.Items) && slices.Equal(x.Images, y.Images) {
		t.Error("another seed gave the same batch")
	}
	// Pixels and labels belong together: red encodes the image index.
	for k := 0; k < x.Size; k++ {
		item := x.Items[k]
		for p := 0; p < 64; p++ {
			if r := x.Images[(k*64+p)*3]; r != float32(10*item+1)/255 {
				t.Fatalf("crop %d pixel %d: red %v, image %d", k, p, r, item)
			}
			if l := x.Labels[k*64+p]; l != int32(item%3) && l != -1 {
				t.Fatalf("crop %d pixel %d: label %d, image %d", k, p, l, item)
			}
		}
	}
}

// An image smaller than the crop is edge-extended, with its extension
// ignored; unlabelled images give all -1.
func TestBatcherSmallImages(t *testing.T) {
	src := memSource{n: 1, w: 5, h: 3, labelled: true}
	b, _ := NewBatcher(src, 1, 8, 1)
	x, err := b.Batch(0)
	if err != nil {
		t.Fatal(err)
	}
	flipped := x.Images[1] != 0 // green = source column: 0 at crop column 0 unless flipped
	for y := 0; y < 8; y++ {
		for c := 0; c < 8; c++ {
			sx := c
			if flipped {
				sx = 7 - c
			}
			want := int32(0)
			if sx >= 4 || y >= 3 { // outside the image, or its ignored last column
				want = -1
			}
			if got := x.Labels[y*8+c]; got != want {
				t.Fatalf("label at (%d,%d) = %d, want %d", c, y, got, want)
			}
			if g := x.Images[(y*8+c)*3+1]; g != float32(min(sx, 4))/255 {
				t.Fatalf("green at (%d,%d) = %v, want column %d", c, y, g, min(sx, 4))
			}
		}
	}
	u, _ := NewBatcher(memSource{n: 2, w: 9, h: 9}, 2, 8, 1)
	z, _ := u.Batch(3)
	for _, l := range z.Labels {
		if l != -1 {
			t.Fatal("unlabelled image gave a label")
		}
	}
	if _, err := NewBatcher(memSource{}, 1, 8, 1); err == nil {
		t.Error("empty source accepted")
	}
}

// Unlabelled data trains compression only: CE is 0 and mIoU null.
func TestTrainUnlabelled(t *testing.T) {
	opts := tinyOptions(t, t.TempDir(), 1)
	var got StepLog
	opts.OnStep = func(l StepLog) { got = l }
	if _, err := Train(context.Background(), memSource{n: 2, w: 70, h: 66}, nil, opts); err != nil {
		t.Fatal(err)
	}
	if got.Step != 1 || got.MIoU != nil || got.CE != 0 || got.BPP <= 0 {
		t.Errorf("step log %+v", got)
	}
}
