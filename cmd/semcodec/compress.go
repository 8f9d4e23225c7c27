package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/metrics"
)

func init() { register(newCompressCmd) }

func newCompressCmd() *cobra.Command {
	var out, modelPath string
	var quality float64
	var tile int
	cmd := &cobra.Command{
		Use:   "compress IN -o OUT.smc",
		Short: "Compress an image (PNG or JPEG) into a .smc file",
		Long: `compress encodes IN (PNG or JPEG; gray, 16-bit and alpha images are converted
to 8-bit RGB, alpha composited on white) into one .smc bitstream that carries
both the picture and its semantic segmentation. IN "-" reads standard input,
-o "-" writes the bitstream to standard output.

The model is the embedded default at quality -q (1 = lowest rate; default
` + fmt.Sprint(codec.DefaultQuality) + ` or the nearest level embedded), or the exported model file given
with --model. A variable-rate model takes any quality from 1 to its number of
levels, fractions included (stored to 1/256): -q 2.5 lies between levels 2
and 3. It prints the file size and bits per pixel (to
standard error when the bitstream goes to standard output).

Before any work the output's folder is checked to exist and be writable, and
an output that is the input or the model is refused. The output is written
atomically: on any failure no file is left behind.
Exit codes: 0 success, 1 usage error, 2 bad input (unreadable image or model,
or an input that is already a .smc file).`,
		Example: "  semcodec compress photo.png -o photo.smc -q 2\n  semcodec compress photo.png -o photo.smc --model my-model.smw\n  semcodec compress - -o - < photo.png > photo.smc",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			limitHeap()
			in := args[0]
			if out == "" {
				return errors.New("missing -o OUT.smc")
			}
			if err := checkQuality(cmd, quality, modelPath != ""); err != nil {
				return err
			}
			if err := checkTile(tile); err != nil {
				return err
			}
			outs := []output{{flag: "-o", path: out}}
			if err := checkOutputs(cmd, []input{{"the input", in}, {"the --model file", modelPath}}, outs); err != nil {
				return err
			}
			opts := &codec.Options{Quality: quality, Tile: tile}
			if modelPath != "" {
				m, err := loadModel(modelPath)
				if err != nil {
					return err
				}
				if err := checkModelQuality(quality, modelPath, m); err != nil {
					return err
				}
				opts.Model = m
			}
			img, err := readImageInput(cmd, in)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := codec.Encode(&buf, img, opts); err != nil {
				if errors.Is(err, codec.ErrTooLarge) || errors.Is(err, codec.ErrEmpty) {
					return badInput(err)
				}
				return err
			}
			cfg, err := codec.DecodeConfig(bytes.NewReader(buf.Bytes()))
			if err != nil {
				return err
			}
			outs[0].write = bytesOutput(buf.Bytes())
			if err := writeOutputs(cmd, outs); err != nil {
				return err
			}
			// With the bitstream on standard output, the summary goes to stderr.
			w, name := cmd.OutOrStdout(), out
			if out == stdio {
				w, name = cmd.ErrOrStderr(), "standard output"
			}
			_, err = fmt.Fprintf(w, "%s: %d bytes, %.4f bpp, %dx%d, model %s quality %g\n",
				name, buf.Len(), metrics.BPP(int64(buf.Len()), cfg.Width, cfg.Height), cfg.Width, cfg.Height, cfg.Model, cfg.Quality)
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", `output .smc file (required; "-" for standard output)`)
	cmd.Flags().Float64VarP(&quality, "quality", "q", 0, qualityUsage)
	cmd.Flags().StringVar(&modelPath, "model", "", "exported model file (.smw) to use instead of the embedded models")
	cmd.Flags().IntVar(&tile, "tile", 0, tileUsage)
	return cmd
}

// tileUsage describes --tile for compress, decompress and roundtrip.
var tileUsage = fmt.Sprintf("tile size in pixels for the networks, a multiple of %d (memory grows with it); 0: default %d, negative: whole image", codec.PadMultiple, codec.DefaultTile)

// checkTile refuses a --tile the codec would refuse, before any work.
func checkTile(tile int) error {
	if tile > 0 && tile%codec.PadMultiple != 0 {
		return fmt.Errorf("--tile %d: want a multiple of %d, 0 for the default or negative for the whole image", tile, codec.PadMultiple)
	}
	return nil
}

// qualityUsage describes -q for compress and roundtrip.
var qualityUsage = fmt.Sprintf("quality from 1 (lowest rate): a level of the embedded models, or any value up to a variable-rate model's top level; default %d or the nearest level embedded", codec.DefaultQuality)

// loadModel reads a model file; a missing or invalid file is bad input.
func loadModel(path string) (*codec.Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, badInput(fmt.Errorf("model: %w", err))
	}
	m, err := codec.LoadModel(path)
	if err != nil {
		return nil, badInput(err)
	}
	return m, nil
}
