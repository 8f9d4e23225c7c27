package codec

import (
	"bytes"
	"testing"

	"github.com/semcodec/semcodec/bitstream"
)

// FuzzDecode feeds arbitrary bytes to DecodeConfig, Decode and
// DecodeSegmentation with the test model and a small pixel limit: no input
// may panic, and what decodes must agree with its header.
func FuzzDecode(f *testing.F) {
	f.Add(encodedImage(f, 1, 1))
	f.Add(encodedImage(f, 70, 50))
	f.Add([]byte("\x89SMC"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := &Decoder{Models: []*Model{mustModel(t)}, MaxPixels: 130 * 130}
		cfg, cfgErr := DecodeConfig(bytes.NewReader(data))
		res, err := d.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		if cfgErr != nil {
			t.Fatalf("Decode accepted what DecodeConfig rejected: %v", cfgErr)
		}
		if res.Image.Bounds().Dx() != cfg.Width || res.Image.Bounds().Dy() != cfg.Height {
			t.Fatalf("decoded %v for a %dx%d header", res.Image.Bounds(), cfg.Width, cfg.Height)
		}
		seg, err := d.DecodeSegmentation(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("Decode succeeded but DecodeSegmentation failed: %v", err)
		}
		if !bytes.Equal(seg.Map.Pix, res.Segmentation.Map.Pix) {
			t.Fatal("segmentation-only map differs from the full decode's")
		}
	})
}

// FuzzDecodePayloads wraps arbitrary segment payloads in a valid container
// (right model, valid checksums), so the fuzzer reaches the entropy decoder,
// the fixed-point path and the network instead of stopping at a checksum.
func FuzzDecodePayloads(f *testing.F) {
	valid, err := bitstream.Read(bytes.NewReader(encodedImage(f, 70, 50)))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid.Hyper, valid.Semantic, valid.Image, uint8(70), uint8(50))
	f.Add([]byte{}, []byte{}, []byte{}, uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, hyper, sem, img []byte, w, h uint8) {
		m := mustModel(t)
		wd, ht := max(int(w)%130, 1), max(int(h)%130, 1)
		file := &bitstream.File{Header: m.header(wd, ht, padded(wd)/16, padded(ht)/16, rate{quality: uint8(m.Quality())}), Hyper: hyper, Semantic: sem, Image: img}
		var buf bytes.Buffer
		if err := bitstream.Write(&buf, file); err != nil {
			t.Fatal(err)
		}
		d := &Decoder{Models: []*Model{m}}
		res, err := d.Decode(bytes.NewReader(buf.Bytes()))
		if err == nil && (res.Image.Bounds().Dx() != wd || res.Image.Bounds().Dy() != ht) {
			t.Fatalf("decoded %v for %dx%d", res.Image.Bounds(), wd, ht)
		}
	})
}
