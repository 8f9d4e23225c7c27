package eval

import (
	"bufio"
	"bytes"
	"path/filepath"
	"testing"
)

func FuzzDecodePPM(f *testing.F) {
	f.Add([]byte("P6\n2 2\n255\n0123456789ab"))
	f.Add([]byte("P6 # c\n1 1\n65535\n\xff\xff\x80\x00\x00\x00"))
	f.Add([]byte("P6\n1 1\n15\n\x10\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := decodePPM(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Dx() <= 0 || b.Dy() <= 0 {
			t.Fatalf("decoded an empty image %v", b)
		}
		// What decodes must survive a write and a read unchanged.
		p := filepath.Join(t.TempDir(), "f.ppm")
		if err := writePPM(p, img); err != nil {
			t.Fatal(err)
		}
		again, err := readPPM(p)
		if err != nil || !bytes.Equal(again.Pix, img.Pix) {
			t.Fatalf("re-read failed: %v", err)
		}
	})
}
