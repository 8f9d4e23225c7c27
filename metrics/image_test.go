package metrics

import (
	"errors"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

func noiseImage(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(rng.IntN(256))
		if i%4 == 3 {
			m.Pix[i] = 255
		}
	}
	return m
}

// blurred returns a smooth image with gradients plus mild noise, so the
// MS-SSIM scales all carry structure.
func blurred(w, h int, seed uint64, noise int) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 2))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			base := 128 + 60*math.Sin(float64(x)/9)*math.Cos(float64(y)/13)
			px := [3]int{}
			for c := range px {
				v := int(base) + 20*c + rng.IntN(2*noise+1) - noise
				px[c] = max(0, min(255, v))
			}
			m.SetRGBA(x, y, color.RGBA{uint8(px[0]), uint8(px[1]), uint8(px[2]), 255})
		}
	}
	return m
}

func TestIdenticalImages(t *testing.T) {
	img := blurred(200, 170, 1, 10)
	r, err := CompareImages(img, img)
	if err != nil {
		t.Fatal(err)
	}
	if r.MSE != 0 || !math.IsInf(r.PSNR, 1) || r.MSSSIM != 1 || r.SSIM != 1 || r.ChannelBias != [3]float64{} {
		t.Fatalf("identical images: %+v, want MSE 0, PSNR +Inf, MS-SSIM 1, SSIM 1, no channel bias", r)
	}
	// A copy in another colour model is still identical.
	nrgba := image.NewNRGBA(img.Rect)
	copy(nrgba.Pix, img.Pix)
	if ms, err := MSSSIM(img, nrgba); err != nil || ms != 1 {
		t.Fatalf("MS-SSIM vs NRGBA copy = %v, %v", ms, err)
	}
}

func TestPSNRByHand(t *testing.T) {
	a := image.NewRGBA(image.Rect(0, 0, 2, 1))
	b := image.NewRGBA(image.Rect(0, 0, 2, 1))
	for i := range a.Pix {
		a.Pix[i], b.Pix[i] = 255, 255
	}
	// Differences 3 and 1 in two samples out of six: MSE = (9+1)/6.
	b.Pix[0], b.Pix[6] = 252, 254
	mse, err := MSE(a, b)
	if err != nil || mse != 10.0/6 {
		t.Fatalf("MSE = %v, %v; want %v", mse, err, 10.0/6)
	}
	psnr, _ := PSNR(a, b)
	if want := 10 * math.Log10(255*255/(10.0/6)); psnr != want {
		t.Fatalf("PSNR = %v, want %v", psnr, want)
	}
	if got := PSNRFromMSE(0); !math.IsInf(got, 1) {
		t.Fatalf("PSNRFromMSE(0) = %v", got)
	}
}

// TestChannelBiasByHand shifts every pixel of an image by (+3, −2, 0), with
// no sample clipped, so the bias is exactly that shift and the MSE (9+4)/3.
func TestChannelBiasByHand(t *testing.T) {
	ref := blurred(200, 170, 3, 10)
	dist := image.NewRGBA(ref.Rect)
	shift := [3]int{3, -2, 0}
	for i := range ref.Pix {
		v := int(ref.Pix[i])
		if c := i % 4; c < 3 {
			if v+shift[c] < 0 || v+shift[c] > 255 {
				t.Fatalf("sample %d = %d would clip", i, v)
			}
			v += shift[c]
		}
		dist.Pix[i] = uint8(v)
	}
	r, err := CompareImages(ref, dist)
	if err != nil {
		t.Fatal(err)
	}
	if want := [3]float64{3, -2, 0}; r.ChannelBias != want {
		t.Errorf("ChannelBias = %v, want %v", r.ChannelBias, want)
	}
	if r.MSE != 13.0/3 {
		t.Errorf("MSE = %v, want %v", r.MSE, 13.0/3)
	}
	// Swapping the images flips the sign.
	back, err := CompareImages(dist, ref)
	if err != nil {
		t.Fatal(err)
	}
	if want := [3]float64{-3, 2, 0}; back.ChannelBias != want {
		t.Errorf("swapped: ChannelBias = %v, want %v", back.ChannelBias, want)
	}

	// Errors of both signs cancel in the bias, not in the MSE: over four
	// pixels, R differs by +4, −1, 0, 0 and B by +1 at one pixel.
	a := image.NewRGBA(image.Rect(0, 0, 2, 2))
	for i := range a.Pix {
		a.Pix[i] = 100
		if i%4 == 3 {
			a.Pix[i] = 255
		}
	}
	b := image.NewRGBA(a.Rect)
	copy(b.Pix, a.Pix)
	b.Pix[0], b.Pix[4], b.Pix[10] = 104, 99, 101
	r, err = CompareImages(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := [3]float64{0.75, 0, 0.25}; r.ChannelBias != want {
		t.Errorf("ChannelBias = %v, want %v", r.ChannelBias, want)
	}
	if r.MSE != 18.0/12 {
		t.Errorf("MSE = %v, want %v", r.MSE, 18.0/12)
	}
}

func TestQualityOrdering(t *testing.T) {
	ref := blurred(192, 192, 3, 0)
	mild := blurred(192, 192, 3, 4)
	strong := blurred(192, 192, 3, 30)
	rm, err := CompareImages(ref, mild)
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := CompareImages(ref, strong)
	if !(rm.PSNR > rs.PSNR && rm.MSSSIM > rs.MSSSIM && rm.SSIM > rs.SSIM) {
		t.Fatalf("mild %+v is not better than strong %+v", rm, rs)
	}
	for _, v := range []float64{rm.MSSSIM, rm.SSIM, rs.MSSSIM, rs.SSIM} {
		if !(v > 0 && v < 1) {
			t.Fatalf("metric %v outside (0, 1)", v)
		}
	}
	// The dedicated functions agree with CompareImages.
	if ms, _ := MSSSIM(ref, strong); ms != rs.MSSSIM {
		t.Errorf("MSSSIM %v vs CompareImages %v", ms, rs.MSSSIM)
	}
	if s, _ := SSIM(ref, strong); s != rs.SSIM {
		t.Errorf("SSIM %v vs CompareImages %v", s, rs.SSIM)
	}
}

func TestSizeErrors(t *testing.T) {
	tests := []struct {
		name    string
		a, b    image.Image
		compare error // from CompareImages
		ms, ss  error // from MSSSIM, SSIM
	}{
		{"different sizes", noiseImage(200, 200, 1), noiseImage(200, 201, 1), ErrSizeMismatch, ErrSizeMismatch, ErrSizeMismatch},
		{"empty", image.NewRGBA(image.Rectangle{}), image.NewRGBA(image.Rectangle{}), ErrEmpty, ErrEmpty, ErrEmpty},
		{"too small for MS-SSIM", noiseImage(160, 300, 1), noiseImage(160, 300, 2), nil, ErrTooSmall, nil},
		{"too small for SSIM", noiseImage(10, 30, 1), noiseImage(10, 30, 2), nil, ErrTooSmall, ErrTooSmall},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := CompareImages(tc.a, tc.b)
			if !errors.Is(err, tc.compare) || (tc.compare == nil) != (err == nil) {
				t.Errorf("CompareImages err = %v, want %v", err, tc.compare)
			}
			if err == nil && tc.ms != nil && !math.IsNaN(r.MSSSIM) {
				t.Errorf("MS-SSIM = %v, want NaN", r.MSSSIM)
			}
			if err == nil && tc.ss != nil && !math.IsNaN(r.SSIM) {
				t.Errorf("SSIM = %v, want NaN", r.SSIM)
			}
			if _, err := MSSSIM(tc.a, tc.b); !errors.Is(err, tc.ms) || (tc.ms == nil) != (err == nil) {
				t.Errorf("MSSSIM err = %v, want %v", err, tc.ms)
			}
			if _, err := SSIM(tc.a, tc.b); !errors.Is(err, tc.ss) || (tc.ss == nil) != (err == nil) {
				t.Errorf("SSIM err = %v, want %v", err, tc.ss)
			}
		})
	}
	// The smallest sizes accepted.
	if _, err := MSSSIM(noiseImage(161, 161, 1), noiseImage(161, 161, 2)); err != nil {
		t.Errorf("161x161: %v", err)
	}
	if _, err := SSIM(noiseImage(11, 11, 1), noiseImage(11, 11, 2)); err != nil {
		t.Errorf("11x11: %v", err)
	}
}

func TestDownsampleOddPadsInFront(t *testing.T) {
	// 3×2 (w×h): odd width gets a zero column in front; even height none.
	x := []float64{
		1, 2, 3,
		4, 5, 6,
	}
	got, w, h := downsample(x, 3, 2)
	want := []float64{(1 + 4) / 4.0, (2 + 3 + 5 + 6) / 4.0}
	if w != 2 || h != 1 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("downsample = %v (%dx%d), want %v (2x1)", got, w, h, want)
	}
}

func TestSSIMByHand(t *testing.T) {
	// On an 11×11 image there is one window. A constant shift by d of a flat
	// image leaves contrast-structure at 1 and luminance at
	// (2·m·(m+d)+C1)/(m²+(m+d)²+C1).
	a := image.NewGray(image.Rect(0, 0, 11, 11))
	b := image.NewGray(image.Rect(0, 0, 11, 11))
	for i := range a.Pix {
		a.Pix[i], b.Pix[i] = 100, 120
	}
	got, err := SSIM(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := (2*100*120 + c1) / (100*100 + 120*120 + c1)
	if math.Abs(got-want) > 1e-12 {
		t.Fatalf("SSIM = %v, want %v", got, want)
	}
}

func TestBPP(t *testing.T) {
	if got := BPP(1000, 100, 80); got != 1 {
		t.Errorf("BPP = %v, want 1", got)
	}
	if got := BPP(1, 0, 5); !math.IsNaN(got) {
		t.Errorf("BPP of an empty image = %v, want NaN", got)
	}
}
