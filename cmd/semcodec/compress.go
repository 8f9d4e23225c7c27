package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"semcodec/atomicfile"
	"semcodec/codec"
	"semcodec/imageio"
	"semcodec/metrics"
)

func init() { register(newCompressCmd) }

func newCompressCmd() *cobra.Command {
	var out, modelPath string
	var quality int
	cmd := &cobra.Command{
		Use:   "compress IN -o OUT.smc",
		Short: "Compress an image (PNG or JPEG) into a .smc file",
		Long: `compress encodes IN (PNG or JPEG; gray, 16-bit and alpha images are converted
to 8-bit RGB, alpha composited on white) into one .smc bitstream that carries
both the picture and its semantic segmentation.

The model is the embedded default family at quality -q (1 = lowest rate;
default ` + fmt.Sprint(codec.DefaultQuality) + ` or the nearest level embedded), or the exported model
file given with --model. It prints the file size and bits per pixel.

The output is written atomically: on any failure no file is left behind.
Exit codes: 0 success, 1 usage error, 2 bad input (unreadable image or model).`,
		Example: "  semcodec compress photo.png -o photo.smc -q 2\n  semcodec compress photo.png -o photo.smc --model my-model.smw",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("missing -o OUT.smc")
			}
			opts := &codec.Options{Quality: quality}
			if modelPath != "" {
				m, err := loadModel(modelPath)
				if err != nil {
					return err
				}
				if quality != 0 && quality != m.Quality() {
					return fmt.Errorf("-q %d conflicts with --model %s, which is quality %d", quality, modelPath, m.Quality())
				}
				opts.Model = m
			} else if quality < 0 {
				return fmt.Errorf("-q %d: qualities start at 1", quality)
			}
			img, err := imageio.ReadImage(args[0])
			if err != nil {
				return badInput(trimPrefix(err))
			}
			var buf bytes.Buffer
			if err := codec.Encode(&buf, img, opts); err != nil {
				if errors.Is(err, codec.ErrTooLarge) || errors.Is(err, codec.ErrEmpty) {
					return badInput(trimPrefix(err))
				}
				return trimPrefix(err)
			}
			if err := atomicfile.WriteBytes(out, buf.Bytes()); err != nil {
				return trimPrefix(err)
			}
			cfg, err := codec.DecodeConfig(bytes.NewReader(buf.Bytes()))
			if err != nil {
				return trimPrefix(err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s: %d bytes, %.4f bpp, %dx%d, model %s quality %d\n",
				out, buf.Len(), metrics.BPP(int64(buf.Len()), cfg.Width, cfg.Height), cfg.Width, cfg.Height, cfg.Model, cfg.Quality)
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "output .smc file (required)")
	cmd.Flags().IntVarP(&quality, "quality", "q", 0, "quality level of the embedded models (1 = lowest rate; 0 = default)")
	cmd.Flags().StringVar(&modelPath, "model", "", "exported model file (.smw) to use instead of the embedded models")
	return cmd
}

// loadModel reads a model file; a missing or invalid file is bad input.
func loadModel(path string) (*codec.Model, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, badInput(fmt.Errorf("model: %w", err))
	}
	m, err := codec.LoadModel(path)
	if err != nil {
		return nil, badInput(trimPrefix(err))
	}
	return m, nil
}
