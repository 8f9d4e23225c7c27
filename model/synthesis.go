package model

import (
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/nn"
)

// Scopes of the decoder side.
const (
	ScopeSynthesis       = "synthesis"        // image synthesis transform
	ScopeSemanticDecoder = "semantic_decoder" // segmentation from ŷ_sem alone
	ScopeEnhancement     = "enhancement"      // post-enhancement module
)

// SynthesizeImage decodes ŷ_img [B,h,w,MImage] into x̂ [B,16h,16w,3]: four sub-pixel
// upsamplings "up1".."up4" (conv3x3 to 4C + depth-to-space; 5×5 stride-2 transposed
// convolutions with cfg.TransposedSynthesis), with "igdn1".."igdn3"
// after the first three. When cfg.Enhancement is on and segLogits (from
// SynthesizeSegmentation, [B,16h,16w,K]) is given, it also returns the enhanced x̂_e;
// otherwise xHatEnh is nil.
func SynthesizeImage(ctx *context.Context, cfg Config, yHatImg, segLogits *graph.Node) (xHat, xHatEnh *graph.Node) {
	cfg.mustValidate()
	checkLatent(yHatImg, cfg.MImage, "ŷ_img")
	sctx := ctx.In(ScopeSynthesis)
	h := yHatImg
	up := func(ctx *context.Context, h *graph.Node, out int) *graph.Node {
		if cfg.TransposedSynthesis {
			return nn.TransposedConvolution(ctx, h, out, 5, 2)
		}
		return nn.SubPixelConv(ctx, h, out, 3)
	}
	for i := 1; i <= 3; i++ {
		h = up(sctx.Inf("up%d", i), h, cfg.N)
		h = nn.IGDN(sctx.Inf("igdn%d", i), h)
	}
	xHat = up(sctx.In("up4"), h, 3)
	if cfg.Enhancement && segLogits != nil {
		xHatEnh = enhance(ctx.In(ScopeEnhancement), cfg, xHat, segLogits)
	}
	return xHat, xHatEnh
}
