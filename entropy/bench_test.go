package entropy

import (
	"math/rand/v2"
	"testing"
)

// gaussianWorkload draws n latent symbols the way the codec codes y: each
// element gets a scale index, and its value is drawn from that table.
// "typical" spreads indexes uniformly over the lower 48 entries (scales
// 0.11 to ~40, most values within a few steps of 0), "wide" over all 64.
func gaussianWorkload(n int, wide bool) (symbols, indexes []int32) {
	rng := rand.New(rand.NewPCG(11, 12))
	gt := GaussianTables()
	symbols, indexes = make([]int32, n), make([]int32, n)
	top := 48
	if wide {
		top = NumGaussianScales
	}
	for i := range n {
		indexes[i] = int32(rng.IntN(top))
		symbols[i] = sample(rng, gt, int(indexes[i]))
	}
	return symbols, indexes
}

func reportSymbols(b *testing.B, n int, data []byte) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "symbols/s")
	b.ReportMetric(8*float64(len(data))/float64(n), "bits/symbol")
}

func benchmarkGaussianEncode(b *testing.B, wide bool) {
	const n = 1 << 20
	symbols, indexes := gaussianWorkload(n, wide)
	gt := GaussianTables()
	var e Encoder
	var dst []byte
	var err error
	dst, _ = e.Append(dst[:0], symbols, indexes, gt) // warm the buffers
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if dst, err = e.Append(dst[:0], symbols, indexes, gt); err != nil {
			b.Fatal(err)
		}
	}
	reportSymbols(b, n, dst)
}

func benchmarkGaussianDecode(b *testing.B, wide bool) {
	const n = 1 << 20
	symbols, indexes := gaussianWorkload(n, wide)
	gt := GaussianTables()
	data, err := Encode(symbols, indexes, gt)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]int32, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if err := DecodeInto(out, data, indexes, gt); err != nil {
			b.Fatal(err)
		}
	}
	reportSymbols(b, n, data)
}

func BenchmarkGaussianEncode(b *testing.B)     { benchmarkGaussianEncode(b, false) }
func BenchmarkGaussianDecode(b *testing.B)     { benchmarkGaussianDecode(b, false) }
func BenchmarkGaussianEncodeWide(b *testing.B) { benchmarkGaussianEncode(b, true) }
func BenchmarkGaussianDecodeWide(b *testing.B) { benchmarkGaussianDecode(b, true) }

// BenchmarkBuildGaussianTables times the recipe of the embedded tables,
// which GaussianTables does not run.
func BenchmarkBuildGaussianTables(b *testing.B) {
	scales := StandardGaussianScales()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := BuildGaussianTables(scales, GaussianTailMass); err != nil {
			b.Fatal(err)
		}
	}
}
