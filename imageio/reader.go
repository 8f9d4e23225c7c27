package imageio

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register the JPEG decoder
	"image/png"
	"io"
	"io/fs"
	"os"
)

// DecodeConfig reads an image header from r and checks its dimensions against
// MaxSide and MaxPixels. The format is "png" or "jpeg".
func DecodeConfig(r io.Reader) (image.Config, string, error) {
	cfg, format, err := decodeConfig(r)
	if err != nil {
		return cfg, format, fmt.Errorf("imageio: decode image: %w", err)
	}
	return cfg, format, nil
}

// ReadConfig reads the header of the image file at path; see DecodeConfig.
func ReadConfig(path string) (image.Config, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return image.Config{}, "", fileError("read", path, err)
	}
	defer f.Close()
	cfg, format, err := decodeConfig(f)
	if err != nil {
		return cfg, format, fileError("read", path, err)
	}
	return cfg, format, nil
}

// DecodeImage decodes a PNG or JPEG image from r into opaque 8-bit RGB,
// following the colour rules in the package documentation.
func DecodeImage(r io.Reader) (*image.RGBA, error) {
	img, _, err := decode(r)
	if err != nil {
		return nil, fmt.Errorf("imageio: decode image: %w", err)
	}
	return AsRGB(img), nil
}

// ReadImage reads a PNG or JPEG file into opaque 8-bit RGB, following the
// colour rules in the package documentation. Errors are *FileError values
// naming path.
func ReadImage(path string) (*image.RGBA, error) {
	img, _, err := readRaw(path)
	if err != nil {
		return nil, err
	}
	return AsRGB(img), nil // the decoded image is ours: no copy needed
}

// readRaw decodes the file at path without colour conversion.
func readRaw(path string) (image.Image, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fileError("read", path, err)
	}
	defer f.Close()
	img, format, err := decode(f)
	if err != nil {
		return nil, format, fileError("read", path, err)
	}
	return img, format, nil
}

// decode checks the header first so that a hostile header cannot make the
// decoder allocate gigabytes, then decodes the whole image. The header bytes
// consumed by the check are replayed to the decoder, so r need not seek.
func decode(r io.Reader) (image.Image, string, error) {
	var header bytes.Buffer
	if _, _, err := decodeConfig(io.TeeReader(r, &header)); err != nil {
		return nil, "", err
	}
	img, format, err := image.Decode(io.MultiReader(&header, r))
	if err != nil {
		return nil, format, classify(err)
	}
	return img, format, nil
}

func decodeConfig(r io.Reader) (image.Config, string, error) {
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return cfg, format, classify(err)
	}
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return cfg, format, err
	}
	return cfg, format, nil
}

func checkSize(w, h int) error {
	switch {
	case w <= 0 || h <= 0:
		return fmt.Errorf("%w (%dx%d)", ErrEmpty, w, h)
	case w > MaxSide || h > MaxSide || int64(w)*int64(h) > MaxPixels:
		return fmt.Errorf("%w (%dx%d; limits %d per side, %d pixels)", ErrTooLarge, w, h, MaxSide, MaxPixels)
	}
	return nil
}

// classify maps decoder errors onto this package's sentinels where one fits.
func classify(err error) error {
	switch {
	case errors.Is(err, image.ErrFormat):
		return ErrFormat
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return ErrTruncated
	}
	// The PNG decoder reports a compressed stream that stops early this way.
	var fe png.FormatError
	if errors.As(err, &fe) && fe == "not enough pixel data" {
		return fmt.Errorf("%w (%v)", ErrTruncated, err)
	}
	return err
}

// fileError wraps err with the operation and path; an *fs.PathError is
// unwrapped first so the path is not named twice.
func fileError(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &FileError{Op: op, Path: path, Err: err}
}
