package nn

import (
	"fmt"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/pkg/core/graph"
)

// ConvTranspose upsamples x [B,H,W,Cin] by stride s with a k×k kernel
// [k,k,Cin,Cout] (k odd) to [B,sH,sW,Cout]: the transposed convolution of
// Ballé's synthesis transforms (PyTorch's ConvTranspose2d with padding
// (k-1)/2 and output padding s-1, up to a flip of the kernel, which is only
// a reparametrisation). It is a convolution of x with s-1 zeros injected
// between samples.
//
// GoMLX does not differentiate convolutions with input dilation, so both
// gradients are written here, each one ConvGeneral the CPU kernels run
// without touching the injected zeros:
//   - x: a stride-s convolution of v with the kernel flipped and its
//     channels swapped;
//   - kernel: the kernel gradient of that strided convolution, flipped back.
func ConvTranspose(x, kernel *graph.Node, s int) *graph.Node {
	if x.Rank() != 4 || kernel.Rank() != 4 || s < 1 {
		panic(fmt.Errorf("nn.ConvTranspose: want x [B,H,W,Cin], kernel [k,k,Cin,Cout] and s >= 1, got %s, %s, %d",
			x.Shape(), kernel.Shape(), s))
	}
	kd := kernel.Shape().Dimensions
	k := kd[0]
	if kd[1] != k || k%2 == 0 || kd[2] != x.Shape().Dimensions[3] {
		panic(fmt.Errorf("nn.ConvTranspose: kernel %s does not fit x %s (square, odd, Cin first)",
			kernel.Shape(), x.Shape()))
	}
	a := (k - 1) / 2
	nhwc := backends.ConvolveAxesConfig{
		InputBatch: 0, InputSpatial: []int{1, 2}, InputChannels: 3,
		KernelSpatial: []int{0, 1}, KernelInputChannels: 2, KernelOutputChannels: 3,
		OutputBatch: 0, OutputSpatial: []int{1, 2}, OutputChannels: 3,
	}
	return withCustomGradient([]*graph.Node{x, kernel},
		func(in []*graph.Node) *graph.Node {
			return graph.ConvGeneral(in[0], in[1], nhwc, nil, [][2]int{{a, a + s - 1}, {a, a + s - 1}},
				[]int{s, s}, nil, 1, 1)
		},
		func(in []*graph.Node, v *graph.Node, i int) *graph.Node {
			if i == 0 {
				// dx[i] = Σ_t v[s·i − a + t] · K[k−1−t]ᵀ.
				flipped := graph.Reverse(in[1], 0, 1)
				swapped := nhwc
				swapped.KernelInputChannels, swapped.KernelOutputChannels = 3, 2
				return graph.ConvGeneral(v, flipped, swapped, []int{s, s}, [][2]int{{a, a}, {a, a}}, nil, nil, 1, 1)
			}
			// G[t, co, ci] = Σ_{b,i} v[b, s·i − a + t, co] · x[b, i, ci], a
			// convolution with batch and channels swapped (GoMLX's own form of
			// a kernel gradient); dK[t, ci, co] = G[k−1−t, co, ci].
			grad := backends.ConvolveAxesConfig{
				InputBatch: 3, InputSpatial: []int{1, 2}, InputChannels: 0,
				KernelSpatial: []int{1, 2}, KernelInputChannels: 0, KernelOutputChannels: 3,
				OutputBatch: 2, OutputSpatial: []int{0, 1}, OutputChannels: 3,
			}
			g := graph.ConvGeneral(v, in[0], grad, nil, [][2]int{{a, a + 1 - s}, {a, a + 1 - s}}, nil, []int{s, s}, 1, 1)
			return graph.TransposeAllAxes(graph.Reverse(g, 0, 1), 0, 1, 3, 2)
		})
}
