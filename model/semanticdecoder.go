package model

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/nn"
)

// SynthesizeSegmentation decodes ŷ_sem [B,h,w,MSemantic] alone (so a decoder can skip
// the image segment) into logits [B,16h,16w,K]. ERFNet-style decoder:
// "in" conv3x3 + bn + ReLU on the 1/16 grid; "up1".."up3" are sub-pixel upsamplings
// (conv3x3 to 4·width, bn on those 4·width channels, depth-to-space, ReLU) to 1/8, 1/4
// and 1/2 scale with "nb1_<k>" and "nb2_<k>" blocks after the first two; "logits" is a
// plain sub-pixel upsampling to K classes at full resolution.
func SynthesizeSegmentation(ctx *context.Context, cfg Config, yHatSem *graph.Node) *graph.Node {
	cfg.mustValidate()
	if !cfg.Semantic {
		panic(fmt.Errorf("model.SynthesizeSegmentation: configuration %q has no semantic branch", cfg.Name))
	}
	checkLatent(yHatSem, cfg.MSemantic, "ŷ_sem")
	ctx = ctx.In(ScopeSemanticDecoder)
	h := nn.Relu(nn.Convolution(ctx.In("in"), yHatSem, cfg.SemanticWidths[1]).BatchNorm().Done())
	for i, w := range cfg.DecoderWidths {
		up := nn.Convolution(ctx.Inf("up%d", i+1), h, 4*w).BatchNorm().Done()
		h = nn.Relu(nn.DepthToSpace(up, 2))
		if i < 2 {
			for k := range cfg.DecoderBlocks {
				h = nn.NonBottleneck1D(ctx.Inf("nb%d_%d", i+1, k), h, 1, cfg.Dropout)
			}
		}
	}
	return nn.SubPixelConv(ctx.In("logits"), h, cfg.Classes, 3)
}
