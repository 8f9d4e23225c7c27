package blas

// SgemmSerial is Sgemm run entirely on the calling goroutine, for callers
// that already spread their work over the cores (packed convolutions, one
// chunk of patches per goroutine).
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
