package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"semcodec/atomicfile"
	"semcodec/codec"
	"semcodec/imageio"
	"semcodec/metrics"
)

func init() { register(newRoundtripCmd) }

func newRoundtripCmd() *cobra.Command {
	var outDir, modelPath string
	var quality int
	cmd := &cobra.Command{
		Use:   "roundtrip IN [--out-dir DIR]",
		Short: "Compress and decompress an image, print bpp, PSNR and MS-SSIM",
		Long: `roundtrip is the quick look at the codec: it compresses IN, decodes the file
back and writes, in --out-dir (default "out"):

  NAME.smc           the compressed file
  NAME.png           the reconstruction (after post-enhancement)
  NAME_seg.png       the decoded segmentation, coloured, over the reconstruction

It prints the file size, bits per pixel, PSNR and MS-SSIM of the reconstruction
against IN, and the encode and decode times.

Exit codes: 0 success, 1 usage error, 2 bad input.`,
		Example: "  semcodec roundtrip testdata/kodim23_crop.png\n  semcodec roundtrip photo.png -q 4 --out-dir /tmp/rt",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := args[0]
			opts := &codec.Options{Quality: quality}
			dec := &codec.Decoder{}
			if modelPath != "" {
				m, err := loadModel(modelPath)
				if err != nil {
					return err
				}
				opts.Model = m
				dec.Models = []*codec.Model{m}
			}
			img, err := imageio.ReadImage(in)
			if err != nil {
				return badInput(trimPrefix(err))
			}
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			name := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
			base := filepath.Join(outDir, name)

			var buf bytes.Buffer
			t0 := time.Now()
			if err := codec.Encode(&buf, img, opts); err != nil {
				if errors.Is(err, codec.ErrTooLarge) || errors.Is(err, codec.ErrEmpty) {
					return badInput(trimPrefix(err))
				}
				return trimPrefix(err)
			}
			encTime := time.Since(t0)
			t0 = time.Now()
			res, err := dec.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				return trimPrefix(err)
			}
			decTime := time.Since(t0)
			score, err := metrics.CompareImages(img, res.Image)
			if err != nil {
				return trimPrefix(err)
			}
			if err := atomicfile.WriteBytes(base+".smc", buf.Bytes()); err != nil {
				return trimPrefix(err)
			}
			if err := imageio.WritePNG(base+".png", res.Image); err != nil {
				return trimPrefix(err)
			}
			written := []string{base + ".smc", base + ".png"}
			if seg := res.Segmentation; seg != nil {
				if err := imageio.WritePNG(base+"_seg.png", imageio.Overlay(res.Image, seg.Map, seg.Palette, 0.5)); err != nil {
					return trimPrefix(err)
				}
				written = append(written, base+"_seg.png")
			}
			w := cmd.OutOrStdout()
			b := img.Bounds()
			fmt.Fprintf(w, "image     %s (%dx%d)\n", in, b.Dx(), b.Dy())
			fmt.Fprintf(w, "model     %s quality %d\n", res.Config.Model, res.Config.Quality)
			fmt.Fprintf(w, "bytes     %d\n", buf.Len())
			fmt.Fprintf(w, "bpp       %.4f\n", metrics.BPP(int64(buf.Len()), b.Dx(), b.Dy()))
			fmt.Fprintf(w, "PSNR      %.3f dB\n", score.PSNR)
			fmt.Fprintf(w, "MS-SSIM   %.5f\n", score.MSSSIM)
			fmt.Fprintf(w, "encode    %.2f s\n", encTime.Seconds())
			fmt.Fprintf(w, "decode    %.2f s\n", decTime.Seconds())
			fmt.Fprintf(w, "wrote     %s\n", strings.Join(written, ", "))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&outDir, "out-dir", "out", "folder for the .smc file, the reconstruction and the overlay")
	fl.IntVarP(&quality, "quality", "q", 0, "quality level of the embedded models (1 = lowest rate; 0 = default)")
	fl.StringVar(&modelPath, "model", "", "exported model file (.smw) instead of the embedded models")
	return cmd
}
