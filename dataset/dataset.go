// Package dataset lists images and semantic label maps for training and
// evaluation, from CamVid, Cityscapes and plain image folders, and loads a
// sample's pixels and labels (Sample.Load). The trainer cuts its random
// crops from these samples (trainer.Batcher).
//
// # Specs
//
// A data set is named by a spec string; Open and ListAll accept several and
// mix them. A spec is a folder, optionally with an explicit layout prefix:
//
//	camvid:DIR[:SPLIT]      CamVid (SegNet layout): DIR/SPLIT/X.png with
//	                        labels DIR/SPLITannot/X.png; DIR may also be the
//	                        split folder itself (e.g. .../camvid/train).
//	cityscapes:DIR[:SPLIT]  Cityscapes: DIR/leftImg8bit/SPLIT/CITY/*_leftImg8bit.png
//	                        with DIR/gtFine/SPLIT/CITY/*_gtFine_labelTrainIds.png,
//	                        or *_gtFine_labelIds.png mapped to trainIds when the
//	                        former is missing; DIR may also be leftImg8bit/SPLIT.
//	images:PATH             every .png/.jpg/.jpeg file directly in folder PATH
//	                        (or the single image file PATH), unlabelled.
//	PATH                    layout detected: a folder holding leftImg8bit/ is
//	                        Cityscapes; a split folder inside leftImg8bit/ too;
//	                        a folder X with a sibling Xannot/, or holding
//	                        SPLIT/ and SPLITannot/ pairs, is CamVid; anything
//	                        else is a plain image folder.
//
// A root with several splits needs the split named (":train"); a root with
// one split uses it. Listing checks every image and label header, so a
// missing label file, a size mismatch, a non-image file or an empty folder is
// reported up front, naming the file; truncated pixel data is reported when
// the sample is loaded.
//
// # Labels
//
// Labels are int32 class indices with Ignore (-1) for every pixel that must
// not count in the loss or in IoU: CamVid void (11), Cityscapes 255 and all
// classes outside the 19 trainIds, every pixel of an unlabelled image, and
// the padding the trainer adds around images smaller than its crop.
package dataset

import (
	"errors"
	"fmt"
)

// Ignore is the label of pixels that carry no class.
const Ignore = -1

// Layout says how a sample's files are organised and how its label values
// are read.
type Layout int

const (
	// CamVid: 11 classes; label 11 (void) and above read as Ignore.
	CamVid Layout = iota + 1
	// Cityscapes: 19 trainIds; 255 and other values read as Ignore. Label
	// files holding labelIds are mapped to trainIds.
	Cityscapes
	// Images: no labels; every pixel reads as Ignore.
	Images
)

// String returns the spec prefix of the layout.
func (l Layout) String() string {
	switch l {
	case CamVid:
		return "camvid"
	case Cityscapes:
		return "cityscapes"
	case Images:
		return "images"
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// NumClasses returns the number of classes of the layout (0 for Images).
func (l Layout) NumClasses() int {
	switch l {
	case CamVid:
		return 11
	case Cityscapes:
		return 19
	}
	return 0
}

var (
	// ErrSpec means a spec string is malformed or names a layout that does
	// not match the folder.
	ErrSpec = errors.New("bad data set spec")
	// ErrEmpty means a spec found no images.
	ErrEmpty = errors.New("no images found")
	// ErrMissingLabel means an image of a labelled layout has no label file.
	ErrMissingLabel = errors.New("missing label file")
	// ErrSizeMismatch means an image and its label map differ in size.
	ErrSizeMismatch = errors.New("image and label sizes differ")
)

// Error reports a data set problem about a file or folder. Err is one of the
// Err* values above, or an error from imageio or the file system.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("dataset: %s: %v", e.Path, e.Err) }
func (e *Error) Unwrap() error { return e.Err }
