package model

import (
	"fmt"
	"math"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/graph"
	"github.com/gomlx/gomlx/pkg/ml/context"

	"github.com/semcodec/semcodec/nn"
)

const (
	dtypeF32 = dtypes.Float32
	dtypeI32 = dtypes.Int32
)

// Outputs of Forward. Image-sized tensors are cropped back to the input size; latent
// tensors stay on the padded grid.
type Outputs struct {
	XHat    *graph.Node // [B,H,W,3] reconstruction from ŷ_img alone
	XHatEnh *graph.Node // [B,H,W,3] after post-enhancement; the same node as XHat when Enhancement is off
	Logits  *graph.Node // [B,H,W,K] segmentation logits; nil when Semantic is off

	Y, YHat, Scales, YLikelihoods *graph.Node // [B,Hp/16,Wp/16,LatentChannels]
	Z, ZHat, ZLikelihoods         *graph.Node // [B,Hp/64,Wp/64,NHyper]
	YSem                          *graph.Node // y_sem as the semantic decoder saw it (nil without Semantic)

	BPPY, BPPZ, BPP *graph.Node // scalars: bits per input pixel, averaged over the batch
	Aux             *graph.Node // scalar: the bottleneck's quantile loss

	// Lambda [B] is each image's rate-distortion weight in a variable-rate
	// network (nil otherwise: Loss uses LossWeights.Lambda).
	Lambda *graph.Node
}

// Forward runs the whole network on images [B,H,W,3] in [0,1] of any size (padded to
// PadMultiple by edge replication, outputs cropped back). training selects uniform
// noise for quantization, batch statistics and dropout; otherwise it rounds and uses
// running statistics, as the codec does. Every variable of cfg's network is read, so
// the returned heads cover all trainable variables. A variable-rate configuration
// needs ForwardRate.
func Forward(ctx *context.Context, cfg Config, images *graph.Node, training bool) *Outputs {
	return ForwardRate(ctx, cfg, images, nil, training)
}

// ForwardRate is Forward for a variable-rate configuration: rate [B, GainLevels]
// weighs the gain levels per image (see Gains); Y, YHat and the likelihoods are
// those of the gained latent, the one coded. rate must be nil for a fixed-rate
// configuration.
func ForwardRate(ctx *context.Context, cfg Config, images, rate *graph.Node, training bool) *Outputs {
	cfg.mustValidate()
	if (rate != nil) != (cfg.GainLevels() > 0) {
		panic(fmt.Errorf("model.ForwardRate: configuration %q has %d gain levels; rate weights given: %v",
			cfg.Name, cfg.GainLevels(), rate != nil))
	}
	if images.Rank() != 4 || images.Shape().Dimensions[3] != 3 {
		panic(fmt.Errorf("model.Forward: want images [B,H,W,3], got %s", images.Shape()))
	}
	g := images.Graph()
	ctx.SetTraining(g, training)
	d := images.Shape().Dimensions
	b, h, w := d[0], d[1], d[2]
	x := PadImage(images, PadMultiple)

	out := &Outputs{}
	yImg, ySem := Analysis(ctx, cfg, x)
	out.Y = JoinLatents(cfg, yImg, ySem)
	var inverse *graph.Node
	if rate != nil {
		var gain *graph.Node
		gain, inverse = Gains(ctx, cfg, rate)
		out.Y = graph.Mul(out.Y, gain)
		out.Lambda = GainLambda(cfg, rate)
	}
	out.Z = HyperAnalysis(ctx, cfg, out.Y)
	out.ZHat = nn.Quantize(ctx, out.Z)
	eb := Bottleneck(ctx, cfg)
	out.ZLikelihoods = eb.Likelihood(out.ZHat)
	out.Aux = eb.AuxLoss(g, images.DType())
	out.Scales = HyperSynthesis(ctx, cfg, out.ZHat)
	out.YHat = nn.Quantize(ctx, out.Y)
	out.YLikelihoods = nn.GaussianLikelihood(out.YHat, out.Scales)

	yHat := out.YHat
	if inverse != nil {
		yHat = graph.Mul(yHat, inverse)
	}
	yHatImg, yHatSem := SplitLatent(cfg, yHat)
	var logits *graph.Node
	if cfg.Semantic {
		if !cfg.QuantizeSemantic {
			yHatSem = ySem
		}
		out.YSem = yHatSem
		logits = SynthesizeSegmentation(ctx, cfg, yHatSem)
	}
	xHat, xHatEnh := SynthesizeImage(ctx, cfg, yHatImg, logits)
	out.XHat = CropImage(xHat, h, w)
	out.XHatEnh = out.XHat
	if xHatEnh != nil {
		out.XHatEnh = CropImage(xHatEnh, h, w)
	}
	if logits != nil {
		out.Logits = CropImage(logits, h, w)
	}

	pixels := float64(b * h * w)
	out.BPPY = bitsPerPixel(out.YLikelihoods, pixels)
	out.BPPZ = bitsPerPixel(out.ZLikelihoods, pixels)
	out.BPP = graph.Add(out.BPPY, out.BPPZ)
	return out
}

func bitsPerPixel(likelihoods *graph.Node, pixels float64) *graph.Node {
	bits := graph.ReduceAllSum(graph.Neg(graph.Log(likelihoods)))
	return graph.MulScalar(bits, 1/(math.Ln2*pixels))
}

// LossWeights weigh the terms of the training loss: Lambda is CompressAI's
// MSE λ (0.0018 ... 0.18, see docs/architecture.md), CE the cross-entropy's
// weight (the paper's 1).
type LossWeights struct {
	Lambda, CE float64
}

// LossTerms are the scalar parts of the training loss.
type LossTerms struct {
	Total *graph.Node // Lambda·255²·MSE + BPP + Aux + CE·CE (LossWeights)
	MSE   *graph.Node // of x̂_e against the input, values in [0,1]
	BPP   *graph.Node
	Aux   *graph.Node
	CE    *graph.Node // mean pixel cross-entropy over labelled pixels (0 when none); 0 without Semantic
}

// Loss is the paper's Eq. 2, L = λ·D + R + CE, with D = 255²·MSE (so λ is CompressAI's
// MSE lambda; per image, out.Lambda, in a variable-rate network) and R = bpp(y) + bpp(z) + the bottleneck's aux loss. labels [B,H,W]
// int32 mark ignored pixels with any value outside 0..K-1; they are required when
// cfg.Semantic is on (pass all -1 for unlabelled images) and ignored otherwise.
func Loss(cfg Config, w LossWeights, out *Outputs, images, labels *graph.Node) *LossTerms {
	t := &LossTerms{BPP: out.BPP, Aux: out.Aux}
	sq := graph.Square(graph.Sub(out.XHatEnh, images))
	t.MSE = graph.ReduceAllMean(sq)
	distortion := graph.MulScalar(t.MSE, w.Lambda*255*255)
	if out.Lambda != nil {
		// Each image's MSE weighed by its own level's λ.
		perImage := graph.ReduceMean(sq, 1, 2, 3)
		distortion = graph.MulScalar(graph.ReduceAllMean(graph.Mul(perImage, out.Lambda)), 255*255)
	}
	t.Total = graph.Add(distortion, graph.Add(t.BPP, t.Aux))
	if cfg.Semantic {
		t.CE = CrossEntropy(out.Logits, labels)
		t.Total = graph.Add(t.Total, graph.MulScalar(t.CE, w.CE))
	} else {
		t.CE = graph.ScalarZero(images.Graph(), images.DType())
	}
	return t
}

// CrossEntropy is the mean pixel cross-entropy of logits [B,H,W,K] against labels
// [B,H,W] (int32), over pixels whose label is in 0..K-1; 0 when there are none.
func CrossEntropy(logits, labels *graph.Node) *graph.Node {
	if logits == nil || labels == nil || logits.Rank() != 4 || labels.Rank() != 3 {
		panic(fmt.Errorf("model.CrossEntropy: want logits [B,H,W,K] and labels [B,H,W]"))
	}
	ld, bd := logits.Shape().Dimensions, labels.Shape().Dimensions
	if ld[0] != bd[0] || ld[1] != bd[1] || ld[2] != bd[2] {
		panic(fmt.Errorf("model.CrossEntropy: logits %s and labels %s differ in size", logits.Shape(), labels.Shape()))
	}
	k := ld[3]
	labels = graph.ConvertDType(labels, dtypes.Int32)
	valid := graph.LogicalAnd(
		graph.GreaterOrEqual(labels, graph.ZerosLike(labels)),
		graph.LessThan(labels, graph.AddScalar(graph.ZerosLike(labels), k)))
	safe := graph.Where(valid, labels, graph.ZerosLike(labels))
	picked := graph.ReduceSum(graph.Mul(graph.LogSoftmax(logits, -1), graph.OneHot(safe, k, logits.DType())), -1)
	mask := graph.ConvertDType(valid, logits.DType())
	sum := graph.ReduceAllSum(graph.Mul(graph.Neg(picked), mask))
	count := graph.ReduceAllSum(mask)
	return graph.Div(sum, graph.Max(count, graph.OnesLike(count)))
}

// Padded is the size Forward and the codec pad an image side of v pixels to.
func Padded(v int) int { return ceilTo(v, PadMultiple) }

func ceilTo(v, m int) int { return (v + m - 1) / m * m }

// PadImage pads x [B,H,W,C] at the bottom and right to multiples of multiple by
// repeating the last row and column (which costs fewer bits than zeros). The codec
// pads the same way.
func PadImage(x *graph.Node, multiple int) *graph.Node {
	d := x.Shape().Dimensions
	if x.Rank() != 4 || multiple <= 0 || d[1] == 0 || d[2] == 0 {
		panic(fmt.Errorf("model.PadImage: want a non-empty [B,H,W,C] and multiple > 0, got %s, %d", x.Shape(), multiple))
	}
	if ph := ceilTo(d[1], multiple) - d[1]; ph > 0 {
		last := graph.Slice(x, graph.AxisRange(), graph.AxisRange(d[1]-1, d[1]))
		x = graph.Concatenate([]*graph.Node{x, graph.BroadcastToDims(last, d[0], ph, d[2], d[3])}, 1)
	}
	d = x.Shape().Dimensions
	if pw := ceilTo(d[2], multiple) - d[2]; pw > 0 {
		last := graph.Slice(x, graph.AxisRange(), graph.AxisRange(), graph.AxisRange(d[2]-1, d[2]))
		x = graph.Concatenate([]*graph.Node{x, graph.BroadcastToDims(last, d[0], d[1], pw, d[3])}, 2)
	}
	return x
}

// CropImage keeps the top-left h x w of x [B,H,W,C].
func CropImage(x *graph.Node, h, w int) *graph.Node {
	d := x.Shape().Dimensions
	if x.Rank() != 4 || h <= 0 || w <= 0 || h > d[1] || w > d[2] {
		panic(fmt.Errorf("model.CropImage: cannot crop %s to %dx%d", x.Shape(), h, w))
	}
	if h == d[1] && w == d[2] {
		return x
	}
	return graph.Slice(x, graph.AxisRange(), graph.AxisRange(0, h), graph.AxisRange(0, w))
}
