package trainer

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	mlctx "github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/context/initializers"

	"github.com/semcodec/semcodec/model"
	"github.com/semcodec/semcodec/nn"
)

// The entropy bottleneck's quantiles are trained by the aux loss alone (their
// gradient from the rest of the loss is zero). As in CompressAI they get an
// optimizer of their own with a larger learning rate: at the main 1e-4 they
// would need some 10^4 steps to move from their initial ±10 to the data's
// range. The main Adam is kept off them (the variable is marked not
// trainable) and auxAdam updates them from the aux loss.
const (
	// DefaultAuxLearningRate is CompressAI's aux optimizer learning rate.
	DefaultAuxLearningRate = 1e-3
	auxScope               = "AuxAdam"
	auxBeta1, auxBeta2     = 0.9, 0.999
	auxEpsilon             = 1e-8
)

// quantilesVar returns the bottleneck's quantiles variable, which Forward
// must already have created in ctx.
func quantilesVar(ctx *mlctx.Context) *mlctx.Variable {
	v := ctx.GetVariableByScopeAndName("/"+model.ScopeEntropyBottleneck, nn.EntropyBottleneckQuantilesName)
	if v == nil {
		panic(fmt.Errorf("trainer: the network has no %s/%s variable", model.ScopeEntropyBottleneck, nn.EntropyBottleneckQuantilesName))
	}
	return v
}

// auxAdamUpdate adds to aux's graph one Adam step of the quantiles on aux.
func auxAdamUpdate(ctx *mlctx.Context, q *mlctx.Variable, aux *graph.Node, lr float64) {
	g := aux.Graph()
	dt := q.Shape().DType
	actx := ctx.InAbsPath("/" + auxScope).Checked(false).WithInitializer(initializers.Zero)
	m1 := actx.VariableWithShape("quantiles_1st_moment", q.Shape()).SetTrainable(false)
	m2 := actx.VariableWithShape("quantiles_2nd_moment", q.Shape()).SetTrainable(false)
	stepVar := actx.VariableWithShape("step", shapes.Make(dt)).SetTrainable(false)

	value := q.ValueGraph(g)
	grad := graph.Gradient(aux, value)[0]
	step := graph.AddScalar(stepVar.ValueGraph(g), 1)
	stepVar.SetValueGraph(step)
	m := graph.Add(graph.MulScalar(m1.ValueGraph(g), auxBeta1), graph.MulScalar(grad, 1-auxBeta1))
	v := graph.Add(graph.MulScalar(m2.ValueGraph(g), auxBeta2), graph.MulScalar(graph.Square(grad), 1-auxBeta2))
	m1.SetValueGraph(m)
	m2.SetValueGraph(v)
	one := graph.ScalarOne(g, dt)
	mHat := graph.Div(m, graph.Sub(one, graph.Pow(graph.Scalar(g, dt, auxBeta1), step)))
	vHat := graph.Div(v, graph.Sub(one, graph.Pow(graph.Scalar(g, dt, auxBeta2), step)))
	delta := graph.Div(graph.MulScalar(mHat, lr), graph.AddScalar(graph.Sqrt(vHat), auxEpsilon))
	q.SetValueGraph(graph.Sub(value, delta))
}
