package dataset

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/semcodec/semcodec/imageio"
)

// Sample is one image and, for labelled layouts, its label map.
type Sample struct {
	Image string // image file
	Label string // label file; "" for unlabelled images
	// LabelIDs marks a Cityscapes label file in the 34-labelId scheme, mapped
	// to trainIds when loaded.
	LabelIDs bool
	// Layout selects how label values are read; a labelled sample with a
	// zero Layout is read as CamVid.
	Layout        Layout
	Width, Height int // from the image header; 0 when unknown
}

// ListAll lists the samples of every spec, in order.
func ListAll(specs []string) ([]Sample, error) {
	if len(specs) == 0 {
		return nil, &Error{Path: "(no spec)", Err: ErrEmpty}
	}
	var all []Sample
	for _, spec := range specs {
		s, err := List(spec)
		if err != nil {
			return nil, err
		}
		all = append(all, s...)
	}
	return all, nil
}

// List lists the samples of one spec (see the package documentation), sorted
// by file name, after checking every image and label header.
func List(spec string) ([]Sample, error) {
	layout, path, split, err := parseSpec(spec)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, &Error{Path: path, Err: unwrapPath(err)}
	}
	if !st.IsDir() {
		if layout != 0 && layout != Images {
			return nil, &Error{Path: path, Err: fmt.Errorf("%w: %s needs a folder", ErrSpec, layout)}
		}
		return checkHeaders([]Sample{{Image: path, Layout: Images}})
	}
	if layout == 0 {
		layout = detect(path)
	}
	var samples []Sample
	switch layout {
	case CamVid:
		samples, err = listCamVid(path, split)
	case Cityscapes:
		samples, err = listCityscapes(path, split)
	case Images:
		if split != "" {
			return nil, &Error{Path: path, Err: fmt.Errorf("%w: images:%s takes no split", ErrSpec, path)}
		}
		samples, err = listImages(path)
	}
	if err != nil {
		return nil, err
	}
	return checkHeaders(samples)
}

// parseSpec splits "layout:PATH[:SPLIT]"; layout is 0 when not given.
func parseSpec(spec string) (Layout, string, string, error) {
	if spec == "" {
		return 0, "", "", &Error{Path: `""`, Err: fmt.Errorf("%w: empty", ErrSpec)}
	}
	prefix, rest, found := strings.Cut(spec, ":")
	if !found {
		return 0, spec, "", nil
	}
	var layout Layout
	switch prefix {
	case "camvid":
		layout = CamVid
	case "cityscapes":
		layout = Cityscapes
	case "images":
		return Images, rest, "", nil
	default:
		return 0, spec, "", nil // a path that happens to hold a colon
	}
	path, split := rest, ""
	if i := strings.LastIndex(rest, ":"); i >= 0 {
		path, split = rest[:i], rest[i+1:]
		if split == "" || strings.ContainsAny(split, `/\`) {
			return 0, "", "", &Error{Path: spec, Err: fmt.Errorf("%w: split must be a folder name", ErrSpec)}
		}
	}
	if path == "" {
		return 0, "", "", &Error{Path: spec, Err: fmt.Errorf("%w: no folder", ErrSpec)}
	}
	return layout, path, split, nil
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// detect guesses the layout of a folder from its neighbours.
func detect(dir string) Layout {
	dir = filepath.Clean(dir)
	switch {
	case isDir(filepath.Join(dir, "leftImg8bit")):
		return Cityscapes
	case filepath.Base(filepath.Dir(dir)) == "leftImg8bit" &&
		isDir(filepath.Join(filepath.Dir(filepath.Dir(dir)), "gtFine", filepath.Base(dir))):
		return Cityscapes
	case isDir(dir + "annot"):
		return CamVid
	case len(camvidSplits(dir)) > 0:
		return CamVid
	}
	return Images
}

// camvidSplits lists the subfolders X of dir that have a sibling Xannot.
func camvidSplits(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var splits []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasSuffix(e.Name(), "annot") && isDir(filepath.Join(dir, e.Name()+"annot")) {
			splits = append(splits, e.Name())
		}
	}
	return splits
}

// pickSplit resolves the split of a root folder that holds several.
func pickSplit(root, layout, split string, available []string) (string, error) {
	if split != "" {
		if !slices.Contains(available, split) {
			return "", &Error{Path: root, Err: fmt.Errorf("%w: no split %q (found %v)", ErrSpec, split, available)}
		}
		return split, nil
	}
	switch len(available) {
	case 0:
		return "", &Error{Path: root, Err: fmt.Errorf("%w: no %s split folders", ErrEmpty, layout)}
	case 1:
		return available[0], nil
	}
	return "", &Error{Path: root, Err: fmt.Errorf("%w: splits %v; name one, as in %s:%s:%s",
		ErrSpec, available, layout, root, available[0])}
}

func listCamVid(dir, split string) ([]Sample, error) {
	dir = filepath.Clean(dir)
	imgDir := dir
	if !isDir(dir + "annot") { // a root holding SPLIT and SPLITannot
		s, err := pickSplit(dir, "camvid", split, camvidSplits(dir))
		if err != nil {
			return nil, err
		}
		imgDir = filepath.Join(dir, s)
	} else if split != "" {
		return nil, &Error{Path: dir, Err: fmt.Errorf("%w: %s is already a split folder", ErrSpec, dir)}
	}
	files, err := imageFiles(imgDir)
	if err != nil {
		return nil, err
	}
	samples := make([]Sample, len(files))
	for i, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f)) + ".png"
		label := filepath.Join(imgDir+"annot", name)
		if !isFile(label) {
			return nil, &Error{Path: label, Err: fmt.Errorf("%w for %s", ErrMissingLabel, f)}
		}
		samples[i] = Sample{Image: f, Label: label, Layout: CamVid}
	}
	return samples, nil
}

const (
	cityscapesImageSuffix = "_leftImg8bit.png"
	cityscapesTrainSuffix = "_gtFine_labelTrainIds.png"
	cityscapesIDSuffix    = "_gtFine_labelIds.png"
)

func listCityscapes(dir, split string) ([]Sample, error) {
	dir = filepath.Clean(dir)
	var root string
	if filepath.Base(filepath.Dir(dir)) == "leftImg8bit" { // DIR is leftImg8bit/SPLIT
		if split != "" {
			return nil, &Error{Path: dir, Err: fmt.Errorf("%w: %s is already a split folder", ErrSpec, dir)}
		}
		root, split = filepath.Dir(filepath.Dir(dir)), filepath.Base(dir)
	} else {
		root = dir
		entries, err := os.ReadDir(filepath.Join(root, "leftImg8bit"))
		if err != nil {
			return nil, &Error{Path: filepath.Join(root, "leftImg8bit"), Err: unwrapPath(err)}
		}
		var splits []string
		for _, e := range entries {
			if e.IsDir() {
				splits = append(splits, e.Name())
			}
		}
		if split, err = pickSplit(root, "cityscapes", split, splits); err != nil {
			return nil, err
		}
	}
	imgRoot := filepath.Join(root, "leftImg8bit", split)
	cities, err := os.ReadDir(imgRoot)
	if err != nil {
		return nil, &Error{Path: imgRoot, Err: unwrapPath(err)}
	}
	var samples []Sample
	for _, city := range cities {
		if !city.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(imgRoot, city.Name()))
		if err != nil {
			return nil, &Error{Path: filepath.Join(imgRoot, city.Name()), Err: unwrapPath(err)}
		}
		for _, f := range files {
			name, ok := strings.CutSuffix(f.Name(), cityscapesImageSuffix)
			if f.IsDir() || !ok {
				continue
			}
			gt := filepath.Join(root, "gtFine", split, city.Name(), name)
			s := Sample{Image: filepath.Join(imgRoot, city.Name(), f.Name()), Layout: Cityscapes}
			switch {
			case isFile(gt + cityscapesTrainSuffix):
				s.Label = gt + cityscapesTrainSuffix
			case isFile(gt + cityscapesIDSuffix):
				s.Label, s.LabelIDs = gt+cityscapesIDSuffix, true
			default:
				return nil, &Error{Path: gt + cityscapesTrainSuffix,
					Err: fmt.Errorf("%w (nor %s) for %s", ErrMissingLabel, filepath.Base(gt+cityscapesIDSuffix), s.Image)}
			}
			samples = append(samples, s)
		}
	}
	if len(samples) == 0 {
		return nil, &Error{Path: imgRoot, Err: fmt.Errorf("%w (no */*%s)", ErrEmpty, cityscapesImageSuffix)}
	}
	return samples, nil
}

func listImages(dir string) ([]Sample, error) {
	files, err := imageFiles(dir)
	if err != nil {
		return nil, err
	}
	samples := make([]Sample, len(files))
	for i, f := range files {
		samples[i] = Sample{Image: f, Layout: Images}
	}
	return samples, nil
}

// imageFiles lists the files directly in dir with an image extension,
// sorted; other files (notes, licences) are skipped.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &Error{Path: dir, Err: unwrapPath(err)}
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, &Error{Path: dir, Err: fmt.Errorf("%w (no .png, .jpg or .jpeg files)", ErrEmpty)}
	}
	return files, nil // os.ReadDir sorts by name
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// checkHeaders reads every image and label header: it fills Width and
// Height and catches non-images, oversized images and size mismatches
// before any pixel is decoded.
func checkHeaders(samples []Sample) ([]Sample, error) {
	for i := range samples {
		s := &samples[i]
		cfg, _, err := imageio.ReadConfig(s.Image)
		if err != nil {
			return nil, err
		}
		s.Width, s.Height = cfg.Width, cfg.Height
		if s.Label == "" {
			continue
		}
		lcfg, format, err := imageio.ReadConfig(s.Label)
		if err != nil {
			return nil, err
		}
		_, paletted := lcfg.ColorModel.(color.Palette)
		if format != "png" || (lcfg.ColorModel != color.GrayModel && !paletted) {
			return nil, &imageio.FileError{Op: "read", Path: s.Label, Err: imageio.ErrNotLabelMap}
		}
		if lcfg.Width != cfg.Width || lcfg.Height != cfg.Height {
			return nil, sizeMismatch(s.Image, cfg.Width, cfg.Height, s.Label, lcfg.Width, lcfg.Height)
		}
	}
	return samples, nil
}

func sizeMismatch(img string, w, h int, label string, lw, lh int) error {
	return &Error{Path: label, Err: fmt.Errorf("%w: label is %dx%d, image %s is %dx%d", ErrSizeMismatch, lw, lh, img, w, h)}
}

// unwrapPath drops an *fs.PathError's own copy of the path.
func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
