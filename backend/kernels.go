package backend

// The fast path: semcpu replaces simplego's executors for DotGeneral and
// ConvGeneral with kernels that pack their operands straight into one
// sgemm operand (package blas: OpenBLAS when present, pure Go otherwise).
//
// simplego v0.26.0 offers no public way to register an executor, so the
// table is reached with go:linkname, and the node's private fields are read
// through mirror structs. Both are checked at start-up by reflection against
// the real types (see checkLayouts); on any mismatch the fast path stays off,
// simplego's own executors run, and FastPath says why. Cases the kernels do
// not cover (other dtypes, grouped convolutions, unusual axis layouts) are
// handed to the saved simplego executor and counted, so a test can insist
// that a model never leaves the fast path.

import (
	"fmt"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

type nodeExecutor func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer,
	inputsOwned []bool) (*simplego.Buffer, error)

//go:linkname simplegoExecutors github.com/gomlx/gomlx/backends/simplego.nodeExecutors
var simplegoExecutors [backends.OpTypeLast]nodeExecutor

// nodeMirror has simplego.Node's memory layout (checked by checkLayouts).
type nodeMirror struct {
	builderIdx         int
	inputs             []*simplego.Node
	opType             backends.OpType
	shape              shapes.Shape
	builder            *simplego.Builder
	multiOutputsShapes []shapes.Shape
	multiOutputsNodes  []*simplego.Node
	isNodeSelectOutput bool
	selectOutputIdx    int
	data               any
}

// convParams mirrors simplego's convNode.
type convParams struct {
	axes              backends.ConvolveAxesConfig
	strides           []int
	paddings          [][2]int
	inputDilations    []int
	kernelDilations   []int
	channelGroupCount int
	batchGroupCount   int

	hasInputDilations, hasKernelDilations            bool
	inputStrides, inputSpatialStrides, kernelStrides []int
	dilatedInputSpatialDims                          []int
}

// dotParams mirrors simplego's dotGeneralNodeData.
type dotParams struct {
	lhsContractingAxes, lhsBatchAxes                       []int
	rhsContractingAxes, rhsBatchAxes                       []int
	batchSize, lhsCrossSize, rhsCrossSize, contractingSize int
	lhsBlockedShape, rhsBlockedShape, outputBlockedShape   shapes.Shape
}

// Counters of executor calls, for FastPathStats.
var (
	fastCalls, fallbackCalls atomic.Int64
	fastEnabled              atomic.Bool
	fastReason               string
	saved                    [backends.OpTypeLast]nodeExecutor // simplego's own executors
	convType, dotType        reflect.Type                      // simplego's parameter types, from the probe
)

func init() {
	if err := checkLayouts(); err != nil {
		fastReason = "off: " + err.Error()
		return
	}
	kernels := map[backends.OpType]nodeExecutor{
		backends.OpTypeDotGeneral:  executor(backends.OpTypeDotGeneral, dotFast, &fastCalls, &fallbackCalls),
		backends.OpTypeConvGeneral: executor(backends.OpTypeConvGeneral, convFast, &fastCalls, &fallbackCalls),
	}
	for op, k := range elementwiseKernels() {
		kernels[op] = executor(op, k, &elementwiseCalls, nil)
	}
	for op := range kernels {
		if simplegoExecutors[op] == nil {
			fastReason = fmt.Sprintf("off: simplego has no %s executor to replace", op)
			return
		}
	}
	for op, k := range kernels {
		saved[op] = simplegoExecutors[op]
		simplegoExecutors[op] = k
	}
	fastEnabled.Store(true)
	fastReason = "on: DotGeneral and ConvGeneral run packed sgemm kernels; common float32 elementwise ops, reductions and transposes run parallel kernels"
}

// fastKernel runs a node on semcpu's kernels, or declines (false) when the
// node is not a case it covers.
type fastKernel func(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, bool)

// executor makes op's executor: the fast kernel when the fast path is on
// and the kernel takes the node, simplego's own otherwise. It counts the
// kernel's runs in ran and, if declined is not nil, the declines there.
func executor(op backends.OpType, fast fastKernel, ran, declined *atomic.Int64) nodeExecutor {
	return func(be *simplego.Backend, node *simplego.Node, in []*simplego.Buffer, owned []bool) (*simplego.Buffer, error) {
		if fastEnabled.Load() {
			if out, ok := fast(be, node, in, owned); ok {
				ran.Add(1)
				return out, nil
			}
			if declined != nil {
				declined.Add(1)
			}
		}
		return saved[op](be, node, in, owned)
	}
}

// FastPath reports whether semcpu's DotGeneral/ConvGeneral kernels are
// installed, and why (or why not).
func FastPath() (on bool, reason string) { return fastEnabled.Load(), fastReason }

// FastPathStats returns how many DotGeneral/ConvGeneral executions ran on
// the fast kernels and how many were handed back to simplego. (Elementwise
// ops on other dtypes go back to simplego as a matter of course and are
// not counted.)
func FastPathStats() (fast, fallback int64) { return fastCalls.Load(), fallbackCalls.Load() }

// SetFastPath turns the kernels on or off at run time (when they could be
// installed at all), so tests can compare both paths in one process. It
// returns a function restoring the previous setting. Not safe while a graph
// executes.
func SetFastPath(on bool) (restore func()) {
	if saved[backends.OpTypeDotGeneral] == nil {
		return func() {}
	}
	prev := fastEnabled.Swap(on)
	return func() { fastEnabled.Store(prev) }
}

// checkLayouts builds a tiny simplego graph and compares the real node and
// parameter types with the mirrors, field by field.
func checkLayouts() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("layout probe panicked: %v", r)
		}
	}()
	if err := sameLayout(reflect.TypeOf(simplego.Node{}), reflect.TypeOf(nodeMirror{})); err != nil {
		return err
	}
	be, err := simplego.New("")
	if err != nil {
		return err
	}
	defer be.Finalize()
	b := be.Builder("semcpu-layout-probe")
	x, err := b.Parameter("x", shapes.Make(dtypes.Float32, 1, 4, 4, 2), nil)
	if err != nil {
		return err
	}
	k, err := b.Parameter("k", shapes.Make(dtypes.Float32, 3, 3, 2, 2), nil)
	if err != nil {
		return err
	}
	axes := backends.ConvolveAxesConfig{InputBatch: 0, InputChannels: 3, InputSpatial: []int{1, 2},
		KernelInputChannels: 2, KernelOutputChannels: 3, KernelSpatial: []int{0, 1},
		OutputBatch: 0, OutputChannels: 3, OutputSpatial: []int{1, 2}}
	conv, err := b.ConvGeneral(x, k, axes, []int{1, 1}, [][2]int{{1, 1}, {1, 1}}, nil, nil, 1, 1)
	if err != nil {
		return err
	}
	convType = reflect.TypeOf(mirrorOf(conv).data)
	if err := sameLayout(convType, reflect.TypeOf(&convParams{})); err != nil {
		return err
	}
	dot, err := b.DotGeneral(x, []int{3}, nil, k, []int{2}, nil)
	if err != nil {
		return err
	}
	// simplego reshapes the normalized DotGeneral node; its input is the node.
	dn := mirrorOf(dot)
	if dn.opType != backends.OpTypeDotGeneral {
		if len(dn.inputs) != 1 {
			return fmt.Errorf("DotGeneral is not built as a node plus a reshape")
		}
		dn = mirrorOf(dn.inputs[0])
	}
	if dn.opType != backends.OpTypeDotGeneral {
		return fmt.Errorf("DotGeneral is not built as a node plus a reshape")
	}
	dotType = reflect.TypeOf(dn.data)
	return sameLayout(dotType, reflect.TypeOf(&dotParams{}))
}

// paramsOf returns node data of the probed type want as the mirror *T, or
// nil if the data is of another type.
func paramsOf[T any](data any, want reflect.Type) *T {
	if data == nil || reflect.TypeOf(data) != want {
		return nil
	}
	return (*T)(reflect.ValueOf(data).UnsafePointer())
}

func mirrorOf(op backends.Op) *nodeMirror {
	return (*nodeMirror)(unsafe.Pointer(op.(*simplego.Node)))
}

// sameLayout compares two struct types (or pointers to them): field count,
// names, types and offsets.
func sameLayout(real, mirror reflect.Type) error {
	if real == nil {
		return fmt.Errorf("no node data where %s was expected", mirror)
	}
	if real.Kind() == reflect.Pointer {
		real = real.Elem()
	}
	if mirror.Kind() == reflect.Pointer {
		mirror = mirror.Elem()
	}
	if real.Kind() != reflect.Struct || real.NumField() != mirror.NumField() || real.Size() != mirror.Size() {
		return fmt.Errorf("simplego's %s no longer matches the layout semcpu expects (GoMLX version changed?)", real)
	}
	for i := range real.NumField() {
		r, m := real.Field(i), mirror.Field(i)
		if r.Name != m.Name || r.Type != m.Type || r.Offset != m.Offset {
			return fmt.Errorf("simplego's %s field %d is %s %s@%d, semcpu expects %s %s@%d (GoMLX version changed?)",
				real, i, r.Name, r.Type, r.Offset, m.Name, m.Type, m.Offset)
		}
	}
	return nil
}

// float32Data returns a buffer's flat data if it is float32.
func float32Data(be *simplego.Backend, buf *simplego.Buffer) ([]float32, bool) {
	flat, err := be.BufferData(buf)
	if err != nil {
		return nil, false
	}
	f, ok := flat.([]float32)
	return f, ok
}
