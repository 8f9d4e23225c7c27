package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/atomicfile"
	"github.com/semcodec/semcodec/trainer"
	"github.com/semcodec/semcodec/weights"
)

func newEvalNetworkCmd() *cobra.Command {
	var modelPath, data, jsonOut string
	var limit, crop int
	var unquantized bool
	cmd := &cobra.Command{
		Use:   "network --model M.smw --data SPEC[,SPEC...]",
		Short: "Score a model's network on images without coding them (likelihood rate), ablations included",
		Long: `network runs a model file's network the way training validates it: the
inference path (rounding, running statistics) on each whole image (or its
center crop of --crop pixels), scoring the picture a decoder would show
(PSNR of the 8-bit reconstruction), the rate from the likelihoods (what a
file would cost within a few percent, plus its header), and, for labelled
data, the cross-entropy and mIoU. A variable-rate model is scored at every
level. Unlike "eval compression" it writes no bitstream, so it also measures
training-only ablations (an unquantized semantic latent) that no file can
carry. --unquantized skips the rounding of the latents: the transforms'
reconstruction at unlimited rate, the ceiling the quantizer works under
(the rate column still prices the unrounded latent). Data specs as for
"semcodec train --data".`,
		Example: "  semcodec eval network --model m.smw --data images:../shared/data/kodak\n" +
			"  semcodec eval network --model m.smw --data camvid:../shared/data/camvid:val --json net.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if jsonOut != "" {
				if err := atomicfile.Check(jsonOut); err != nil {
					return err
				}
			}
			f, err := weights.Read(modelPath)
			if err != nil {
				return badInput(err)
			}
			src, err := trainer.OpenData(trainer.SplitSpecs(data))
			if err != nil {
				return badInput(err)
			}
			be, err := newBackend("")
			if err != nil {
				return err
			}
			res, err := trainer.Evaluate(f, be, src, limit, crop, unquantized)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "| quality | images | PSNR (dB) | bpp (estimate) | CE | mIoU |\n|---:|---:|---:|---:|---:|---:|\n")
			for _, r := range res {
				q, m := "", "-"
				if r.Quality > 0 {
					q = fmt.Sprint(r.Quality)
				}
				if r.MIoU != nil {
					m = fmt.Sprintf("%.4f", *r.MIoU)
				}
				fmt.Fprintf(w, "| %s | %d | %.3f | %.4f | %.4f | %s |\n", q, r.Images, r.PSNR, r.BPP, r.CE, m)
			}
			if jsonOut == "" {
				return nil
			}
			out, err := json.MarshalIndent(map[string]any{"model": modelPath, "data": data, "limit": limit, "crop": crop, "unquantized": unquantized, "results": res}, "", " ")
			if err != nil {
				return err
			}
			return atomicfile.WriteBytes(jsonOut, append(out, '\n'))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&modelPath, "model", "", "model file (.smw; required)")
	fl.StringVar(&data, "data", "", "data specs, as for train --data (required)")
	fl.IntVar(&limit, "limit", 0, "use only the first N images (0: all)")
	fl.IntVar(&crop, "crop", 0, "score center crops of this side (0: whole images)")
	fl.StringVar(&jsonOut, "json", "", "write the results JSON here")
	fl.BoolVar(&unquantized, "unquantized", false, "score the latents unrounded (the transforms' ceiling; no file can carry them)")
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("data")
	return cmd
}
