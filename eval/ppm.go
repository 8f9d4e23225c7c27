package eval

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"os"

	"github.com/semcodec/semcodec/imageio"
)

// Binary PPM (P6) is the exchange format with the command-line tools that
// support it: it costs them no compression time, so their measured decode
// time is mostly decoding.

var errPPM = errors.New("eval: bad PPM file")

// writePPM writes img as an 8-bit binary PPM.
func writePPM(path string, img *image.RGBA) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	b := img.Bounds()
	fmt.Fprintf(w, "P6\n%d %d\n255\n", b.Dx(), b.Dy())
	row := make([]byte, 3*b.Dx())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		off := img.PixOffset(b.Min.X, y)
		for x := 0; x < b.Dx(); x++ {
			copy(row[3*x:3*x+3], img.Pix[off+4*x:off+4*x+3])
		}
		w.Write(row)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readPPM reads a binary PPM (P6) with any maxval, rescaling samples to 8
// bits with rounding.
func readPPM(path string) (*image.RGBA, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodePPM(bufio.NewReaderSize(f, 1<<16))
}

func decodePPM(r *bufio.Reader) (*image.RGBA, error) {
	magic := make([]byte, 2)
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != "P6" {
		return nil, fmt.Errorf("%w: not a binary PPM", errPPM)
	}
	var hdr [3]int
	for i := range hdr {
		v, err := ppmNumber(r)
		if err != nil {
			return nil, err
		}
		hdr[i] = v
	}
	w, h, maxval := hdr[0], hdr[1], hdr[2]
	if w <= 0 || h <= 0 || w > imageio.MaxSide || h > imageio.MaxSide || int64(w)*int64(h) > imageio.MaxPixels {
		return nil, fmt.Errorf("%w: size %dx%d", errPPM, w, h)
	}
	if maxval <= 0 || maxval > 65535 {
		return nil, fmt.Errorf("%w: maxval %d", errPPM, maxval)
	}
	// Exactly one whitespace byte separates the header from the samples.
	if c, err := r.ReadByte(); err != nil || (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
		return nil, fmt.Errorf("%w: no separator after the header", errPPM)
	}
	bps := 1
	if maxval > 255 {
		bps = 2
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	row := make([]byte, 3*w*bps)
	for y := 0; y < h; y++ {
		if _, err := io.ReadFull(r, row); err != nil {
			return nil, fmt.Errorf("%w: %v", errPPM, io.ErrUnexpectedEOF)
		}
		pix := img.Pix[y*img.Stride:]
		for x := 0; x < w; x++ {
			for c := 0; c < 3; c++ {
				var v int
				if bps == 1 {
					v = int(row[3*x+c])
				} else {
					v = int(row[2*(3*x+c)])<<8 | int(row[2*(3*x+c)+1])
				}
				if v > maxval {
					return nil, fmt.Errorf("%w: sample %d above maxval %d", errPPM, v, maxval)
				}
				if maxval != 255 {
					v = (v*255 + maxval/2) / maxval
				}
				pix[4*x+c] = uint8(v)
			}
			pix[4*x+3] = 255
		}
	}
	return img, nil
}

// ppmNumber reads one decimal header field, skipping whitespace and
// comments.
func ppmNumber(r *bufio.Reader) (int, error) {
	var c byte
	var err error
	for {
		if c, err = r.ReadByte(); err != nil {
			return 0, fmt.Errorf("%w: %v", errPPM, io.ErrUnexpectedEOF)
		}
		if c == '#' {
			if _, err = r.ReadString('\n'); err != nil {
				return 0, fmt.Errorf("%w: %v", errPPM, io.ErrUnexpectedEOF)
			}
			continue
		}
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
	}
	v, digits := 0, 0
	for c >= '0' && c <= '9' {
		if v > 1<<24 {
			return 0, fmt.Errorf("%w: header number too large", errPPM)
		}
		v = 10*v + int(c-'0')
		digits++
		if c, err = r.ReadByte(); err != nil {
			return 0, fmt.Errorf("%w: %v", errPPM, io.ErrUnexpectedEOF)
		}
	}
	if digits == 0 {
		return 0, fmt.Errorf("%w: bad header character %q", errPPM, c)
	}
	// The byte after the number is whitespace; return it for the caller
	// that must consume exactly one separator after maxval.
	if err := r.UnreadByte(); err != nil {
		return 0, err
	}
	return v, nil
}
