package bitstream_test

import (
	"bytes"
	"fmt"

	"github.com/semcodec/semcodec/bitstream"
)

func Example() {
	f := &bitstream.File{
		Header: bitstream.Header{
			ModelName: "semcodec-small-q3", Quality: 3,
			Width: 768, Height: 512, LatentWidth: 48, LatentHeight: 32,
		},
		Hyper: []byte{1, 2}, Semantic: []byte{3, 4, 5}, Image: []byte{6, 7, 8, 9},
	}
	var buf bytes.Buffer
	if err := bitstream.Write(&buf, f); err != nil {
		panic(err)
	}
	fmt.Println(buf.Len(), "bytes")

	// Segmentation-only decoding reads the header, hyper and semantic
	// segments and never touches the image segment.
	part, err := bitstream.ReadPartial(bytes.NewReader(buf.Bytes()), bitstream.SegmentSemantic)
	if err != nil {
		panic(err)
	}
	fmt.Println(part.Width, part.Height, part.HyperWidth(), part.HyperHeight(), part.Semantic, part.Image == nil)
	// Output:
	// 81 bytes
	// 768 512 12 8 [3 4 5] true
}
