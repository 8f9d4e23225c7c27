package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"semcodec/codec"
	"semcodec/imageio"
)

func init() { register(newDecompressCmd) }

func newDecompressCmd() *cobra.Command {
	var out, segPath, segColor, modelPath string
	var segOnly, noEnhance bool
	cmd := &cobra.Command{
		Use:   "decompress IN.smc -o OUT.png",
		Short: "Decode a .smc file into the image and its segmentation",
		Long: `decompress decodes IN.smc and writes the reconstructed image as PNG (-o).

  --seg LABELS.png      also write the label map: one gray level per class index
  --seg-color VIS.png   also write the label map coloured with the model's palette
  --seg-only            decode only the segmentation: reads the header, hyper and
                        semantic segments and never runs the image synthesis
                        (needs --seg or --seg-color; -o is not allowed)
  --no-enhance          skip the post-enhancement module (plain synthesis output)
  --model PATH          the exported model the file was made with, when it is
                        not one of the embedded models

Outputs are written atomically (temporary file, then rename).
Exit codes: 0 success, 1 usage error, 2 bad input (corrupt file, or a file made
with a model that is not available).`,
		Example: "  semcodec decompress photo.smc -o photo.png --seg-color photo-seg.png\n  semcodec decompress photo.smc --seg-only --seg labels.png",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
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
			d := &codec.Decoder{NoEnhance: noEnhance}
			if modelPath != "" {
				m, err := loadModel(modelPath)
				if err != nil {
					return err
				}
				d.Models = []*codec.Model{m}
			}
			f, err := os.Open(args[0])
			if err != nil {
				return badInput(err)
			}
			defer f.Close()
			var labels *codec.Labels
			if segOnly {
				if labels, err = d.DecodeSegmentation(f); err != nil {
					return badInput(trimPrefix(err))
				}
			} else {
				res, err := d.Decode(f)
				if err != nil {
					return badInput(trimPrefix(err))
				}
				labels = res.Segmentation
				if labels == nil && (segPath != "" || segColor != "") {
					return badInput(fmt.Errorf("%s carries no segmentation", args[0]))
				}
				if err := imageio.WritePNG(out, res.Image); err != nil {
					return trimPrefix(err)
				}
			}
			if segPath != "" {
				if err := imageio.WriteLabels(segPath, labels.Map); err != nil {
					return trimPrefix(err)
				}
			}
			if segColor != "" {
				if err := imageio.WritePNG(segColor, imageio.Colorize(labels.Map, labels.Palette)); err != nil {
					return trimPrefix(err)
				}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "output PNG image")
	fl.StringVar(&segPath, "seg", "", "write the label map (class index per pixel) as a gray PNG")
	fl.StringVar(&segColor, "seg-color", "", "write the label map coloured with the model's palette")
	fl.BoolVar(&segOnly, "seg-only", false, "decode only the segmentation, skipping the image segment")
	fl.BoolVar(&noEnhance, "no-enhance", false, "skip the post-enhancement module")
	fl.StringVar(&modelPath, "model", "", "exported model file (.smw) the input was made with")
	return cmd
}
