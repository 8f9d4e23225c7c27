package main

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/metrics"
)

func init() { register(newMetricsCmd) }

func newMetricsCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "metrics REF DIST",
		Short: "Print PSNR, MS-SSIM and SSIM of DIST against REF",
		Long: `metrics compares a distorted image DIST with its reference REF (PNG or JPEG,
converted to 8-bit RGB: gray to RGB, alpha on white) and prints PSNR, MS-SSIM,
SSIM and MSE over R, G and B with data range 255.

With --json it prints one object:
  {"psnr_rgb", "ms_ssim_rgb", "ssim_rgb", "mse_rgb", "width", "height"}
psnr_rgb is null for identical images (infinite PSNR); ms_ssim_rgb is null
for images under 161 pixels per side and ssim_rgb under 11.

Exit codes: 0 success, 1 usage error, 2 unreadable images or different sizes.`,
		Example: "  semcodec metrics testdata/kodim23_crop.png testdata/kodim23_crop_q30.png --json",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := compareFiles(args[0], args[1])
			if err != nil {
				return badInput(err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				data, err := json.Marshal(metricsJSON{
					PSNR: finite(r.PSNR), MSSSIM: finite(r.MSSSIM), SSIM: finite(r.SSIM),
					MSE: finite(r.MSE), Width: r.Width, Height: r.Height,
				})
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(out, "%s\n", data)
				return err
			}
			_, err = fmt.Fprintf(out, "PSNR     %s\nMS-SSIM  %s\nSSIM     %s\nMSE      %.4f\nsize     %dx%d\n",
				formatPSNR(r.PSNR), formatIndex(r.MSSSIM, metrics.MinMSSSIMSide),
				formatIndex(r.SSIM, metrics.MinSSIMSide), r.MSE, r.Width, r.Height)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	return cmd
}

// metricsJSON fixes the keys and their order; nil pointers print as null.
type metricsJSON struct {
	PSNR   *float64 `json:"psnr_rgb"`
	MSSSIM *float64 `json:"ms_ssim_rgb"`
	SSIM   *float64 `json:"ssim_rgb"`
	MSE    *float64 `json:"mse_rgb"`
	Width  int      `json:"width"`
	Height int      `json:"height"`
}

// compareFiles reads both images and compares them; every error names the
// file it concerns.
func compareFiles(refPath, distPath string) (metrics.ImageResult, error) {
	ref, err := imageio.ReadImage(refPath)
	if err != nil {
		return metrics.ImageResult{}, err
	}
	dist, err := imageio.ReadImage(distPath)
	if err != nil {
		return metrics.ImageResult{}, err
	}
	if ref.Rect.Size() != dist.Rect.Size() {
		return metrics.ImageResult{}, fmt.Errorf("%s is %dx%d but the reference %s is %dx%d",
			distPath, dist.Rect.Dx(), dist.Rect.Dy(), refPath, ref.Rect.Dx(), ref.Rect.Dy())
	}
	r, err := metrics.CompareImages(ref, dist)
	if err != nil {
		return r, fmt.Errorf("%s vs %s: %w", refPath, distPath, err)
	}
	return r, nil
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return &v
}

func formatPSNR(v float64) string {
	if math.IsInf(v, 1) {
		return "inf (identical images)"
	}
	return fmt.Sprintf("%.4f dB", v)
}

func formatIndex(v float64, minSide int) string {
	if math.IsNaN(v) {
		return fmt.Sprintf("n/a (needs at least %d pixels per side)", minSide)
	}
	return fmt.Sprintf("%.6f", v)
}
