// Usage:
//
//	y := nn.Conv(x, kernel, [2]int{1, 1}, [2]int{1, 1})
//
// x is NHWC [B, H, W, Cin], kernel is [kh, kw, Cin, Cout] with odd kh and kw
// (1-D kernels such as 3x1 and 1x3 included); stride and dilation are
// (rows, columns), and 0 means 1. Padding is "same" zero padding of
// (k-1)*dilation/2 on each side, so y is [B, ceil(H/s), ceil(W/s), Cout].
// Add biases yourself. Conv is pure graph code: it runs on the semcpu
// adapter and on XLA, in float32 or float64, and has its own gradient for
// both x and kernel.

package nn

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Conv is a 2-D convolution (cross-correlation, as in every deep-learning
// framework) with "same" zero padding. See the usage note at the top of
// this file.
//
// It is one ConvGeneral op, so GoMLX differentiates it (two more
// ConvGeneral ops) and every backend runs it natively; semcpu turns each
// of the three into packed sgemm work (see package backend).
//
// It panics, as graph-building code does, on bad shapes.
func Conv(x, kernel *graph.Node, stride, dilation [2]int) *graph.Node {
	c := newConvGeom(x, kernel, stride, dilation)
	axes := backends.ConvolveAxesConfig{
		InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
		KernelSpatial: []int{0, 1}, KernelInputChannels: 2, KernelOutputChannels: 3,
		OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
	}
	pads := [][2]int{{c.ph, c.ph}, {c.pw, c.pw}}
	if (c.sh > 1 || c.sw > 1) && (c.dh > 1 || c.dw > 1) {
		// GoMLX takes strides or dilations, not both: convolve densely and
		// keep every s-th output, which is the same "same"-padded result.
		y := graph.ConvGeneral(x, kernel, axes, nil, pads, nil, []int{c.dh, c.dw}, 1, 1)
		return graph.Slice(y, graph.AxisRange(), graph.AxisRange().Stride(c.sh), graph.AxisRange().Stride(c.sw),
			graph.AxisRange())
	}
	// Input dilations must stay nil: GoMLX refuses to differentiate a
	// convolution that has them.
	return graph.ConvGeneral(x, kernel, axes, []int{c.sh, c.sw}, pads, nil, []int{c.dh, c.dw}, 1, 1)
}

// convGeom holds the static geometry of one Conv call.
type convGeom struct {
	b, h, w, cin, cout int
	kh, kw, sh, sw     int
	dh, dw, ph, pw     int
	ho, wo             int
}

func newConvGeom(x, kernel *graph.Node, stride, dilation [2]int) convGeom {
	if x.Rank() != 4 || kernel.Rank() != 4 {
		panic(fmt.Errorf("nn.Conv: want x [B,H,W,Cin] and kernel [kh,kw,Cin,Cout], got %s and %s",
			x.Shape(), kernel.Shape()))
	}
	if x.DType() != kernel.DType() {
		panic(fmt.Errorf("nn.Conv: dtypes differ: x %s, kernel %s", x.DType(), kernel.DType()))
	}
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	c := convGeom{b: xd[0], h: xd[1], w: xd[2], cin: xd[3], kh: kd[0], kw: kd[1], cout: kd[3]}
	if kd[2] != c.cin {
		panic(fmt.Errorf("nn.Conv: x has %d channels but kernel %s expects %d", c.cin, kernel.Shape(), kd[2]))
	}
	if c.kh%2 == 0 || c.kw%2 == 0 {
		panic(fmt.Errorf("nn.Conv: kernel %dx%d: only odd kernel sizes are supported", c.kh, c.kw))
	}
	for _, s := range append(stride[:], dilation[:]...) {
		if s < 0 {
			panic(fmt.Errorf("nn.Conv: negative stride %v or dilation %v", stride, dilation))
		}
	}
	c.sh, c.sw, c.dh, c.dw = max(stride[0], 1), max(stride[1], 1), max(dilation[0], 1), max(dilation[1], 1)
	c.ph, c.pw = (c.kh-1)*c.dh/2, (c.kw-1)*c.dw/2
	c.ho, c.wo = (c.h+c.sh-1)/c.sh, (c.w+c.sw-1)/c.sw
	return c
}
