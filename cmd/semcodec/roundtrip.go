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

	"github.com/semcodec/semcodec/atomicfile"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

func init() { register(newRoundtripCmd) }

func newRoundtripCmd() *cobra.Command {
	var outDir, modelPath string
	var quality float64
	var tile int
	cmd := &cobra.Command{
		Use:   "roundtrip IN [--out-dir DIR]",
		Short: "Compress and decompress an image, print bpp, PSNR and MS-SSIM",
		Long: `roundtrip is the quick look at the codec: it compresses IN, decodes the file
back and writes, in --out-dir (default "out"):

  NAME.smc              the compressed file
  NAME.png              the reconstruction (after post-enhancement)
  NAME_seg_overlay.png  the decoded segmentation blended (50%) over the
                        reconstruction, with a legend strip below it naming
                        each class present next to its colour

It prints the file size, bits per pixel, PSNR and MS-SSIM of the reconstruction
against IN, and the encode and decode times.

Before any work --out-dir (or, when it does not exist yet, the folder it will
be made in) is checked to be writable, and an output that is IN or the model
is refused. The files are written all or none; a failed run removes the
folders it created.
Exit codes: 0 success, 1 usage error, 2 bad input.`,
		Example: "  semcodec roundtrip testdata/kodim23_crop.png\n  semcodec roundtrip photo.png -q 4 --out-dir /tmp/rt",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) (err error) {
			limitHeap()
			in := args[0]
			if in == stdio {
				return errors.New("roundtrip reads a file (its name names the outputs); standard input (-) is not supported")
			}
			if err := checkQuality(cmd, quality, modelPath != ""); err != nil {
				return err
			}
			if err := checkTile(tile); err != nil {
				return err
			}
			name := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
			base := filepath.Join(outDir, name)
			outs := []output{{path: base + ".smc"}, {path: base + ".png"}, {path: base + "_seg_overlay.png"}}
			ins := []input{{"the input", in}, {"the --model file", modelPath}}
			if _, statErr := os.Stat(outDir); statErr == nil {
				err = checkOutputs(cmd, ins, outs)
			} else {
				err = checkDistinct(cmd, ins, outs)
				if err == nil {
					err = checkNewDir(outDir)
				}
			}
			if err != nil {
				return err
			}
			opts := &codec.Options{Quality: quality, Tile: tile}
			dec := &codec.Decoder{Tile: tile}
			if modelPath != "" {
				m, err := loadModel(modelPath)
				if err != nil {
					return err
				}
				if err := checkModelQuality(quality, modelPath, m); err != nil {
					return err
				}
				opts.Model = m
				dec.Models = []*codec.Model{m}
			}
			img, err := imageio.ReadImage(in)
			if err != nil {
				return badInput(err)
			}

			var buf bytes.Buffer
			t0 := time.Now()
			if err := codec.Encode(&buf, img, opts); err != nil {
				if errors.Is(err, codec.ErrTooLarge) || errors.Is(err, codec.ErrEmpty) {
					return badInput(err)
				}
				return err
			}
			encTime := time.Since(t0)
			t0 = time.Now()
			res, err := dec.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				return err
			}
			decTime := time.Since(t0)
			score, err := metrics.CompareImages(img, res.Image)
			if err != nil {
				return err
			}
			outs[0].write = bytesOutput(buf.Bytes())
			outs[1].write = pngOutput(res.Image)
			if seg := res.Segmentation; seg != nil {
				overlay := imageio.Overlay(res.Image, seg.Map, seg.Palette, 0.5)
				outs[2].write = pngOutput(imageio.WithLegend(overlay, imageio.LegendEntries(seg.Map, seg.Classes, seg.Palette)))
			} else {
				outs = outs[:2]
			}
			created, err := mkdirAll(outDir)
			if err != nil {
				return fmt.Errorf("create --out-dir: %w", err)
			}
			if err := writeOutputs(cmd, outs); err != nil {
				removeCreated(created)
				return err
			}
			written := make([]string, len(outs))
			for i, o := range outs {
				written[i] = o.path
			}
			w := cmd.OutOrStdout()
			b := img.Bounds()
			fmt.Fprintf(w, "image     %s (%dx%d)\n", in, b.Dx(), b.Dy())
			fmt.Fprintf(w, "model     %s quality %g\n", res.Config.Model, res.Config.Quality)
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
	fl.Float64VarP(&quality, "quality", "q", 0, qualityUsage)
	fl.StringVar(&modelPath, "model", "", "exported model file (.smw) instead of the embedded models")
	fl.IntVar(&tile, "tile", 0, tileUsage)
	return cmd
}

// checkNewDir checks that the folder dir, which does not exist yet, can be
// made: its nearest existing ancestor must be a writable folder.
func checkNewDir(dir string) error {
	d := filepath.Clean(dir)
	for {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if err := atomicfile.CheckDir(d); err != nil {
		return fmt.Errorf("cannot create --out-dir %s: %w", dir, err)
	}
	return nil
}
