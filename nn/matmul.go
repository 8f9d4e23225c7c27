package nn

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

// Linear contracts the last axis of x with the first axis of w:
// x [..., K] · w [K, N] -> [..., N]. It is the building block of Conv and of
// dense layers.
//
// Its gradient is custom: GoMLX's generic DotGeneral gradient materialises
// an [M, N, K] broadcast product, which dominated training time on the CPU.
// Here both gradients are single DotGenerals (dx = v·wᵀ, dw = xᵀ·v).
func Linear(x, w *graph.Node) *graph.Node {
	if x.Rank() < 1 || w.Rank() != 2 {
		panic(fmt.Errorf("semcodec: nn.Linear: want x [..., K] and w [K, N], got %s and %s", x.Shape(), w.Shape()))
	}
	k := x.Shape().Dimensions[x.Rank()-1]
	if w.Shape().Dimensions[0] != k {
		panic(fmt.Errorf("semcodec: nn.Linear: x %s and w %s disagree on K", x.Shape(), w.Shape()))
	}
	if x.DType() != w.DType() {
		panic(fmt.Errorf("semcodec: nn.Linear: dtypes differ: x %s, w %s", x.DType(), w.DType()))
	}
	xDims := x.Shape().Dimensions
	n := w.Shape().Dimensions[1]
	if k == 0 || n == 0 {
		panic(fmt.Errorf("semcodec: nn.Linear: empty contraction or output axis: x %s, w %s", x.Shape(), w.Shape()))
	}
	outDims := append(append([]int{}, xDims[:len(xDims)-1]...), n)
	m := x.Shape().Size() / k

	return withCustomGradient([]*graph.Node{x, w},
		func(in []*graph.Node) *graph.Node {
			x2 := graph.Reshape(in[0], m, k)
			return graph.Reshape(dot(x2, in[1]), outDims...)
		},
		func(in []*graph.Node, v *graph.Node, i int) *graph.Node {
			v2 := graph.Reshape(v, m, n)
			if i == 0 {
				// dx = v · wᵀ: contract over N, both operands in row-major order.
				return graph.Reshape(graph.DotGeneral(v2, []int{1}, nil, in[1], []int{1}, nil), xDims...)
			}
			// dw = xᵀ · v: contract over the M rows.
			return graph.DotGeneral(graph.Reshape(in[0], m, k), []int{0}, nil, v2, []int{0}, nil)
		})
}

// dot is the plain 2-D product a [M, K] · b [K, N], with no custom gradient:
// callers only use it inside withCustomGradient.
func dot(a, b *graph.Node) *graph.Node {
	return graph.DotGeneral(a, []int{1}, nil, b, []int{0}, nil)
}

// withCustomGradient builds forward(inputs) and gives it the gradient
// backward(inputs, v, i) with respect to inputs[i], where v is the gradient
// arriving at the output. GoMLX v0.26.0 only offers custom gradients for
// single-input identities (graph.IdentityWithCustomGradient), so this wires
// several of them:
//
//   - the output of forward passes through StopGradient, so GoMLX never
//     differentiates through it (nor even builds that dead gradient graph,
//     which would need ops plain simplego lacks);
//   - each input passes through an identity whose custom gradient returns
//     backward(..., i), ignoring what reaches it;
//   - a zero-valued scalar computed from those identities is added to the
//     output, only so that reverse-mode autodiff visits them;
//   - a last identity on the output records v. Autodiff visits nodes in
//     reverse creation order, so v is recorded before any input asks for it.
//
// The zero term costs one reduction per input in the forward pass. If an
// input holds Inf or NaN the whole output becomes NaN (0·Inf), which is no
// worse than what the layer would output anyway.
func withCustomGradient(inputs []*graph.Node, forward func(in []*graph.Node) *graph.Node,
	backward func(in []*graph.Node, v *graph.Node, i int) *graph.Node) *graph.Node {
	var v *graph.Node
	tapped := make([]*graph.Node, len(inputs))
	for i, in := range inputs {
		tapped[i] = graph.IdentityWithCustomGradient(in, func(_, _ *graph.Node) *graph.Node {
			if v == nil {
				panic(fmt.Errorf("semcodec: nn: custom gradient asked before the output gradient was seen"))
			}
			return backward(inputs, v, i)
		})
	}
	out := graph.StopGradient(forward(inputs))

	var zero *graph.Node
	for _, t := range tapped {
		s := graph.ReduceAllSum(t)
		if zero == nil {
			zero = s
		} else {
			zero = graph.Add(zero, s)
		}
	}
	zero = graph.MulScalar(zero, 0)
	ones := make([]int, out.Rank())
	for i := range ones {
		ones[i] = 1
	}
	out = graph.Add(out, graph.Reshape(zero, ones...))
	return graph.IdentityWithCustomGradient(out, func(_, grad *graph.Node) *graph.Node {
		v = grad
		return grad
	})
}
