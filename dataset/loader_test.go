package dataset

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/imageio"
)

func mustOpen(t *testing.T, specs []string, opts Options) *Dataset {
	t.Helper()
	d, err := Open(specs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCropContents traces every crop pixel back to its source pixel, with
// and without flips, and checks the CamVid label mapping.
func TestCropContents(t *testing.T) {
	root := camvidTree(t, [2]int{60, 40}, [2]int{50, 45}, [2]int{41, 33})
	for _, flip := range []bool{false, true} {
		d := mustOpen(t, []string{root + "/train"}, Options{Batch: 3, Crop: 16, Seed: 7, Flip: flip, Loop: true})
		flipped := 0
		for range 10 {
			b, err := d.Next()
			if err != nil {
				t.Fatal(err)
			}
			for k := 0; k < b.Size; k++ {
				tag := b.Samples[k]
				img := b.Images[k*16*16*3:][:16*16*3]
				lab := b.Labels[k*16*16:][:16*16]
				// Recover the offset from the top-left source pixel.
				x0, y0 := int(img[0]*255+0.5), int(img[1]*255+0.5)
				step := 1
				if int(img[3]*255+0.5) < x0 {
					step, x0 = -1, x0-15 // flipped: the left edge holds the last column
					flipped++
				}
				for y := 0; y < 16; y++ {
					for x := 0; x < 16; x++ {
						sx := x0 + x
						if step < 0 {
							sx = x0 + 15 - x
						}
						want := pixelAt(sx, y0+y, tag)
						o := y*16 + x
						got := [3]uint8{uint8(img[3*o]*255 + 0.5), uint8(img[3*o+1]*255 + 0.5), uint8(img[3*o+2]*255 + 0.5)}
						if got != [3]uint8{want.R, want.G, want.B} {
							t.Fatalf("crop %d pixel (%d,%d) = %v, want %v", k, x, y, got, want)
						}
						wantLab := int32(sx % 13)
						if wantLab >= 11 { // CamVid void and beyond
							wantLab = Ignore
						}
						if lab[o] != wantLab {
							t.Fatalf("crop %d label (%d,%d) = %d, want %d", k, x, y, lab[o], wantLab)
						}
					}
				}
			}
		}
		if flip != (flipped > 0) {
			t.Errorf("flip=%v but %d flipped crops", flip, flipped)
		}
	}
}

func TestPaddingSmallImages(t *testing.T) {
	root := t.TempDir()
	writeImage(t, filepath.Join(root, "train", "a.png"), 5, 3, 0)
	writeLabels(t, filepath.Join(root, "trainannot", "a.png"), 5, 3, func(x, y int) uint8 { return 2 })
	orientations := map[bool]int{}
	for seed := range uint64(8) {
		d := mustOpen(t, []string{root + "/train"}, Options{Batch: 1, Crop: 8, Flip: true, Seed: seed})
		b, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		// Unflipped, the image sits at the top left; flipped, at the top right.
		flipped := b.Labels[0] == Ignore
		orientations[flipped]++
		inside := 0
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				o := y*8 + x
				sx := x
				if flipped {
					sx = 7 - x
				}
				if sx < 5 && y < 3 {
					inside++
					if b.Labels[o] != 2 || b.Images[3*o] != float32(sx)/255 || b.Images[3*o+1] != float32(y)/255 {
						t.Fatalf("flipped=%v (%d,%d): label %d, pixel %v", flipped, x, y, b.Labels[o], b.Images[3*o:3*o+3])
					}
				} else if b.Labels[o] != Ignore || b.Images[3*o] != 0 || b.Images[3*o+1] != 0 || b.Images[3*o+2] != 0 {
					t.Fatalf("flipped=%v padding (%d,%d): label %d, pixel %v", flipped, x, y, b.Labels[o], b.Images[3*o:3*o+3])
				}
			}
		}
		if inside != 15 {
			t.Fatalf("%d image pixels in the crop, want 15", inside)
		}
	}
	if len(orientations) != 2 {
		t.Errorf("8 seeds gave only one orientation: %v", orientations)
	}
}

func TestLabelMappings(t *testing.T) {
	// Cityscapes trainIds: x for x < 19, 255 beyond; labelIds: x mapped.
	for _, trainIDs := range []bool{true, false} {
		root := cityscapesTree(t, trainIDs)
		samples, err := List(root)
		if err != nil {
			t.Fatal(err)
		}
		if samples[0].LabelIDs == trainIDs {
			t.Fatalf("LabelIDs = %v for trainIDs %v", samples[0].LabelIDs, trainIDs)
		}
		_, labels, err := samples[0].Load()
		if err != nil {
			t.Fatal(err)
		}
		for x := 0; x < 40; x++ {
			var want int32
			switch {
			case trainIDs && x < 19:
				want = int32(x)
			case trainIDs:
				want = Ignore
			default:
				want = int32(imageio.CityscapesTrainID(uint8(x)))
				if want == 255 {
					want = Ignore
				}
			}
			if labels[5*40+x] != want {
				t.Errorf("trainIDs=%v x=%d: label %d, want %d", trainIDs, x, labels[5*40+x], want)
			}
		}
	}
	// NumClasses turns larger labels into Ignore.
	d := mustOpen(t, []string{cityscapesTree(t, true)}, Options{Batch: 1, Crop: 40, NumClasses: 11})
	b, err := d.Next()
	if err != nil {
		t.Fatal(err)
	}
	if slices.Max(b.Labels[:40*20]) != 10 || b.Labels[12] != Ignore || b.Labels[10] != 10 {
		t.Errorf("NumClasses 11: labels %v", b.Labels[:40])
	}
}

func TestDeterminism(t *testing.T) {
	root := camvidTree(t, [2]int{60, 40}, [2]int{50, 45}, [2]int{41, 33}, [2]int{33, 30})
	run := func(opts Options, batches int) []*Batch {
		d := mustOpen(t, []string{root + "/train"}, opts)
		var out []*Batch
		for range batches {
			b, err := d.Next()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
		return out
	}
	same := func(a, b []*Batch) bool {
		for i := range a {
			if !slices.Equal(a[i].Images, b[i].Images) || !slices.Equal(a[i].Labels, b[i].Labels) {
				return false
			}
		}
		return true
	}
	opts := Options{Batch: 3, Crop: 16, Seed: 42, Flip: true, Loop: true, Workers: 1}
	ref := run(opts, 5)
	opts.Workers = 4
	if !same(ref, run(opts, 5)) {
		t.Error("batches depend on Workers")
	}
	opts.Cache = true
	if !same(ref, run(opts, 5)) {
		t.Error("batches depend on Cache")
	}
	opts.Seed = 43
	if same(ref, run(opts, 5)) {
		t.Error("a different seed gave the same batches")
	}

	// Reset replays the stream.
	d := mustOpen(t, []string{root + "/train"}, Options{Batch: 3, Crop: 16, Seed: 42, Flip: true, Loop: true})
	first, _ := d.Next()
	d.Next()
	d.Reset()
	again, _ := d.Next()
	if !slices.Equal(first.Images, again.Images) {
		t.Error("Reset did not replay the stream")
	}
}

func TestOnePassAndLoop(t *testing.T) {
	root := camvidTree(t, [2]int{20, 20}, [2]int{20, 20}, [2]int{20, 20}, [2]int{20, 20}, [2]int{20, 20})
	d := mustOpen(t, []string{root + "/train"}, Options{Batch: 2, Crop: 8})
	for pass := 0; pass < 2; pass++ {
		var sizes, seen []int
		for {
			b, err := d.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, b.Size)
			seen = append(seen, b.Samples...)
		}
		if !slices.Equal(sizes, []int{2, 2, 1}) || !slices.Equal(seen, []int{0, 1, 2, 3, 4}) {
			t.Fatalf("pass %d: sizes %v, samples %v", pass, sizes, seen)
		}
		d.Reset()
	}

	// Loop: full batches forever, each epoch a permutation of all samples.
	d = mustOpen(t, []string{root + "/train"}, Options{Batch: 5, Crop: 8, Loop: true, Seed: 3})
	var epochs [][]int
	for range 3 {
		b, err := d.Next()
		if err != nil || b.Size != 5 {
			t.Fatalf("loop batch: %v", err)
		}
		epochs = append(epochs, b.Samples)
		if got := slices.Sorted(slices.Values(b.Samples)); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
			t.Fatalf("epoch covers %v", b.Samples)
		}
	}
	if slices.Equal(epochs[0], epochs[1]) && slices.Equal(epochs[1], epochs[2]) {
		t.Error("epochs are not reshuffled")
	}
}

func TestYieldTensors(t *testing.T) {
	cam := camvidTree(t, [2]int{30, 20}, [2]int{30, 20})
	plain := t.TempDir()
	writeImage(t, filepath.Join(plain, "p.png"), 12, 12, 5)
	d := mustOpen(t, []string{cam + "/train", plain}, Options{Batch: 3, Crop: 16})
	if d.Name() == "" || len(d.Samples()) != 3 {
		t.Fatalf("name %q, %d samples", d.Name(), len(d.Samples()))
	}
	spec, inputs, labels, err := d.Yield()
	if err != nil {
		t.Fatal(err)
	}
	if spec != nil || len(inputs) != 1 || len(labels) != 1 {
		t.Fatalf("spec %v, %d inputs, %d labels", spec, len(inputs), len(labels))
	}
	if s := inputs[0].Shape(); s.DType != dtypes.Float32 || !slices.Equal(s.Dimensions, []int{3, 16, 16, 3}) {
		t.Errorf("images shape %s", s)
	}
	if s := labels[0].Shape(); s.DType != dtypes.Int32 || !slices.Equal(s.Dimensions, []int{3, 16, 16}) {
		t.Errorf("labels shape %s", s)
	}
	lab, err := tensors.CopyFlatData[int32](labels[0])
	if err != nil {
		t.Fatal(err)
	}
	// The third crop is the unlabelled image: all Ignore.
	for _, v := range lab[2*256:] {
		if v != Ignore {
			t.Fatalf("unlabelled crop has label %d", v)
		}
	}
	if _, _, _, err := d.Yield(); err != io.EOF {
		t.Errorf("after one pass: %v, want io.EOF", err)
	}
}

func TestCacheKeepsSamples(t *testing.T) {
	root := camvidTree(t, [2]int{20, 20}, [2]int{20, 20})
	d := mustOpen(t, []string{root + "/train"}, Options{Batch: 2, Crop: 8, Cache: true})
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "train"))
	d.Reset()
	if _, err := d.Next(); err != nil {
		t.Fatalf("cached pass read the disk: %v", err)
	}
	// Without the cache the files are read again, and their loss is an error.
	d = mustOpen(t, []string{root + "/val"}, Options{Batch: 1, Crop: 8})
	os.RemoveAll(filepath.Join(root, "val"))
	if _, err := d.Next(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("streaming after deletion: %v", err)
	}
}

func TestTruncatedImageAtLoad(t *testing.T) {
	root := camvidTree(t, [2]int{64, 64}, [2]int{64, 64})
	path := filepath.Join(root, "train", "b.png")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, data[:len(data)*2/3], 0o644) // header intact, pixels cut
	d, err := Open([]string{root + "/train"}, Options{Batch: 2, Crop: 8})
	if err != nil {
		t.Fatalf("listing reads headers only, yet: %v", err)
	}
	_, _, _, err = d.Yield()
	if !errors.Is(err, imageio.ErrTruncated) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want ErrTruncated naming %s", err, path)
	}
	if _, _, err := d.Samples()[1].Load(); !errors.Is(err, imageio.ErrTruncated) {
		t.Fatalf("Load: %v", err)
	}
}

func TestOptionErrors(t *testing.T) {
	root := camvidTree(t, [2]int{20, 20})
	if _, err := Open([]string{root + "/train"}, Options{Batch: -1}); err == nil {
		t.Error("negative batch accepted")
	}
	if _, err := New(nil, Options{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("no samples: %v", err)
	}
	d := mustOpen(t, []string{root + "/train"}, Options{})
	if o := d.Options(); o.Batch != DefaultBatch || o.Crop != DefaultCrop || o.Workers < 1 {
		t.Errorf("defaults not filled: %+v", o)
	}
}
