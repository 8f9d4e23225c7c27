package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/codec"
)

func init() { register(newInfoCmd) }

func newInfoCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "info IN.smc",
		Short: "Print a .smc file's dimensions, model, quality, segment sizes and bpp",
		Long: `info reads IN.smc, checks every checksum without decoding, and prints its
dimensions, model name and ID, quality, total size, bits per pixel, the
payload size of each segment (hyper-latent, semantic latent, image latent)
and the file format version.

With --json it prints one object:
  {"width", "height", "model", "quality", "bytes", "bpp",
   "segments": {"hyper", "semantic", "image"}, "version"}

Exit codes: 0 success, 1 usage error, 2 unreadable or corrupt file.`,
		Example: "  semcodec info photo.smc --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return badInput(err)
			}
			defer f.Close()
			info, err := codec.Inspect(f)
			if err != nil {
				return badInput(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				data, err := json.Marshal(infoJSON{
					Width: info.Width, Height: info.Height, Model: info.Model, Quality: info.Quality,
					Bytes: info.Bytes, BPP: info.BPP,
					Segments: segmentsJSON{info.Segments.Hyper, info.Segments.Semantic, info.Segments.Image},
					Version:  info.FormatVersion,
				})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(out, "%s\n", data)
				return err
			}
			_, err = fmt.Fprintf(out, "size      %dx%d\nmodel     %s (id %s)\nquality   %g\nbytes     %d\nbpp       %.4f\nsegments  hyper %d, semantic %d, image %d bytes\nformat    version %d\n",
				info.Width, info.Height, info.Model, info.ModelID, info.Quality, info.Bytes, info.BPP,
				info.Segments.Hyper, info.Segments.Semantic, info.Segments.Image, info.FormatVersion)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	return cmd
}

// infoJSON fixes the keys and their order.
type infoJSON struct {
	Width    int          `json:"width"`
	Height   int          `json:"height"`
	Model    string       `json:"model"`
	Quality  float64      `json:"quality"`
	Bytes    int64        `json:"bytes"`
	BPP      float64      `json:"bpp"`
	Segments segmentsJSON `json:"segments"`
	Version  int          `json:"version"`
}

type segmentsJSON struct {
	Hyper    int `json:"hyper"`
	Semantic int `json:"semantic"`
	Image    int `json:"image"`
}
