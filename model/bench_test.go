package model

import (
	"fmt"
	"testing"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"
	"github.com/gomlx/gomlx/pkg/ml/train/optimizers"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/internal/cputime"
)

// BenchmarkForward times the inference forward (analysis, hyperprior, both decoders,
// enhancement) on one 768x512 image, Kodak's size. Compilation and weight
// initialisation happen before the timer. Run with:
//
//	go test ./model -run XXX -bench Forward -benchtime 2x
func BenchmarkForward(b *testing.B) {
	for _, name := range []string{"small", "base"} {
		b.Run(name, func(b *testing.B) {
			cfg := mustConfig(b, name)
			const h, w = 512, 768
			ctx := newContext(b, 1)
			exec := context.MustNewExec(backend.MustNew(), ctx, func(ctx *context.Context, x *graph.Node) []*graph.Node {
				out := Forward(ctx, cfg, x, false)
				return []*graph.Node{out.XHatEnh, out.Logits, out.BPP}
			})
			images := gradientImages(1, h, w)
			if _, err := exec.Exec(images); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(h * w * 3)
			b.ResetTimer()
			cpu := cputime.Process()
			for range b.N {
				if _, err := exec.Exec(images); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cputime.Process()-cpu).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(b.N*h*w)/b.Elapsed().Seconds(), "pixels/s")
		})
	}
}

// BenchmarkTrainStep times one Adam step (forward, loss, gradients, update) on a batch
// of 8 crops of 128x128 (and tiny on 2 crops of 64x64, the unit tests' size). Run with:
//
//	go test ./model -run XXX -bench TrainStep -benchtime 2x
func BenchmarkTrainStep(b *testing.B) {
	cases := []struct {
		name    string
		n, size int
	}{{"tiny", 2, 64}, {"tiny", 8, 128}, {"small", 8, 128}, {"base", 8, 128}}
	for _, bc := range cases {
		b.Run(fmt.Sprintf("%s/%dx%dx%d", bc.name, bc.n, bc.size, bc.size), func(b *testing.B) {
			cfg := mustConfig(b, bc.name)
			n, size := bc.n, bc.size
			ctx := newContext(b, 1)
			opt := optimizers.Adam().Done()
			exec := context.MustNewExec(backend.MustNew(), ctx, func(ctx *context.Context, x, labels *graph.Node) *graph.Node {
				out := Forward(ctx, cfg, x, true)
				loss := Loss(cfg, testWeights, out, x, labels).Total
				opt.UpdateGraph(ctx, x.Graph(), loss)
				return loss
			})
			images, labels := gradientImages(n, size, size), stripeLabels(n, size, size, cfg.Classes)
			if _, err := exec.Exec(images, labels); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(n * size * size * 3))
			b.ResetTimer()
			cpu := cputime.Process()
			for range b.N {
				if _, err := exec.Exec(images, labels); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cputime.Process()-cpu).Seconds()/float64(b.N), "cpu-s/op")
		})
	}
}
