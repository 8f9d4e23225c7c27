package weights

import (
	"errors"
	"reflect"
	"testing"
	"testing/fstest"
)

func familyFS(t *testing.T, qualities ...int) fstest.MapFS {
	fsys := fstest.MapFS{"models/README.md": {Data: []byte("not a model")}}
	for _, q := range qualities {
		f := sampleFile(t)
		f.Meta.Quality = q
		fsys["models/q"+string(rune('0'+q))+".smw"] = &fstest.MapFile{Data: encoded(t, f)}
	}
	return fsys
}

func TestLoadFamily(t *testing.T) {
	fsys := familyFS(t, 3, 1, 2)
	fam, err := LoadFamily(fsys, "models/*.smw")
	if err != nil {
		t.Fatal(err)
	}
	if fam.Name() != "semcodec-test" || fam.Len() != 3 || !reflect.DeepEqual(fam.Qualities(), []int{1, 2, 3}) {
		t.Fatalf("family %q %v", fam.Name(), fam.Qualities())
	}
	meta, err := fam.Metadata(2)
	if err != nil || meta.Quality != 2 {
		t.Errorf("Metadata(2) = %+v, %v", meta, err)
	}
	f, err := fam.Quality(3)
	if err != nil || f.Meta.Quality != 3 {
		t.Fatalf("Quality(3) = %v", err)
	}
	again, _ := fam.Quality(3)
	if again != f {
		t.Error("a level was loaded twice")
	}
	id, _ := f.ID()
	want, _ := Parse(fsys["models/q3.smw"].Data)
	if wid, _ := want.ID(); wid != id {
		t.Errorf("ID %v, want %v", id, wid)
	}
	if _, err := fam.Quality(7); !errors.Is(err, ErrNotFound) {
		t.Errorf("Quality(7): %v", err)
	}
}

func TestLoadFamilyEmptyAndErrors(t *testing.T) {
	fam, err := LoadFamily(familyFS(t), "models/*.smw")
	if err != nil || fam.Len() != 0 {
		t.Errorf("empty family: %v, %d", err, fam.Len())
	}
	dup := familyFS(t, 1)
	dup["models/other.smw"] = dup["models/q1.smw"]
	if _, err := LoadFamily(dup, "models/*.smw"); err == nil {
		t.Error("two files of one quality accepted")
	}
	bad := familyFS(t, 1)
	bad["models/bad.smw"] = &fstest.MapFile{Data: []byte("garbage!")}
	if _, err := LoadFamily(bad, "models/*.smw"); err == nil {
		t.Error("corrupt file accepted")
	}
	a, b := sampleFile(t), sampleFile(t)
	b.Meta.Model, b.Meta.Quality = "other", 2
	if _, err := NewFamily(a, b); err == nil {
		t.Error("mixed model names accepted")
	}
	a.Meta.Quality = 0
	if _, err := NewFamily(a); err == nil {
		t.Error("quality 0 accepted")
	}
}

func TestLoadFamilies(t *testing.T) {
	fsys := familyFS(t, 1, 2)
	other := sampleFile(t)
	other.Meta.Model, other.Meta.Quality = "another", 1
	fsys["models/another.smw"] = &fstest.MapFile{Data: encoded(t, other)}
	fams, err := LoadFamilies(fsys, "models/*.smw")
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 2 || fams[0].Name() != "another" || fams[1].Name() != "semcodec-test" ||
		!reflect.DeepEqual(fams[1].Qualities(), []int{1, 2}) {
		t.Fatalf("got %d families", len(fams))
	}
	if _, err := LoadFamily(fsys, "models/*.smw"); err == nil {
		t.Error("LoadFamily accepted two model names")
	}
	// A second generation of "another" at the same quality is a family of
	// its own.
	fsys["models/another-old.smw"] = &fstest.MapFile{Data: encoded(t, other)}
	if fams, err = LoadFamilies(fsys, "models/*.smw"); err != nil {
		t.Fatal(err)
	}
	if len(fams) != 3 || fams[0].Name() != "another" || fams[1].Name() != "another" || fams[2].Name() != "semcodec-test" {
		t.Fatalf("got %d families", len(fams))
	}
}
