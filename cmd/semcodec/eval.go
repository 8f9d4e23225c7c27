package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/semcodec/semcodec/atomicfile"
	"github.com/semcodec/semcodec/eval"
	"github.com/semcodec/semcodec/eval/figures"
	"github.com/semcodec/semcodec/imageio"
)

func init() { register(newEvalCmd) }

// defaultEvalCodecs are the baselines; the learned codec is added by name
// once it is registered.
const defaultEvalCodecs = "jpeg,jpeg-turbo,webp,jpeg2000,avif,heif,jxl"

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure rate-distortion curves, Bjøntegaard deltas and segmentation scores",
		Long: `eval measures codecs on an image set the way learned-compression papers report
them. Baselines run through Go's image/jpeg and Debian's command-line encoders
(scripts/install-baselines.sh); a codec whose tool is missing is skipped with
a note.`,
	}
	cmd.AddCommand(newEvalCompressionCmd(), newEvalReportCmd(), newEvalSegmentationCmd(), newEvalGalleryCmd(), newEvalNetworkCmd())
	return cmd
}

type compressionFlags struct {
	data, codecs, jsonOut, plot, title, model string
	against, grids                            []string
	limit, workers                            int
	maxBPP                                    float64
	quiet                                     bool
}

func newEvalCompressionCmd() *cobra.Command {
	var f compressionFlags
	cmd := &cobra.Command{
		Use:   "compression --data DIR",
		Short: "Rate-distortion curves of codecs on a folder of images",
		Long: `compression encodes every PNG/JPEG image in --data with each codec at each
quality of its grid, decodes it back and scores it against the original.

For each codec and quality it reports, as means over images of per-image
values: bpp = 8*bytes/(width*height) from the real encoded size, RGB PSNR and
MS-SSIM (data range 255), the colour bias (mean decoded minus original per
channel R/G/B, in 8-bit levels), and encode and decode seconds per image.
Only one encoder or decoder runs at a time, whatever --workers says (workers
overlap reading and scoring only), and the external tools are asked for one
thread.

--json writes one object: run metadata, "codecs" (an array of CompressAI-shaped
results objects {"name", "description", "results": {"psnr-rgb", "ms-ssim-rgb",
"bpp", "encoding_time", "decoding_time", "channel_bias"}, "quality",
"images"}), the "references" curves given with --against, and "bd":
BD-rate/BD-PSNR (and the same over MS-SSIM in dB) of each measured curve
against each reference and each other measured curve. The table is printed
on stdout.

--against takes FILE:NAME[,NAME...] items, FILE being a CSV like
../shared/anchors/kodak_rd.csv or a CompressAI results JSON; repeat it or
separate items with commas.`,
		Example: `  semcodec eval compression --data ../shared/data/kodak --json results/kodak_baselines.json \
    --plot results/kodak_rd.png --against ../shared/anchors/kodak_rd.csv:bmshj2018-hyperprior,mbt2018-mean`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEvalCompression(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "folder of PNG/JPEG images (required)")
	fl.StringVar(&f.codecs, "codecs", defaultEvalCodecs, "comma-separated codec names ("+strings.Join(eval.Names(), ", ")+")")
	fl.StringVar(&f.jsonOut, "json", "", "write the results JSON here")
	fl.StringVar(&f.plot, "plot", "", "write rate-distortion plots to this .png and the matching .svg")
	fl.StringArrayVar(&f.against, "against", nil, "reference curves FILE:NAME[,NAME...] (repeatable)")
	fl.StringArrayVar(&f.grids, "grid", nil, "quality grid for one codec, CODEC=Q1,Q2,... (repeatable)")
	fl.StringVar(&f.model, "model", "", "model file for learned codecs")
	fl.IntVar(&f.limit, "limit", 0, "use only the first N images (sorted by name)")
	fl.IntVar(&f.workers, "workers", 1, "images in flight; encoders and decoders still run one at a time")
	fl.StringVar(&f.title, "title", "", "plot title (default: the data folder and image count)")
	fl.Float64Var(&f.maxBPP, "max-bpp", 2, "rate axis limit of the plots")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress output")
	cmd.MarkFlagRequired("data")
	return cmd
}

func runEvalCompression(cmd *cobra.Command, f compressionFlags) error {
	images, err := eval.ListImages(f.data)
	if err != nil {
		return badInput(err)
	}
	if f.limit < 0 {
		return fmt.Errorf("--limit %d is negative", f.limit)
	}
	if f.limit > 0 && f.limit < len(images) {
		images = images[:f.limit]
	}
	codecs := splitList(f.codecs)
	if len(codecs) == 0 {
		return errors.New("--codecs names no codec")
	}
	for _, c := range codecs {
		if _, err := eval.Lookup(c); err != nil {
			return err
		}
	}
	opts, err := gridOptions(f.grids, codecs, f.model)
	if err != nil {
		return err
	}
	var refs []eval.Curve
	for _, a := range f.against {
		r, err := eval.ParseAgainst(a)
		if err != nil {
			return badInput(err)
		}
		refs = append(refs, r...)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	stderr := cmd.ErrOrStderr()
	prog := newProgress(stderr, "eval", f.quiet)
	rep, err := eval.RunCompression(ctx, eval.CompressionConfig{
		Images: images, Codecs: codecs, Options: opts, Workers: f.workers,
		Progress: prog.update,
		Notes:    func(m string) { prog.note(m) },
	})
	prog.finish()
	if err != nil {
		var fe *imageio.FileError
		if errors.As(err, &fe) {
			return badInput(err)
		}
		return err
	}
	report := eval.NewReport(rep, f.data, refs)
	report.Command = commandLine(cmd)
	if f.jsonOut != "" {
		if err := eval.WriteReport(f.jsonOut, report); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", f.jsonOut)
	}
	if f.plot != "" {
		title := f.title
		if title == "" {
			title = fmt.Sprintf("%s, %d images", baseName(f.data), len(images))
		}
		paths, err := figures.WriteRD(f.plot, report.Codecs, report.References, figures.RDOptions{Title: title, MaxBPP: f.maxBPP})
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s\n", strings.Join(paths, ", "))
	}
	return report.Markdown(cmd.OutOrStdout(), nil)
}

// gridOptions parses CODEC=Q1,Q2 items into per-codec options.
func gridOptions(items, codecs []string, model string) (map[string]eval.Options, error) {
	opts := map[string]eval.Options{}
	for _, c := range codecs {
		opts[c] = eval.Options{Model: model}
	}
	for _, it := range items {
		name, list, ok := strings.Cut(it, "=")
		if !ok {
			return nil, fmt.Errorf("--grid %q: want CODEC=Q1,Q2,...", it)
		}
		o, known := opts[name]
		if !known {
			return nil, fmt.Errorf("--grid %q: codec %s is not in --codecs", it, name)
		}
		qs, err := parseInts(list)
		if err != nil {
			return nil, fmt.Errorf("--grid %q: %v", it, err)
		}
		o.Qualities = qs
		opts[name] = o
	}
	return opts, nil
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		v, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("bad quality %q", f)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, errors.New("empty quality list")
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func baseName(dir string) string {
	dir = strings.TrimRight(dir, "/")
	if i := strings.LastIndex(dir, "/"); i >= 0 {
		return dir[i+1:]
	}
	return dir
}

// commandLine reconstructs the invocation from the flags actually given,
// for the report.
func commandLine(cmd *cobra.Command) string {
	parts := []string{cmd.CommandPath()}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if sa, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sa.GetSlice() {
				parts = append(parts, "--"+fl.Name, v)
			}
			return
		}
		if fl.Value.Type() == "bool" {
			parts = append(parts, "--"+fl.Name)
			return
		}
		parts = append(parts, "--"+fl.Name, fl.Value.String())
	})
	return strings.Join(parts, " ")
}

// evalProgress shows a bar on a terminal and, elsewhere, a line at every
// tenth of the work, so logs stay readable.
type evalProgress struct {
	w         io.Writer
	desc      string
	quiet     bool
	tty       bool
	bar       *progressbar.ProgressBar
	lastTenth int
	start     time.Time
}

func newProgress(w io.Writer, desc string, quiet bool) *evalProgress {
	p := &evalProgress{w: w, desc: desc, quiet: quiet, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		p.tty = term.IsTerminal(int(f.Fd()))
	}
	return p
}

func (p *evalProgress) update(done, total int) {
	if p.quiet || total <= 0 {
		return
	}
	if p.tty {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(p.w),
				progressbar.OptionSetDescription(p.desc), progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish())
		}
		p.bar.Set(done)
		return
	}
	if tenth := 10 * done / total; tenth > p.lastTenth {
		p.lastTenth = tenth
		fmt.Fprintf(p.w, "%s: %d/%d (%d%%) after %s\n", p.desc, done, total, 100*done/total, time.Since(p.start).Round(time.Second))
	}
}

func (p *evalProgress) note(msg string) {
	if p.bar != nil {
		p.bar.Clear()
	}
	fmt.Fprintln(p.w, "note:", msg)
}

func (p *evalProgress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

type reportFlags struct {
	jsonIn, plot, title, codecs, refs string
	maxBPP                            float64
}

func newEvalReportCmd() *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report --json REPORT.json",
		Short: "Print the tables of a compression report again and redraw its plots",
		Long: `report reads a JSON file written by "eval compression" and prints its tables
(points, and Bjøntegaard deltas against each reference) without measuring
anything; with --plot it redraws the rate-distortion plots, optionally with a
subset of the codecs and references.`,
		Example: "  semcodec eval report --json results/kodak_baselines.json --plot results/kodak_rd.png --references bmshj2018-hyperprior,bpg-444-x265",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runEvalReport(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.jsonIn, "json", "", "report written by eval compression (required)")
	fl.StringVar(&f.plot, "plot", "", "write rate-distortion plots to this .png and the matching .svg")
	fl.StringVar(&f.codecs, "codecs", "", "measured codecs to show (default: all)")
	fl.StringVar(&f.refs, "references", "", "reference curves to show and tabulate (default: all)")
	fl.StringVar(&f.title, "title", "", "plot title (default: the data folder and image count)")
	fl.Float64Var(&f.maxBPP, "max-bpp", 2, "rate axis limit of the plots")
	cmd.MarkFlagRequired("json")
	return cmd
}

func runEvalReport(cmd *cobra.Command, f reportFlags) error {
	r, err := eval.ReadReport(f.jsonIn)
	if err != nil {
		return badInput(err)
	}
	pick := func(all []eval.Curve, list, what string) ([]eval.Curve, error) {
		if list == "" {
			return all, nil
		}
		var out []eval.Curve
		for _, name := range splitList(list) {
			found := false
			for _, c := range all {
				if c.Name == name {
					out, found = append(out, c), true
				}
			}
			if !found {
				return nil, fmt.Errorf("%s has no %s curve %q", f.jsonIn, what, name)
			}
		}
		return out, nil
	}
	codecs, err := pick(r.Codecs, f.codecs, "measured")
	if err != nil {
		return err
	}
	refs, err := pick(r.References, f.refs, "reference")
	if err != nil {
		return err
	}
	if f.plot != "" {
		title := f.title
		if title == "" {
			title = fmt.Sprintf("%s, %d images", baseName(r.Data), r.Images)
		}
		paths, err := figures.WriteRD(f.plot, codecs, refs, figures.RDOptions{Title: title, MaxBPP: f.maxBPP})
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", strings.Join(paths, ", "))
	}
	shown := *r
	shown.Codecs, shown.References = codecs, refs
	return shown.Markdown(cmd.OutOrStdout(), nil)
}

type segmentationFlags struct {
	data, split, jsonOut, codec, model, qualities string
	limit                                         int
	quiet                                         bool
}

func newEvalSegmentationCmd() *cobra.Command {
	var f segmentationFlags
	cmd := &cobra.Command{
		Use:   "segmentation --data DIR --split val",
		Short: "Segmentation scores of the labels decoded from the bitstream",
		Long: `segmentation scores the semantic maps a codec's bitstream carries, on a
labelled data set in CamVid layout (DIR/SPLIT, DIR/SPLITannot) or Cityscapes
layout (DIR/leftImg8bit/SPLIT/CITY, DIR/gtFine/SPLIT/CITY labelTrainIds):
mIoU, per-class IoU and pixel accuracy (plus category IoU on Cityscapes) for
the network on the uncompressed input (the upper bound), for the labels
decoded together with the image at each quality, and for seg-only decoding,
which must give the same labels (mismatched pixels are counted).`,
		Example: "  semcodec eval segmentation --data ../shared/data/camvid --split val --json results/camvid_seg.json",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runEvalSegmentation(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "data set folder (required)")
	fl.StringVar(&f.split, "split", "val", "split: val or test (any folder name)")
	fl.StringVar(&f.jsonOut, "json", "", "write the results JSON here")
	fl.StringVar(&f.codec, "codec", "semcodec", "semantic codec to measure")
	fl.StringVar(&f.model, "model", "", "model file for the codec")
	fl.StringVar(&f.qualities, "qualities", "", "comma-separated qualities (default: the codec's grid)")
	fl.IntVar(&f.limit, "limit", 0, "use only the first N images")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress output")
	cmd.MarkFlagRequired("data")
	return cmd
}

func runEvalSegmentation(cmd *cobra.Command, f segmentationFlags) error {
	opts := eval.Options{Model: f.model}
	if f.qualities != "" {
		qs, err := parseInts(f.qualities)
		if err != nil {
			return fmt.Errorf("--qualities: %v", err)
		}
		opts.Qualities = qs
	}
	c, err := eval.New(f.codec, opts)
	if err != nil {
		return err
	}
	if cl, ok := c.(io.Closer); ok {
		defer cl.Close()
	}
	sc, ok := c.(eval.SemanticCodec)
	if !ok {
		return fmt.Errorf("codec %s carries no segmentation", f.codec)
	}
	pairs, layout, err := eval.ListSegmentation(f.data, f.split)
	if err != nil {
		return badInput(err)
	}
	if f.limit > 0 && f.limit < len(pairs) {
		pairs = pairs[:f.limit]
	}
	classes := imageio.CamVidClasses
	if layout == eval.LayoutCityscapes {
		classes = imageio.CityscapesClasses
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	prog := newProgress(cmd.ErrOrStderr(), "segmentation", f.quiet)
	rep, err := eval.RunSegmentation(ctx, eval.SegmentationConfig{
		Pairs: pairs, NumClasses: len(classes), Codec: sc, Qualities: opts.Qualities,
		Categories: layout == eval.LayoutCityscapes, Progress: prog.update,
	})
	prog.finish()
	if err != nil {
		var fe *imageio.FileError
		if errors.As(err, &fe) || errors.Is(err, eval.ErrSizeMismatch) {
			return badInput(err)
		}
		return err
	}
	if f.jsonOut != "" {
		out := struct {
			Generator string   `json:"generator"`
			Command   string   `json:"command"`
			Date      string   `json:"date"`
			Machine   string   `json:"machine"`
			Data      string   `json:"data"`
			Split     string   `json:"split"`
			Layout    string   `json:"layout"`
			Codec     string   `json:"codec"`
			Classes   []string `json:"classes"`
			*eval.SegmentationReport
		}{"semcodec eval segmentation", commandLine(cmd), time.Now().UTC().Format(time.RFC3339), eval.Machine(),
			f.data, f.split, layout, sc.Description(), classes, rep}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(f.jsonOut, append(b, '\n')); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "| input | quality | bpp | PSNR (dB) | mIoU | pixel acc. | seg-only mIoU | seg-only mismatched px |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	if u := rep.UpperBound; u != nil {
		fmt.Fprintf(w, "| uncompressed | | | | %.4f | %.4f | | |\n", u.MeanIoU, u.PixelAccuracy)
	}
	for _, p := range rep.Points {
		fmt.Fprintf(w, "| decoded | %d | %.4f | %.3f | %.4f | %.4f | %.4f | %d |\n", p.Quality, p.BPP, p.PSNR,
			p.Decoded.MeanIoU, p.Decoded.PixelAccuracy, p.SegOnly.MeanIoU, p.SegOnlyMismatch)
	}
	return nil
}

type galleryFlags struct {
	image, codecs, out, crop, palette, model string
	bpp                                      float64
	columns                                  int
}

func newEvalGalleryCmd() *cobra.Command {
	var f galleryFlags
	cmd := &cobra.Command{
		Use:   "gallery --image FILE --out FILE.png",
		Short: "Side-by-side decoded images at similar rates, labelled with bpp, PSNR and MS-SSIM",
		Long: `gallery encodes one image with each codec at the quality of its grid whose
rate is nearest --bpp, and draws the original and every decoded image side by
side, each labelled with its bpp, PSNR and MS-SSIM. A codec whose bitstream
carries a segmentation adds a tile with its labels over the decoded image.`,
		Example: "  semcodec eval gallery --image ../shared/data/kodak/kodim23.png --codecs jpeg,webp,heif --bpp 0.25 --crop 256,96,320,256 --out results/kodak_gallery.png",
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runEvalGallery(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.image, "image", "", "image to encode (required)")
	fl.StringVar(&f.codecs, "codecs", "jpeg,webp", "comma-separated codec names")
	fl.Float64Var(&f.bpp, "bpp", 0.3, "target rate in bits per pixel")
	fl.StringVar(&f.out, "out", "", "output PNG (required)")
	fl.StringVar(&f.crop, "crop", "", "show only the region X,Y,W,H of each image")
	fl.StringVar(&f.palette, "palette", "camvid", "label palette for segmentation tiles: camvid or cityscapes")
	fl.StringVar(&f.model, "model", "", "model file for learned codecs")
	fl.IntVar(&f.columns, "columns", 0, "tiles per row (default: one row)")
	cmd.MarkFlagRequired("image")
	cmd.MarkFlagRequired("out")
	return cmd
}

func runEvalGallery(cmd *cobra.Command, f galleryFlags) error {
	var crop image.Rectangle
	if f.crop != "" {
		v, err := parseInts(f.crop)
		if err != nil || len(v) != 4 || v[2] <= 0 || v[3] <= 0 {
			return fmt.Errorf("--crop %q: want X,Y,W,H with positive W and H", f.crop)
		}
		crop = image.Rect(v[0], v[1], v[0]+v[2], v[1]+v[3])
	}
	palette := imageio.CamVidPalette
	switch f.palette {
	case "camvid":
	case "cityscapes":
		palette = imageio.CityscapesPalette
	default:
		return fmt.Errorf("--palette %q: want camvid or cityscapes", f.palette)
	}
	codecs := splitList(f.codecs)
	for _, c := range codecs {
		if _, err := eval.Lookup(c); err != nil {
			return err
		}
	}
	img, err := imageio.ReadImage(f.image)
	if err != nil {
		return badInput(err)
	}
	tiles := []figures.Tile{{Image: img, Title: "original", Caption: baseName(f.image)}}
	for _, name := range codecs {
		c, err := eval.New(name, eval.Options{Model: f.model})
		if err != nil {
			return err
		}
		p, err := eval.EncodeNearRate(c, img, f.bpp, nil)
		if cl, ok := c.(io.Closer); ok {
			cl.Close()
		}
		if err != nil {
			return err
		}
		tiles = append(tiles, figures.Tile{Image: p.Image, Title: fmt.Sprintf("%s (quality %d)", name, p.Quality),
			Caption: figures.Caption(p.BPP, p.PSNR, p.MSSSIM)})
		if p.Labels != nil {
			tiles = append(tiles, figures.Tile{Image: imageio.Overlay(p.Image, p.Labels, palette, 0.5),
				Title: name + " segmentation", Caption: "decoded from the same bitstream"})
		}
	}
	sheet, err := figures.Gallery(tiles, figures.GalleryOptions{Crop: crop, Columns: f.columns})
	if err != nil {
		return err
	}
	if err := imageio.WritePNG(f.out, sheet); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", f.out)
	return nil
}
