package datapack

import (
	"bytes"
	"testing"
)

func benchPack(b *testing.B) *Pack {
	w, _ := NewWriter(nil)
	img := testImage(480, 360, 3)
	if err := w.Add(Sample{Name: "x", Classes: "camvid", NumClasses: 11, Image: img, Labels: testLabels(480, 360, 11)}); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	p, err := Decode(buf.Bytes())
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkImage decodes a 480×360 entry (bytes are RGB output bytes).
func BenchmarkImage(b *testing.B) {
	p := benchPack(b)
	b.SetBytes(480 * 360 * 3)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Image(0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode codes a 480×360 labelled sample at the default quality.
func BenchmarkEncode(b *testing.B) {
	img, lab := testImage(480, 360, 3), testLabels(480, 360, 11)
	b.SetBytes(480 * 360 * 3)
	b.ReportAllocs()
	var size int64
	for b.Loop() {
		e, err := Encode(Sample{Name: "x", Classes: "camvid", NumClasses: 11, Image: img, Labels: lab}, nil)
		if err != nil {
			b.Fatal(err)
		}
		size = e.Stat().ImageBytes
	}
	b.ReportMetric(float64(size*8)/(480*360), "bpp")
}
