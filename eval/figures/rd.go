// Package figures draws the evaluation's pictures: rate-distortion curves
// (PSNR and MS-SSIM in dB against bits per pixel, as PNG and SVG) and a
// gallery of decoded images side by side, in the manner of the seed paper's
// Fig. 5.
package figures

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/semcodec/semcodec/atomicfile"
	"github.com/semcodec/semcodec/eval"
)

// RDOptions style the rate-distortion figure; the zero value is usable.
type RDOptions struct {
	// Title goes above both panels, e.g. "Kodak, 24 images".
	Title string
	// MaxBPP limits the rate axis (default 2): points beyond it are left
	// out, as in CompressAI's figures.
	MaxBPP float64
	// Highlight names curves drawn thicker and on top (default "semcodec").
	Highlight []string
}

// RD builds the two panels: PSNR-RGB and MS-SSIM-RGB (dB) against bpp.
// Measured curves are solid with markers, reference curves dashed.
func RD(measured, references []eval.Curve, o RDOptions) (psnr, msssim *plot.Plot, err error) {
	if len(measured)+len(references) == 0 {
		return nil, nil, fmt.Errorf("figures: no curves to plot")
	}
	if o.MaxBPP <= 0 {
		o.MaxBPP = 2
	}
	if o.Highlight == nil {
		o.Highlight = []string{"semcodec"}
	}
	psnr = newPanel(o.Title, "PSNR-RGB (dB)", o.MaxBPP)
	msssim = newPanel(o.Title, "MS-SSIM-RGB (dB)", o.MaxBPP)
	type styled struct {
		c         eval.Curve
		ref       bool
		highlight bool
		index     int
	}
	var all []styled
	for i, c := range measured {
		all = append(all, styled{c: c, highlight: contains(o.Highlight, c.Name), index: i})
	}
	for i, c := range references {
		all = append(all, styled{c: c, ref: true, index: len(measured) + i})
	}
	// Highlighted curves last, so they are drawn on top.
	sort.SliceStable(all, func(i, j int) bool { return !all[i].highlight && all[j].highlight })
	for _, s := range all {
		for _, panel := range []struct {
			p  *plot.Plot
			ys []float64
			f  func(float64) float64
		}{
			{psnr, s.c.Results.PSNR, func(v float64) float64 { return v }},
			{msssim, s.c.Results.MSSSIM, eval.MSSSIMdB},
		} {
			xys := curveXYs(s.c.Results.BPP, panel.ys, panel.f, o.MaxBPP)
			if len(xys) == 0 {
				continue
			}
			line, points, err := plotter.NewLinePoints(xys)
			if err != nil {
				return nil, nil, fmt.Errorf("figures: plot %s: %w", s.c.Name, err)
			}
			col := curveColors[s.index%len(curveColors)]
			line.Color, points.Color = col, col
			points.Shape = plotutil.Shape(s.index)
			points.Radius = vg.Points(2.5)
			line.Width = vg.Points(1.2)
			if s.ref {
				line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
				points.Radius = vg.Points(2)
			}
			if s.highlight {
				line.Color, points.Color = color.RGBA{R: 220, A: 255}, color.RGBA{R: 220, A: 255}
				line.Width = vg.Points(2.5)
				points.Radius = vg.Points(3.5)
			}
			panel.p.Add(line, points)
			panel.p.Legend.Add(s.c.Name, line, points)
		}
	}
	return psnr, msssim, nil
}

// curveColors are distinct on white and leave pure red to the highlighted
// curve.
var curveColors = []color.Color{
	rgb(0x1f77b4), rgb(0xff7f0e), rgb(0x2ca02c), rgb(0x9467bd), rgb(0x8c564b), rgb(0xe377c2),
	rgb(0x7f7f7f), rgb(0xbcbd22), rgb(0x17becf), rgb(0x393b79), rgb(0x000000), rgb(0xe7ba52),
	rgb(0x637939), rgb(0x843c39), rgb(0x7b4173), rgb(0x3182bd), rgb(0xfd8d3c), rgb(0x31a354),
}

func rgb(v uint32) color.Color {
	return color.RGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// stepTicks puts a labelled tick at every multiple of step and an
// unlabelled one halfway.
type stepTicks float64

func (s stepTicks) Ticks(lo, hi float64) []plot.Tick {
	step := float64(s)
	var ticks []plot.Tick
	for i := math.Ceil(lo / step * 2); i <= math.Floor(hi/step*2); i++ {
		v := i * step / 2
		label := ""
		if math.Mod(i, 2) == 0 {
			label = strconv.FormatFloat(v, 'f', -1, 64)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
}

func newPanel(title, ylabel string, maxBPP float64) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "bits per pixel"
	p.Y.Label.Text = ylabel
	p.X.Min = 0
	p.X.Tick.Marker = stepTicks(0.25)
	if maxBPP > 2.5 {
		p.X.Tick.Marker = stepTicks(0.5)
	}
	p.Y.Tick.Marker = stepTicks(2)
	p.Add(plotter.NewGrid())
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.ThumbnailWidth = vg.Points(18)
	return p
}

// curveXYs keeps the finite points with rate up to maxBPP, sorted by rate.
func curveXYs(bpp, ys []float64, f func(float64) float64, maxBPP float64) plotter.XYs {
	var xys plotter.XYs
	for i := 0; i < len(bpp) && i < len(ys); i++ {
		y := f(ys[i])
		if bpp[i] > 0 && bpp[i] <= maxBPP && !math.IsNaN(y) && !math.IsInf(y, 0) {
			xys = append(xys, plotter.XY{X: bpp[i], Y: y})
		}
	}
	sort.Slice(xys, func(i, j int) bool { return xys[i].X < xys[j].X })
	return xys
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Figure size: two panels side by side.
const (
	panelWidth  = 6 * vg.Inch
	panelHeight = 4.5 * vg.Inch
	pngDPI      = 120
)

// WriteRD draws both panels side by side into stem.png and stem.svg (stem
// loses a .png or .svg extension if it has one) and returns the two paths.
func WriteRD(stem string, measured, references []eval.Curve, o RDOptions) ([]string, error) {
	if ext := strings.ToLower(filepath.Ext(stem)); ext == ".png" || ext == ".svg" {
		stem = strings.TrimSuffix(stem, filepath.Ext(stem))
	}
	psnr, msssim, err := RD(measured, references, o)
	if err != nil {
		return nil, err
	}
	panels := [][]*plot.Plot{{psnr, msssim}}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(16), PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(6)}
	w, h := 2*panelWidth, panelHeight

	pngPath := stem + ".png"
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))
	drawPanels(panels, tiles, draw.New(img))
	if err := atomicfile.WriteFile(pngPath, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: img}.WriteTo(wr)
		return err
	}); err != nil {
		return nil, err
	}

	svgPath := stem + ".svg"
	svg := vgsvg.New(w, h)
	drawPanels(panels, tiles, draw.New(svg))
	if err := atomicfile.WriteFile(svgPath, func(wr io.Writer) error {
		_, err := svg.WriteTo(wr)
		return err
	}); err != nil {
		return nil, err
	}
	return []string{pngPath, svgPath}, nil
}

func drawPanels(panels [][]*plot.Plot, tiles draw.Tiles, dc draw.Canvas) {
	canvases := plot.Align(panels, tiles, dc)
	for i := range panels {
		for j, p := range panels[i] {
			p.Draw(canvases[i][j])
		}
	}
}
