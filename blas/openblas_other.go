//go:build !(linux || darwin)

package blas

import "errors"

func candidatePaths() []string { return nil }

type openblasLib struct{ file string }

func openLib(path string) (*openblasLib, string, error) {
	return nil, "", errors.New(path + ": loading OpenBLAS is not supported on this platform")
}

func (*openblasLib) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("unreachable")
}
