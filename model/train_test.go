package model

import (
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/internal/shareddata"
)

// TestEveryVariableGetsGradient runs one training-mode forward of tiny and checks
// that the loss has a non-zero gradient for every trainable variable.
func TestEveryVariableGetsGradient(t *testing.T) {
	cfg := mustConfig(t, "tiny")
	be := backend.MustNew()
	ctx := newContext(t, 7)
	const b, h, w = 2, 64, 64
	var names []string
	exec := context.MustNewExec(be, ctx, func(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
		out := Forward(ctx, cfg, images, true)
		loss := Loss(cfg, testWeights, out, images, labels).Total
		var vars []*graph.Node
		ctx.EnumerateVariables(func(v *context.Variable) {
			if v.Trainable && v.InUseByGraph(images.Graph()) {
				names = append(names, v.ScopeAndName())
				vars = append(vars, v.ValueGraph(images.Graph()))
			}
		})
		grads := graph.Gradient(loss, vars...)
		res := make([]*graph.Node, len(grads))
		for i, gr := range grads {
			res[i] = graph.ReduceAllMax(graph.Abs(gr))
		}
		return res
	})
	res, err := exec.Exec(gradientImages(b, h, w), stripeLabels(b, h, w, cfg.Classes))
	if err != nil {
		t.Fatal(err)
	}
	var total int
	ctx.EnumerateVariables(func(v *context.Variable) {
		if v.Trainable {
			total++
		}
	})
	if len(names) != total || total < 100 {
		t.Errorf("%d trainable variables, %d read by the training graph", total, len(names))
	}
	for i, r := range res {
		g := float64(r.Value().(float32))
		if g == 0 || math.IsNaN(g) || math.IsInf(g, 0) {
			t.Errorf("%s: max |gradient| = %g", names[i], g)
		}
	}
}

// TestInferenceIsDeterministic runs the inference forward of the same weights in two
// separately compiled executables on the default backend and wants identical bits.
// The odd input size also checks the executed pad-and-crop path.
func TestInferenceIsDeterministic(t *testing.T) {
	cfg := mustConfig(t, "tiny")
	be := backend.MustNew()
	ctx := newContext(t, 3)
	images := gradientImages(1, 70, 45)
	forward := func(ctx *context.Context, x *graph.Node) []*graph.Node {
		out := Forward(ctx, cfg, x, false)
		return []*graph.Node{out.XHat, out.XHatEnh, out.Logits, out.YHat, out.ZHat, out.BPP}
	}
	first, err := context.MustNewExec(be, ctx, forward).Exec(images)
	if err != nil {
		t.Fatal(err)
	}
	second, err := context.MustNewExec(be, ctx.Reuse(), forward).Exec(images)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{1, 70, 45, 3}, {1, 70, 45, 3}, {1, 70, 45, cfg.Classes}}
	for i := range first {
		if i < len(want) && !slices.Equal(first[i].Shape().Dimensions, want[i]) {
			t.Errorf("output %d: shape %s, want %v", i, first[i].Shape(), want[i])
		}
		a, b := tensorBits(first[i]), tensorBits(second[i])
		if !slices.Equal(a, b) {
			t.Errorf("output %d differs between two runs", i)
		}
	}
	// Inference quantizes: ŷ and ẑ are integers.
	for _, i := range []int{3, 4} {
		for _, v := range tensors.MustCopyFlatData[float32](first[i]) {
			if v != float32(math.Floor(float64(v))) {
				t.Fatalf("output %d has non-integer value %g", i, v)
			}
		}
	}
}

func tensorBits(t *tensors.Tensor) []uint32 {
	flat := tensors.MustCopyFlatData[float32](t)
	bits := make([]uint32, len(flat))
	for i, v := range flat {
		bits[i] = math.Float32bits(v)
	}
	return bits
}

// camvidCrops reads n crops of size x size (and their labels, void 11 -> -1) from the
// CamVid training split, skipping the test when the data is absent.
func camvidCrops(t testing.TB, n, size int) ([][][][]float32, [][][]int32) {
	t.Helper()
	dir := shareddata.Path(t, "data", "camvid")
	names, err := filepath.Glob(filepath.Join(dir, "train", "*.png"))
	if err != nil || len(names) < n {
		t.Skipf("camvid/train has %d images (%v)", len(names), err)
	}
	slices.Sort(names)
	var imgs [][][][]float32
	var labels [][][]int32
	for i := range n {
		name := names[i*len(names)/n]
		rgb := readPNG(t, name)
		lab := readPNG(t, filepath.Join(dir, "trainannot", filepath.Base(name)))
		b := rgb.Bounds()
		// Crop from the middle band of the frame, where road, buildings and cars meet.
		x0, y0 := b.Min.X+(b.Dx()-size)/2+(i%3-1)*size, b.Min.Y+(b.Dy()-size)/2
		img := make([][][]float32, size)
		lab2 := make([][]int32, size)
		for y := range size {
			img[y] = make([][]float32, size)
			lab2[y] = make([]int32, size)
			for x := range size {
				r, g, bl, _ := rgb.At(x0+x, y0+y).RGBA()
				img[y][x] = []float32{float32(r>>8) / 255, float32(g>>8) / 255, float32(bl>>8) / 255}
				l, _, _, _ := lab.At(x0+x, y0+y).RGBA()
				lab2[y][x] = int32(l >> 8)
				if lab2[y][x] >= 11 {
					lab2[y][x] = -1
				}
			}
		}
		imgs = append(imgs, img)
		labels = append(labels, lab2)
	}
	return imgs, labels
}

func readPNG(t testing.TB, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// TestTinyLossFalls trains tiny for 30 Adam steps on a fixed batch of real CamVid
// crops and wants the rate-distortion-segmentation loss to fall clearly.
func TestTinyLossFalls(t *testing.T) {
	imgs, labels := camvidCrops(t, 3, 64)
	cfg := mustConfig(t, "tiny")
	be := backend.MustNew()
	ctx := newContext(t, 11)
	opt := optimizers.Adam().LearningRate(3e-3).Done()
	step := context.MustNewExec(be, ctx, func(ctx *context.Context, images, labels *graph.Node) []*graph.Node {
		out := Forward(ctx, cfg, images, true)
		terms := Loss(cfg, testWeights, out, images, labels)
		opt.UpdateGraph(ctx, images.Graph(), terms.Total)
		// The main loss, without the aux term that only moves the quantiles.
		main := graph.Sub(terms.Total, terms.Aux)
		return []*graph.Node{main, terms.MSE, terms.BPP, terms.CE, terms.Aux}
	})
	const steps = 30
	var history []float64
	for i := range steps {
		res, err := step.Exec(imgs, labels)
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, float64(res[0].Value().(float32)))
		if i == 0 || i == steps-1 {
			t.Logf("step %d: loss %.3f mse %.4f bpp %.3f ce %.3f aux %.1f", i, res[0].Value(), res[1].Value(),
				res[2].Value(), res[3].Value(), res[4].Value())
		}
	}
	first := mean(history[:3])
	last := mean(history[steps-3:])
	if !(last < 0.7*first) {
		t.Errorf("loss did not fall: first steps %.3f, last steps %.3f (%v)", first, last, fmt.Sprint(history))
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
