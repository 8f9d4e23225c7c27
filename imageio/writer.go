package imageio

import (
	"image"
	"image/png"
	"io"

	"github.com/semcodec/semcodec/atomicfile"
)

// WritePNG encodes img as PNG to path atomically: it writes a temporary file
// in the same folder and renames it over path, so readers never see a partial
// file. img keeps its own colour model (an opaque *image.RGBA is stored as
// 8-bit RGB, a *image.Gray as 8-bit gray).
func WritePNG(path string, img image.Image) error {
	if img == nil || img.Bounds().Empty() {
		return &FileError{Op: "write", Path: path, Err: ErrEmpty}
	}
	// atomicfile's own errors already name path; only encoder errors need it.
	return atomicfile.WriteFile(path, func(w io.Writer) error {
		if err := png.Encode(w, img); err != nil {
			return fileError("write", path, err)
		}
		return nil
	})
}

// EncodePNG encodes img as PNG to w, keeping img's colour model as WritePNG
// does. An empty image gives ErrEmpty.
func EncodePNG(w io.Writer, img image.Image) error {
	if img == nil || img.Bounds().Empty() {
		return ErrEmpty
	}
	return png.Encode(w, img)
}
