package datapack

import (
	"bytes"
	"testing"
)

// FuzzDecode checks that no input makes the reader panic, that DecodeConfig
// agrees with Decode, and that every entry of an accepted pack decodes or
// fails cleanly.
func FuzzDecode(f *testing.F) {
	data, _ := buildPack(f, &Options{Quality: 50})
	f.Add(data)
	f.Add(data[:headerSize+20])
	f.Add([]byte("SMPK\x01\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, cerr := DecodeConfig(bytes.NewReader(b))
		p, err := Decode(b)
		if err != nil {
			return
		}
		if cerr != nil || len(cfg.Entries) != p.Len() {
			t.Fatalf("Decode accepted what DecodeConfig rejected: %v", cerr)
		}
		for i := 0; i < p.Len(); i++ {
			if img, err := p.Image(i); err == nil && img.Bounds().Dx() != p.Info(i).Width {
				t.Fatalf("entry %d: width %d, index says %d", i, img.Bounds().Dx(), p.Info(i).Width)
			}
			if _, err := p.Labels(i); err != nil {
				continue
			}
		}
	})
}
