package metrics

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/semcodec/semcodec/imageio"
	"github.com/semcodec/semcodec/internal/shareddata"
)

type referenceValues struct {
	Reference string  `json:"reference"`
	Distorted string  `json:"distorted"`
	MSE       float64 `json:"mse_rgb"`
	PSNR      float64 `json:"psnr_rgb"`
	MSSSIM    float64 `json:"ms_ssim_rgb"`
	SSIM      float64 `json:"ssim_skimage"`
}

// Tolerances against the independent reference values. PSNR and MS-SSIM are
// the ones the task fixes; the others are what float64 achieves here.
const (
	tolMSE    = 1e-9
	tolPSNR   = 1e-9
	tolMSSSIM = 1e-6
	tolSSIM   = 1e-9
)

func loadVectors(t *testing.T) (string, map[string]referenceValues) {
	dir := shareddata.Path(t, "vectors", "metrics")
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vectors map[string]referenceValues
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	if len(vectors) == 0 {
		t.Fatal("expected.json holds no pairs")
	}
	return dir, vectors
}

func TestReferenceVectors(t *testing.T) {
	dir, vectors := loadVectors(t)
	names := make([]string, 0, len(vectors))
	for name := range vectors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := vectors[name]
		t.Run(name, func(t *testing.T) {
			ref, err := imageio.ReadImage(filepath.Join(dir, want.Reference))
			if err != nil {
				t.Fatal(err)
			}
			dist, err := imageio.ReadImage(filepath.Join(dir, want.Distorted))
			if err != nil {
				t.Fatal(err)
			}
			got, err := CompareImages(ref, dist)
			if err != nil {
				t.Fatal(err)
			}
			check := func(metric string, got, want, tol float64) {
				if !(math.Abs(got-want) <= tol) {
					t.Errorf("%s = %.15g, want %.15g (diff %.3g, tolerance %g)", metric, got, want, got-want, tol)
				}
			}
			check("mse_rgb", got.MSE, want.MSE, tolMSE)
			check("psnr_rgb", got.PSNR, want.PSNR, tolPSNR)
			check("ms_ssim_rgb", got.MSSSIM, want.MSSSIM, tolMSSSIM)
			check("ssim_skimage", got.SSIM, want.SSIM, tolSSIM)
			t.Logf("ms-ssim diff %.2g, ssim diff %.2g", got.MSSSIM-want.MSSSIM, got.SSIM-want.SSIM)
		})
	}
}
