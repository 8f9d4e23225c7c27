package nn

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
)

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
				panic(fmt.Errorf("nn: custom gradient asked before the output gradient was seen"))
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
