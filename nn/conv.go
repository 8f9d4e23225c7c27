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

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// Conv is a 2-D convolution (cross-correlation, as in every deep-learning
// framework) with "same" zero padding. See the usage note at the top of
// this file.
//
// It extracts patches (pad, one strided slice per kernel tap, concatenate)
// and multiplies them by the kernel in a single DotGeneral: on simplego
// that needs about 9x less CPU time than the backend's native convolution.
// The gradients are custom as well:
//   - kernel: patchesᵀ · v, one DotGeneral;
//   - x, stride 1: a "same" convolution of v with the kernel flipped and
//     transposed, again patches plus one DotGeneral;
//   - x, larger strides: v · kernelᵀ, then the patch gradients are summed
//     back into place one stride phase at a time (col2im).
//
// It panics, as graph-building code does, on bad shapes.
func Conv(x, kernel *graph.Node, stride, dilation [2]int) *graph.Node {
	c := newConvGeom(x, kernel, stride, dilation)
	var patches *graph.Node // [M, T*Cin], kept for the kernel gradient.
	return withCustomGradient([]*graph.Node{x, kernel},
		func(in []*graph.Node) *graph.Node {
			xp := pad2D(in[0], c.ph, c.ph, c.pw, c.pw)
			patches = graph.Reshape(extractPatches(xp, c.forwardOffsets(), c.ho, c.wo, c.sh, c.sw),
				c.m(), c.taps()*c.cin)
			w := graph.Reshape(in[1], c.taps()*c.cin, c.cout)
			return graph.Reshape(dot(patches, w), c.b, c.ho, c.wo, c.cout)
		},
		func(in []*graph.Node, v *graph.Node, i int) *graph.Node {
			if i == 1 {
				v2 := graph.Reshape(v, c.m(), c.cout)
				dw := graph.DotGeneral(patches, []int{0}, nil, v2, []int{0}, nil)
				return graph.Reshape(dw, c.kh, c.kw, c.cin, c.cout)
			}
			if c.sh == 1 && c.sw == 1 {
				return c.inputGradStride1(v, in[1])
			}
			return c.inputGradStrided(v, in[1])
		})
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
		panic(fmt.Errorf("semcodec: nn.Conv: want x [B,H,W,Cin] and kernel [kh,kw,Cin,Cout], got %s and %s",
			x.Shape(), kernel.Shape()))
	}
	if x.DType() != kernel.DType() {
		panic(fmt.Errorf("semcodec: nn.Conv: dtypes differ: x %s, kernel %s", x.DType(), kernel.DType()))
	}
	xd, kd := x.Shape().Dimensions, kernel.Shape().Dimensions
	c := convGeom{b: xd[0], h: xd[1], w: xd[2], cin: xd[3], kh: kd[0], kw: kd[1], cout: kd[3]}
	if kd[2] != c.cin {
		panic(fmt.Errorf("semcodec: nn.Conv: x has %d channels but kernel %s expects %d", c.cin, kernel.Shape(), kd[2]))
	}
	if c.kh%2 == 0 || c.kw%2 == 0 {
		panic(fmt.Errorf("semcodec: nn.Conv: kernel %dx%d: only odd kernel sizes are supported", c.kh, c.kw))
	}
	for _, s := range append(stride[:], dilation[:]...) {
		if s < 0 {
			panic(fmt.Errorf("semcodec: nn.Conv: negative stride %v or dilation %v", stride, dilation))
		}
	}
	c.sh, c.sw, c.dh, c.dw = max(stride[0], 1), max(stride[1], 1), max(dilation[0], 1), max(dilation[1], 1)
	c.ph, c.pw = (c.kh-1)*c.dh/2, (c.kw-1)*c.dw/2
	c.ho, c.wo = (c.h+c.sh-1)/c.sh, (c.w+c.sw-1)/c.sw
	return c
}

func (c convGeom) taps() int { return c.kh * c.kw }
func (c convGeom) m() int    { return c.b * c.ho * c.wo }

// forwardOffsets lists, tap by tap in kernel order, where each tap's window
// starts in the padded input.
func (c convGeom) forwardOffsets() [][2]int {
	offs := make([][2]int, 0, c.taps())
	for i := range c.kh {
		for j := range c.kw {
			offs = append(offs, [2]int{i * c.dh, j * c.dw})
		}
	}
	return offs
}

// inputGradStride1: with stride 1 and symmetric padding, dx is the "same"
// convolution of v with the kernel rotated by 180° and with in/out swapped.
// Rotating is done by reading the taps of v in reverse order, so the kernel
// only needs a (small) transpose.
func (c convGeom) inputGradStride1(v, kernel *graph.Node) *graph.Node {
	offs := make([][2]int, 0, c.taps())
	for i := range c.kh {
		for j := range c.kw {
			offs = append(offs, [2]int{(c.kh - 1 - i) * c.dh, (c.kw - 1 - j) * c.dw})
		}
	}
	vp := pad2D(v, c.ph, c.ph, c.pw, c.pw)
	vPatches := graph.Reshape(extractPatches(vp, offs, c.h, c.w, 1, 1), c.b*c.h*c.w, c.taps()*c.cout)
	wt := graph.Reshape(graph.TransposeAllAxes(kernel, 0, 1, 3, 2), c.taps()*c.cout, c.cin)
	return graph.Reshape(dot(vPatches, wt), c.b, c.h, c.w, c.cin)
}

// inputGradStrided computes the patch gradients v · kernelᵀ and adds each
// tap's share back at its place in the padded input. Positions a tap
// touches all share one stride phase (row mod sh, column mod sw), so each
// phase is a dense grid built from plain pads and adds; the phases are then
// interleaved by a reshape and the padding cut off.
func (c convGeom) inputGradStrided(v, kernel *graph.Node) *graph.Node {
	v2 := graph.Reshape(v, c.m(), c.cout)
	w := graph.Reshape(kernel, c.taps()*c.cin, c.cout)
	dp := graph.Reshape(graph.DotGeneral(v2, []int{1}, nil, w, []int{1}, nil), c.b, c.ho, c.wo, c.taps(), c.cin)

	hp, wp := c.h+2*c.ph, c.w+2*c.pw
	hq, wq := (hp+c.sh-1)/c.sh, (wp+c.sw-1)/c.sw
	phases := make([][]*graph.Node, c.sh)
	for ry := range phases {
		phases[ry] = make([]*graph.Node, c.sw)
	}
	for i := range c.kh {
		oy, ry := i*c.dh/c.sh, i*c.dh%c.sh
		for j := range c.kw {
			ox, rx := j*c.dw/c.sw, j*c.dw%c.sw
			t := i*c.kw + j
			piece := graph.Reshape(graph.Slice(dp, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(),
				graph.AxisRange(t, t+1), graph.AxisRange()), c.b, c.ho, c.wo, c.cin)
			piece = pad2D(piece, oy, hq-oy-c.ho, ox, wq-ox-c.wo)
			if phases[ry][rx] == nil {
				phases[ry][rx] = piece
			} else {
				phases[ry][rx] = graph.Add(phases[ry][rx], piece)
			}
		}
	}
	g := v.Graph()
	rows := make([]*graph.Node, c.sh)
	for ry := range phases {
		for rx, p := range phases[ry] {
			if p == nil {
				phases[ry][rx] = graph.Zeros(g, shapes.Make(v.DType(), c.b, hq, wq, c.cin))
			}
		}
		rows[ry] = graph.Stack(phases[ry], 3) // [B, hq, wq, sw, C]
	}
	full := graph.Reshape(graph.Stack(rows, 2), c.b, hq*c.sh, wq*c.sw, c.cin)
	return graph.Slice(full, graph.AxisRange(), graph.AxisRange(c.ph, c.ph+c.h),
		graph.AxisRange(c.pw, c.pw+c.w), graph.AxisRange())
}

// extractPatches takes, for each offset, the strided ho x wo window of the
// padded NHWC input xp starting there, and concatenates the windows along
// channels: [B, ho, wo, len(offsets)*C], tap-major.
func extractPatches(xp *graph.Node, offsets [][2]int, ho, wo, sh, sw int) *graph.Node {
	d := xp.Shape().Dimensions
	windows := make([]*graph.Node, len(offsets))
	for t, o := range offsets {
		ey, ex := o[0]+(ho-1)*sh+1, o[1]+(wo-1)*sw+1
		if o[0] == 0 && o[1] == 0 && ey == d[1] && ex == d[2] && sh == 1 && sw == 1 {
			windows[t] = xp
			continue
		}
		windows[t] = graph.Slice(xp, graph.AxisRange(), graph.AxisRange(o[0], ey).Stride(sh),
			graph.AxisRange(o[1], ex).Stride(sw), graph.AxisRange())
	}
	return graph.Concatenate(windows, 3)
}

// pad2D zero-pads the spatial axes of an NHWC tensor. It concatenates zero
// blocks rather than calling Pad, which plain simplego lacks, so Conv does
// not depend on the adapter's composed Pad.
func pad2D(x *graph.Node, top, bottom, left, right int) *graph.Node {
	g := x.Graph()
	zeros := func(dims ...int) *graph.Node { return graph.Zeros(g, shapes.Make(x.DType(), dims...)) }
	d := x.Shape().Dimensions
	if top > 0 || bottom > 0 {
		parts := make([]*graph.Node, 0, 3)
		if top > 0 {
			parts = append(parts, zeros(d[0], top, d[2], d[3]))
		}
		parts = append(parts, x)
		if bottom > 0 {
			parts = append(parts, zeros(d[0], bottom, d[2], d[3]))
		}
		x = graph.Concatenate(parts, 1)
	}
	d = x.Shape().Dimensions
	if left > 0 || right > 0 {
		parts := make([]*graph.Node, 0, 3)
		if left > 0 {
			parts = append(parts, zeros(d[0], d[1], left, d[3]))
		}
		parts = append(parts, x)
		if right > 0 {
			parts = append(parts, zeros(d[0], d[1], right, d[3]))
		}
		x = graph.Concatenate(parts, 2)
	}
	return x
}
