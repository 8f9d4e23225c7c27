package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/imageio"
)

func TestListLayouts(t *testing.T) {
	cam := camvidTree(t, [2]int{30, 20}, [2]int{30, 20})
	city := cityscapesTree(t, true)
	plain := t.TempDir()
	writeImage(t, filepath.Join(plain, "b.png"), 8, 8, 1)
	writeImage(t, filepath.Join(plain, "a.png"), 8, 9, 2)
	os.WriteFile(filepath.Join(plain, "SOURCES.md"), []byte("notes"), 0o644)

	tests := []struct {
		spec   string
		layout Layout
		n      int
		first  string // base name of the first image
	}{
		{"camvid:" + cam + ":train", CamVid, 2, "a.png"},
		{"camvid:" + cam + ":val", CamVid, 1, "v.png"},
		{filepath.Join(cam, "train"), CamVid, 2, "a.png"},
		{"camvid:" + filepath.Join(cam, "val"), CamVid, 1, "v.png"},
		{city, Cityscapes, 1, "aachen_000000_000019_leftImg8bit.png"},
		{"cityscapes:" + city + ":train", Cityscapes, 1, "aachen_000000_000019_leftImg8bit.png"},
		{filepath.Join(city, "leftImg8bit", "train"), Cityscapes, 1, "aachen_000000_000019_leftImg8bit.png"},
		{plain, Images, 2, "a.png"},
		{"images:" + plain, Images, 2, "a.png"},
		{"images:" + filepath.Join(plain, "b.png"), Images, 1, "b.png"},
		{filepath.Join(plain, "b.png"), Images, 1, "b.png"},
		// Forcing plain images on a labelled layout ignores its labels.
		{"images:" + filepath.Join(cam, "train"), Images, 2, "a.png"},
	}
	for _, tc := range tests {
		t.Run(strings.ReplaceAll(tc.spec, "/", "_"), func(t *testing.T) {
			s, err := List(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(s) != tc.n || s[0].Layout != tc.layout || filepath.Base(s[0].Image) != tc.first {
				t.Fatalf("got %d samples, first %+v", len(s), s[0])
			}
			if (s[0].Label != "") != (tc.layout != Images) || s[0].Width == 0 || s[0].Height == 0 {
				t.Fatalf("sample %+v", s[0])
			}
		})
	}
	all, err := ListAll([]string{"camvid:" + cam + ":train", plain})
	if err != nil || len(all) != 4 || all[2].Layout != Images {
		t.Fatalf("ListAll: %d samples, %v", len(all), err)
	}
}

func TestListErrors(t *testing.T) {
	cam := camvidTree(t, [2]int{30, 20}, [2]int{30, 20})

	missingLabel := camvidTree(t, [2]int{30, 20}, [2]int{30, 20})
	os.Remove(filepath.Join(missingLabel, "trainannot", "b.png"))

	mismatch := camvidTree(t, [2]int{30, 20})
	writeLabels(t, filepath.Join(mismatch, "trainannot", "a.png"), 30, 21, func(x, y int) uint8 { return 0 })

	rgbLabel := camvidTree(t, [2]int{30, 20})
	writeImage(t, filepath.Join(rgbLabel, "trainannot", "a.png"), 30, 20, 0)

	notImage := t.TempDir()
	writeImage(t, filepath.Join(notImage, "a.png"), 8, 8, 0)
	os.WriteFile(filepath.Join(notImage, "b.png"), []byte("this is text, not a PNG"), 0o644)

	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "README"), []byte("nothing"), 0o644)

	cityNoLabel := cityscapesTree(t, true)
	os.RemoveAll(filepath.Join(cityNoLabel, "gtFine"))

	tests := []struct {
		name    string
		spec    string
		want    error
		mention string
	}{
		{"missing label", missingLabel + "/train", ErrMissingLabel, filepath.Join(missingLabel, "trainannot", "b.png")},
		{"size mismatch", "camvid:" + mismatch + ":train", ErrSizeMismatch, filepath.Join(mismatch, "trainannot", "a.png")},
		{"RGB label map", rgbLabel + "/train", imageio.ErrNotLabelMap, filepath.Join(rgbLabel, "trainannot", "a.png")},
		{"non-image file", notImage, imageio.ErrFormat, filepath.Join(notImage, "b.png")},
		{"empty folder", empty, ErrEmpty, empty},
		{"missing folder", filepath.Join(empty, "nope"), os.ErrNotExist, filepath.Join(empty, "nope")},
		{"several splits", cam, ErrSpec, cam},
		{"unknown split", "camvid:" + cam + ":test", ErrSpec, cam},
		{"empty split", "camvid:" + cam + ":", ErrSpec, cam},
		{"split twice", "camvid:" + cam + "/train:train", ErrSpec, cam},
		{"images on a root", "images:" + cam, ErrEmpty, cam}, // its images sit in subfolders
		{"cityscapes label missing", cityNoLabel, ErrMissingLabel, "aachen_000000_000019_gtFine_labelTrainIds.png"},
		{"cityscapes on a file", "cityscapes:" + filepath.Join(notImage, "a.png"), ErrSpec, "a.png"},
		{"empty spec", "", ErrSpec, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := List(tc.spec)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error %q does not name %q", err, tc.mention)
			}
			// Listing's own errors, or the image reader's it passes on.
			if !strings.HasPrefix(err.Error(), "dataset: ") && !strings.HasPrefix(err.Error(), "imageio: ") {
				t.Errorf("error %q has no package prefix", err)
			}
		})
	}
	if _, err := ListAll(nil); !errors.Is(err, ErrEmpty) {
		t.Errorf("ListAll(nil) = %v", err)
	}
}
