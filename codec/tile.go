package codec

import (
	"fmt"
	"image"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/gomlx/gomlx/pkg/core/tensors"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/model"
)

// DefaultTile is the tile size in pixels used when Options.Tile or
// Decoder.Tile is 0. Peak memory follows the tile's window (tile plus
// margins), not the image.
const DefaultTile = 512

// resolveTile returns the tile size in latent cells (16 px) for a setting:
// 0 means DefaultTile, a negative value means untiled (one window per image).
func resolveTile(tile int) (int, error) {
	switch {
	case tile == 0:
		return DefaultTile / latentStride, nil
	case tile < 0:
		return MaxDimension, nil
	case tile%PadMultiple != 0:
		return 0, fmt.Errorf("codec: tile size %d: want a multiple of %d, 0 (default) or negative (untiled)", tile, PadMultiple)
	}
	return tile / latentStride, nil
}

// coreCells is the tile core, in latent cells, for an h×w latent grid: the
// tile aligned to the 64-px grid, or the whole grid when the image has no
// more cells than one decode window (tile plus margins). Cutting such an
// image (768×512 with 512-px tiles, say) would only add overlap: it costs
// no more memory whole, and ran 1.6x faster whole.
func coreCells(tileCells, h, w, margin int) int {
	core := max(4, tileCells/4*4)
	if win := core + 2*margin; h*w <= win*win {
		return max(core, (max(h, w)+3)/4*4)
	}
	return core
}

// span is one tile along one axis, in grid units: the core [c0, c1) is
// written from a window of fixed length starting at w0.
type span struct{ c0, c1, w0 int }

// spans cuts an axis of n units into cores of length core, each read from a
// window of length win = min(n, core+2·margin) placed to give the core its
// margin on both sides, or shifted inwards at the edges of the image, where
// the network's own zero padding is what the untiled graph sees too.
func spans(n, core, margin int) (win int, out []span) {
	win = min(n, core+2*margin)
	for c0 := 0; c0 < n; c0 += core {
		w0 := max(0, min(c0-margin, n-win))
		out = append(out, span{c0, min(c0+core, n), w0})
	}
	return win, out
}

// Receptive-field radii, in latent cells (16 px), each rounded up and with
// one cell to spare for the one-pixel shifts of "same" padding at stride 2.
// encodeMargin is model.Analysis's, used when it runs whole (no
// aggregation; see split.go).
func encodeMargin(cfg model.Config) int {
	const analysis = 2 // 5x5/2 convolutions: 2+4+8+16 = 30 px
	r := analysis
	if cfg.Semantic {
		blocks := func(n int) int { // non-bt-1D blocks on the 1/16 grid
			s := 0
			for k := range n {
				s += 1 + []int{1, 2, 4, 8}[k%4]
			}
			return s
		}
		if cfg.Aggregation {
			r = analysis + 1 + blocks(4*cfg.HFFBBlocks) + 1 // in, stage4 and hffb3..1, out
		} else {
			r = analysis + (cfg.HFFBBlocks+1)/2 + blocks(3*cfg.HFFBBlocks) + 1
		}
	}
	// model.Analysis takes windows of whole 64-px blocks.
	return (r + 1 + 3) / 4 * 4
}

func decodeMargin(cfg model.Config) int {
	px := 30 // synthesis: 3x3 at 1/16, 1/8, 1/4, 1/2
	if cfg.Semantic {
		// in, up1, blocks at 1/8 (16 px each), up2, blocks at 1/4, up3, logits.
		px = max(px, 16+16+16*cfg.DecoderBlocks+8+8*cfg.DecoderBlocks+4+2)
		if cfg.Enhancement { // on S2D inputs: 2 px per 3x3 layer, 4 for the 5x5 map
			px += 2 * (max(2, 1+2*cfg.EnhanceBlocks) + 2)
		}
	}
	return (px+latentStride-1)/latentStride + 1
}

// hyperMargin is the hyper-analysis radius in hyper cells (64 px): 3x3, then
// 5x5/2 twice is 1+2+4 latent cells.
const hyperMargin = 3

// analyseTiled computes the unrounded latent y (HWC on the latent grid) tile
// by tile from the image, and z from y, tile by tile on the latent grid.
func (m *Model) analyseTiled(rgb *image.RGBA, l *latents, tileCells int, gain []float32) (y, z []float32, err error) {
	mc := m.cfg.LatentChannels()
	// Cores stay aligned to the 64-px grid; margins are whole latent cells.
	core := coreCells(tileCells, l.hy, l.wy, decodeMargin(m.cfg))
	if splitAnalysis(m.cfg) {
		ac := stageAChannels(m.cfg)
		a := make([]float32, l.hy*l.wy*ac)
		if err := m.imageTiles(a, rgb, l, graphStageA, ac, core, stageAMargin); err != nil {
			return nil, nil, err
		}
		// Stage B runs on the 1/16 grid: tiles 4x wider (in cells) keep its
		// wide margin cheap for little memory.
		y = make([]float32, l.hy*l.wy*mc)
		err = m.gridTiles(y, a, l.hy, l.wy, ac, mc, graphStageB, 4*core, stageBMargin(m.cfg), 1)
		if err != nil {
			return nil, nil, err
		}
	} else {
		y = make([]float32, l.hy*l.wy*mc)
		if err := m.imageTiles(y, rgb, l, graphAnalysisY, mc, core, encodeMargin(m.cfg)); err != nil {
			return nil, nil, err
		}
	}
	if gain != nil {
		scaleChannels(y, gain) // the coded latent is the gained one
	}
	// Hyper-analysis: the latent grid is 256x smaller than the image, but at
	// 16384² y alone is 1024²·M floats, so its activations are tiled too.
	// Windows are whole hyper cells (4 latent cells).
	nh := m.cfg.NHyper
	z = make([]float32, l.hz*l.wz*nh)
	if err := m.gridTiles(z, y, l.hy, l.wy, mc, nh, graphHyperAnalysis, max(16, core), hyperCells*hyperMargin, hyperCells); err != nil {
		return nil, nil, err
	}
	return y, z, nil
}

// imageTiles runs graph kind on windows of the padded image and writes the
// cores of its [1, H/16, W/16, c] outputs into dst, HWC on the latent grid.
func (m *Model) imageTiles(dst []float32, rgb *image.RGBA, l *latents, kind graphKind, c, core, margin int) error {
	winW, xs := spans(l.wy, core, margin)
	winH, ys := spans(l.hy, core, margin)
	w, h := rgb.Bounds().Dx(), rgb.Bounds().Dy()
	return forTiles(xs, ys, func(sx, sy span) error {
		const s = latentStride
		buf := make([]float32, winH*s*winW*s*3)
		windowPixels(buf, rgb, w, h, sx.w0*s, sy.w0*s, winW*s, winH*s)
		in := tensors.FromFlatDataAndDimensions(buf, 1, winH*s, winW*s, 3)
		out, err := m.run(kind, winH*s, winW*s, in)
		in.FinalizeAll()
		if err != nil {
			return err
		}
		return copyCore(dst, out[0], l.wy, c, winW, sx, sy)
	})
}

// gridTiles runs graph kind on windows of src, an h×w HWC grid with cin
// channels, and writes the cores of its outputs (cout channels, the grid
// shrunk by down) into dst. core and margin are in src cells, multiples of
// down.
func (m *Model) gridTiles(dst, src []float32, h, w, cin, cout int, kind graphKind, core, margin, down int) error {
	winW, xs := spans(w/down, core/down, margin/down)
	winH, ys := spans(h/down, core/down, margin/down)
	sw, sh := winW*down, winH*down
	return forTiles(xs, ys, func(sx, sy span) error {
		buf := make([]float32, sh*sw*cin)
		for r := range sh {
			copy(buf[r*sw*cin:][:sw*cin], src[((sy.w0*down+r)*w+sx.w0*down)*cin:])
		}
		in := tensors.FromFlatDataAndDimensions(buf, 1, sh, sw, cin)
		out, err := m.run(kind, sh, sw, in)
		in.FinalizeAll()
		if err != nil {
			return err
		}
		return copyCore(dst, out[0], w/down, cout, winW, sx, sy)
	})
}

// tileWorkers is how many tiles run at once. The backend already spreads a
// tile over the cores; on the 2-core development machine a second
// concurrent tile was no faster (4096x3072 decode 28-30 s against 21-28 s,
// encode 8-10 s either way) and took 80-160 MB more, so tiles run one at a
// time. Model.run allows overlapping runs, for callers that want more.
const tileWorkers = 1

// forTiles calls fn for every tile, on up to tileWorkers goroutines, and
// returns the first error. Tiles write disjoint parts of the outputs.
func forTiles(xs, ys []span, fn func(sx, sy span) error) error {
	n := len(xs) * len(ys)
	var (
		next    atomic.Int64
		errOnce sync.Once
		first   error
		wg      sync.WaitGroup
	)
	for range min(tileWorkers, runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(xs[i%len(xs)], ys[i/len(xs)]); err != nil {
					errOnce.Do(func() { first = err })
					next.Store(int64(n)) // stop handing out tiles
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// copyCore copies the core of a [1, winH, winW, c] output into dst, an HWC
// grid of width dstW, and frees the output.
func copyCore(dst []float32, t *tensors.Tensor, dstW, c, winW int, sx, sy span) error {
	defer t.FinalizeAll()
	var err error
	if e := tensors.ConstFlatData(t, func(v []float32) {
		winH := len(v) / (winW * c)
		if winH*winW*c != len(v) || sy.c1-sy.w0 > winH {
			err = fmt.Errorf("codec: tile output has %d values, not a %d-wide window of %d channels", len(v), winW, c)
			return
		}
		n := (sx.c1 - sx.c0) * c
		for r := sy.c0; r < sy.c1; r++ {
			copy(dst[(r*dstW+sx.c0)*c:][:n], v[((r-sy.w0)*winW+sx.c0-sx.w0)*c:][:n])
		}
	}); e != nil {
		return e
	}
	return err
}

// windowPixels fills buf with the ww×wh window at (x0, y0) of the image
// padded by edge replication to the 64-px grid, as floats in [0, 1].
func windowPixels(buf []float32, rgb *image.RGBA, w, h, x0, y0, ww, wh int) {
	i := 0
	for r := range wh {
		row := rgb.Pix[min(y0+r, h-1)*rgb.Stride:]
		for c := range ww {
			p := row[4*min(x0+c, w-1):]
			buf[i], buf[i+1], buf[i+2] = float32(p[0])/255, float32(p[1])/255, float32(p[2])/255
			i += 3
		}
	}
}

// synthesize runs the decoder graphs tile by tile and writes the cropped
// results into the images of res: plain and enhanced reconstructions (when
// withImage) and the label map (when the model has a semantic branch).
func (m *Model) synthesize(res *Decoded, l *latents, yImg, ySem []int32, inverse []float32, withImage, enhance, skipPlain bool, tileCells int) error {
	cfg := m.cfg
	w, h := res.Config.Width, res.Config.Height
	margin := decodeMargin(cfg)
	core := coreCells(tileCells, l.hy, l.wy, margin)
	winW, xs := spans(l.wy, core, margin)
	winH, ys := spans(l.hy, core, margin)
	kind := graphSegmentation
	if withImage {
		kind = graphImagePlain
		if enhance {
			kind = graphImage
		}
		enhanced := enhance && cfg.Semantic && cfg.Enhancement
		if !enhanced || !skipPlain {
			res.Plain = image.NewRGBA(image.Rect(0, 0, w, h))
		}
		res.Image = res.Plain
		if enhanced {
			res.Image = image.NewRGBA(image.Rect(0, 0, w, h))
		}
	}
	var labels *image.Gray
	if cfg.Semantic {
		labels = image.NewGray(image.Rect(0, 0, w, h))
		res.Segmentation = &Labels{Map: labels, Classes: m.classes, Palette: m.palette, Config: res.Config}
	}
	var invImg, invSem []float32 // the inverse gains of each part, nil when fixed-rate
	if inverse != nil {
		invImg, invSem = inverse[:cfg.MImage], inverse[cfg.MImage:]
	}
	return forTiles(xs, ys, func(sx, sy span) error {
		var args []*tensors.Tensor
		if withImage {
			args = append(args, latentWindow(yImg, l.wy, cfg.MImage, sx.w0, sy.w0, winW, winH, invImg))
		}
		if cfg.Semantic {
			args = append(args, latentWindow(ySem, l.wy, cfg.MSemantic, sx.w0, sy.w0, winW, winH, invSem))
		}
		anyArgs := make([]any, len(args))
		for i, a := range args {
			anyArgs[i] = a
		}
		const s = latentStride
		out, err := m.run(kind, winH*s, winW*s, anyArgs...)
		for _, a := range args {
			a.FinalizeAll()
		}
		if err != nil {
			return err
		}
		defer func() {
			for _, t := range out {
				t.FinalizeAll()
			}
		}()
		// Pixel rectangle of the core, clipped to the image.
		px0, py0 := sx.c0*s, sy.c0*s
		px1, py1 := min(sx.c1*s, w), min(sy.c1*s, h)
		if px0 >= px1 || py0 >= py1 {
			return nil
		}
		ox, oy, ww := px0-sx.w0*s, py0-sy.w0*s, winW*s
		if withImage {
			if res.Plain != nil {
				if err := pasteRGB(res.Plain, out[0], ww, ox, oy, px0, py0, px1, py1); err != nil {
					return err
				}
			}
			if res.Image != res.Plain {
				if err := pasteRGB(res.Image, out[1], ww, ox, oy, px0, py0, px1, py1); err != nil {
					return err
				}
			}
		}
		if labels == nil {
			return nil
		}
		return tensors.ConstFlatData(out[len(out)-1], func(v []int32) {
			for r := py0; r < py1; r++ {
				src := v[(oy+r-py0)*ww+ox:][:px1-px0]
				dst := labels.Pix[r*labels.Stride+px0:][:px1-px0]
				for i, s := range src {
					dst[i] = uint8(min(max(s, 0), 255))
				}
			}
		})
	})
}

// pasteRGB converts the rectangle of a [1, wh, ww, 3] output at (ox, oy) to
// 8 bits, as imageio.FromFloat32 does, into dst at [px0,px1)×[py0,py1).
func pasteRGB(dst *image.RGBA, t *tensors.Tensor, ww, ox, oy, px0, py0, px1, py1 int) error {
	cw, ch := px1-px0, py1-py0
	crop := make([]float32, 0, cw*ch*3)
	if err := tensors.ConstFlatData(t, func(v []float32) {
		for r := range ch {
			crop = append(crop, v[((oy+r)*ww+ox)*3:][:cw*3]...)
		}
	}); err != nil {
		return err
	}
	part := imageio.FromFloat32(crop, cw, ch)
	for r := range ch {
		copy(dst.Pix[(py0+r)*dst.Stride+4*px0:][:4*cw], part.Pix[r*part.Stride:][:4*cw])
	}
	return nil
}

// latentWindow cuts a winW×winH window at (x0, y0) out of an HWC integer
// latent of width w and c channels, as a float tensor, each channel
// multiplied by its factor in scale (if any).
func latentWindow(v []int32, w, c, x0, y0, winW, winH int, scale []float32) *tensors.Tensor {
	f := make([]float32, winH*winW*c)
	for r := range winH {
		src := v[((y0+r)*w+x0)*c:][:winW*c]
		dst := f[r*winW*c:][:winW*c]
		for i, x := range src {
			dst[i] = float32(x)
		}
		if scale != nil {
			scaleChannels(dst, scale)
		}
	}
	return tensors.FromFlatDataAndDimensions(f, 1, winH, winW, c)
}
