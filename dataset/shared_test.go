package dataset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

// TestCamVidShared lists the real CamVid split and streams a few samples:
// raw label files hold 0..11, and the loader yields only Ignore and 0..10.
func TestCamVidShared(t *testing.T) {
	root := shareddata.Path(t, "data", "camvid")
	samples, err := List("camvid:" + root + ":train")
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 367 || samples[0].Width != 480 || samples[0].Height != 360 {
		t.Fatalf("%d samples, first %+v", len(samples), samples[0])
	}
	few := samples[:4]
	for _, s := range few {
		raw, err := imageio.ReadLabels(s.Label)
		if err != nil {
			t.Fatal(err)
		}
		_, labels, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range raw.Pix {
			want := int32(v)
			switch {
			case v > imageio.CamVidVoid:
				t.Fatalf("%s holds label %d", s.Label, v)
			case v == imageio.CamVidVoid:
				want = Ignore
			}
			if labels[i] != want {
				t.Fatalf("%s pixel %d: raw %d loaded as %d", s.Label, i, v, labels[i])
			}
		}
	}
	seen := map[int32]bool{}
	for _, s := range few {
		_, labels, err := s.Load()
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range labels {
			if v < Ignore || v > 10 {
				t.Fatalf("label %d out of -1..10", v)
			}
			seen[v] = true
		}
	}
	if len(seen) < 5 {
		t.Errorf("only labels %v in four frames", seen)
	}
}

// TestCityscapesShared checks the Cityscapes sample both ways: with its
// labelTrainIds file, and with only labelIds, mapped to trainIds.
func TestCityscapesShared(t *testing.T) {
	root := shareddata.Path(t, "data", "cityscapes_sample")
	samples, err := List(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 1 || samples[0].LabelIDs || samples[0].Layout != Cityscapes {
		t.Fatalf("samples %+v", samples)
	}
	_, fromTrain, err := samples[0].Load()
	if err != nil {
		t.Fatal(err)
	}

	// A copy without labelTrainIds falls back to labelIds.
	tmp := t.TempDir()
	rel := func(p string) string { r, _ := filepath.Rel(root, p); return r }
	idFile := filepath.Join(filepath.Dir(samples[0].Label), "frankfurt_000000_000294_gtFine_labelIds.png")
	for _, p := range []string{samples[0].Image, idFile} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		mkdir(t, filepath.Dir(filepath.Join(tmp, rel(p))))
		if err := os.WriteFile(filepath.Join(tmp, rel(p)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mapped, err := List("cityscapes:" + tmp + ":val")
	if err != nil {
		t.Fatal(err)
	}
	if !mapped[0].LabelIDs {
		t.Fatalf("sample %+v should use labelIds", mapped[0])
	}
	_, fromIDs, err := mapped[0].Load()
	if err != nil {
		t.Fatal(err)
	}
	// The sample's files were downscaled separately, so a few edge pixels
	// differ (see imageio's test); the rest must agree.
	agree, classes := 0, map[int32]bool{}
	for i := range fromIDs {
		if fromIDs[i] < Ignore || fromIDs[i] > 18 {
			t.Fatalf("label %d out of range", fromIDs[i])
		}
		classes[fromIDs[i]] = true
		if fromIDs[i] == fromTrain[i] {
			agree++
		}
	}
	if frac := float64(agree) / float64(len(fromIDs)); frac < 0.99 || len(classes) < 6 {
		t.Errorf("labelIds and labelTrainIds agree on %.4f of pixels, %d classes", frac, len(classes))
	}
}
