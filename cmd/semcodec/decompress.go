package main

import (
	"errors"
	"fmt"
	"image"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/imageio"
)

func init() { register(newDecompressCmd) }

func newDecompressCmd() *cobra.Command {
	var out, segPath, segColor, modelPath string
	var segOnly, noEnhance bool
	var tile int
	cmd := &cobra.Command{
		Use:   "decompress IN.smc -o OUT.png",
		Short: "Decode a .smc file into the image and its segmentation",
		Long: `decompress decodes IN.smc and writes the reconstructed image as PNG (-o).

  --seg LABELS.png      also write the label map: one gray level per class index
  --seg-color VIS.png   also write the label map coloured with the model's
                        palette, with a legend strip below it naming each
                        class present next to its colour
  --seg-only            decode only the segmentation: reads the header, hyper and
                        semantic segments and never runs the image synthesis
                        (needs --seg or --seg-color; -o is not allowed)
  --no-enhance          skip the post-enhancement module (plain synthesis output)
  --model PATH          the exported model the file was made with, when it is
                        not one of the embedded models

IN "-" reads standard input; any one output may be "-" for standard output
(nothing else is printed there).

Before any work every output's folder is checked to exist and be writable, and
an output that is the input, the model or another output is refused. Outputs
are written all or none: each goes to a temporary file next to it, and they
are renamed into place only when all of them were written.
Exit codes: 0 success, 1 usage error, 2 bad input (corrupt file, or a file made
with a model that is not available).`,
		Example: "  semcodec decompress photo.smc -o photo.png --seg-color photo-seg.png\n  semcodec decompress photo.smc --seg-only --seg labels.png\n  semcodec decompress - -o - < photo.smc > photo.png",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			limitHeap()
			in := args[0]
			switch {
			case segOnly && out != "":
				return errors.New("--seg-only decodes no image: drop -o, use --seg or --seg-color")
			case segOnly && segPath == "" && segColor == "":
				return errors.New("--seg-only needs --seg or --seg-color")
			case !segOnly && out == "":
				return errors.New("missing -o OUT.png")
			case segOnly && noEnhance:
				return errors.New("--no-enhance has no effect with --seg-only")
			}
			var outs []output
			if out != "" {
				outs = append(outs, output{flag: "-o", path: out})
			}
			if segPath != "" {
				outs = append(outs, output{flag: "--seg", path: segPath})
			}
			if segColor != "" {
				outs = append(outs, output{flag: "--seg-color", path: segColor})
			}
			if err := checkOutputs(cmd, []input{{"the input", in}, {"the --model file", modelPath}}, outs); err != nil {
				return err
			}
			if err := checkTile(tile); err != nil {
				return err
			}
			d := &codec.Decoder{NoEnhance: noEnhance, Tile: tile, SkipPlain: true} // only Image is written
			if modelPath != "" {
				m, err := loadModel(modelPath)
				if err != nil {
					return err
				}
				d.Models = []*codec.Model{m}
			}
			f, err := openInput(cmd, in)
			if err != nil {
				return err
			}
			defer f.Close()
			var img *image.RGBA
			var labels *codec.Labels
			if segOnly {
				if labels, err = d.DecodeSegmentation(f); err != nil {
					return badInput(err)
				}
			} else {
				res, err := d.Decode(f)
				if err != nil {
					return badInput(err)
				}
				img, labels = res.Image, res.Segmentation
				if labels == nil && (segPath != "" || segColor != "") {
					return badInput(fmt.Errorf("%s carries no segmentation", inputName(in)))
				}
			}
			for i := range outs {
				switch outs[i].flag {
				case "-o":
					outs[i].write = pngOutput(img)
				case "--seg":
					outs[i].write = pngOutput(labels.Map)
				case "--seg-color":
					outs[i].write = pngOutput(segColorImage(labels))
				}
			}
			return writeOutputs(cmd, outs)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", `output PNG image ("-" for standard output)`)
	fl.StringVar(&segPath, "seg", "", "write the label map (class index per pixel) as a gray PNG")
	fl.StringVar(&segColor, "seg-color", "", "write the label map coloured with the model's palette, with a legend")
	fl.BoolVar(&segOnly, "seg-only", false, "decode only the segmentation, skipping the image segment")
	fl.BoolVar(&noEnhance, "no-enhance", false, "skip the post-enhancement module")
	fl.StringVar(&modelPath, "model", "", "exported model file (.smw) the input was made with")
	fl.IntVar(&tile, "tile", 0, tileUsage)
	return cmd
}

// segColorImage paints a label map with its palette and appends the legend of
// the classes present.
func segColorImage(l *codec.Labels) *image.RGBA {
	return imageio.WithLegend(imageio.Colorize(l.Map, l.Palette), imageio.LegendEntries(l.Map, l.Classes, l.Palette))
}
