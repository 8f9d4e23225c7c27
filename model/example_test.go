package model_test

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/model"
)

func ExampleConfigByName() {
	cfg, err := model.ConfigByName("small")
	if err != nil {
		panic(err)
	}
	cfg.Classes = 19 // Cityscapes
	fmt.Println(cfg.N, cfg.MImage, cfg.MSemantic, cfg.LatentChannels(), cfg.Codable() == nil)
	// Output: 64 96 32 128 true
}

// ExampleForward builds (without running) the training graph of the tiny network
// for a 100x70 image and prints the shapes it produces.
func ExampleForward() {
	cfg, _ := model.ConfigByName("tiny")
	ctx := context.New()
	g := graph.NewGraph(backend.MustNew(), "example")
	images := graph.Parameter(g, "images", shapes.Make(dtypes.Float32, 1, 100, 70, 3))
	labels := graph.Parameter(g, "labels", shapes.Make(dtypes.Int32, 1, 100, 70))
	out := model.Forward(ctx, cfg, images, true)
	loss := model.Loss(cfg, model.LossWeights{Lambda: 0.013, CE: 1}, out, images, labels) // CompressAI quality 4
	fmt.Println(out.XHatEnh.Shape(), out.Logits.Shape())
	fmt.Println(out.YHat.Shape(), out.ZHat.Shape(), loss.Total.Shape())
	// Output:
	// (Float32)[1 100 70 3] (Float32)[1 100 70 11]
	// (Float32)[1 8 8 12] (Float32)[1 2 2 8] (Float32)
}
