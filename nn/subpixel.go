package nn

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
)

// DepthToSpace rearranges x [B,H,W,r*r*C] into [B,r*H,r*W,C]: input channel
// (dy*r+dx)*C + c goes to output pixel (r*h+dy, r*w+dx), channel c. For r=2 the fixed-point
// codec (package fixedpoint) reproduces this layout.
func DepthToSpace(x *graph.Node, r int) *graph.Node {
	if x.Rank() != 4 || r <= 0 {
		layerPanicf("nn.DepthToSpace: want NHWC input and r > 0, got shape %s, r=%d", x.Shape(), r)
	}
	d := x.Shape().Dimensions
	b, h, w, cr := d[0], d[1], d[2], d[3]
	if cr%(r*r) != 0 {
		layerPanicf("nn.DepthToSpace: %d channels is not a multiple of r*r=%d", cr, r*r)
	}
	c := cr / (r * r)
	y := graph.Reshape(x, b, h, w, r, r, c)
	y = graph.TransposeAllAxes(y, 0, 1, 3, 2, 4, 5) // [B,H,r(dy),W,r(dx),C]
	return graph.Reshape(y, b, h*r, w*r, c)
}

// SpaceToDepth is the inverse of DepthToSpace: [B,r*H,r*W,C] -> [B,H,W,r*r*C].
func SpaceToDepth(x *graph.Node, r int) *graph.Node {
	if x.Rank() != 4 || r <= 0 {
		layerPanicf("nn.SpaceToDepth: want NHWC input and r > 0, got shape %s, r=%d", x.Shape(), r)
	}
	d := x.Shape().Dimensions
	b, hr, wr, c := d[0], d[1], d[2], d[3]
	if hr%r != 0 || wr%r != 0 {
		layerPanicf("nn.SpaceToDepth: size %dx%d is not a multiple of %d", hr, wr, r)
	}
	y := graph.Reshape(x, b, hr/r, r, wr/r, r, c)
	y = graph.TransposeAllAxes(y, 0, 1, 3, 2, 4, 5) // [B,H,W,r(dy),r(dx),C]
	return graph.Reshape(y, b, hr/r, wr/r, r*r*c)
}

// SubPixelConv is sub-pixel upsampling by 2 (Shi et al., CVPR 2016): a kernel x kernel
// convolution to 4*outChannels ("weights" [k,k,in,4*out], "biases" [4*out] in ctx's
// scope), then DepthToSpace(2). It replaces transposed convolutions, whose gradient
// the CPU backend lacks.
func SubPixelConv(ctx *context.Context, x *graph.Node, outChannels, kernel int) *graph.Node {
	y := Convolution(ctx, x, 4*outChannels).Kernel(kernel, kernel).Done()
	return DepthToSpace(y, 2)
}
