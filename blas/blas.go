// Package blas gives the CPU engine single-precision matrix products.
//
// Sgemm uses OpenBLAS when a shared libopenblas can be loaded at run time
// (through purego, so no cgo is needed) and a blocked pure-Go kernel otherwise.
// OpenBLAS is told to use one thread per call: Go owns the cores, and Sgemm
// splits large products over GOMAXPROCS goroutines itself, so the engine's own
// parallelism and OpenBLAS's thread pool never oversubscribe the machine.
//
// Environment: SEMCODEC_BLAS=off forces the pure-Go kernel;
// SEMCODEC_BLAS_LIB=/path/libopenblas.so.0 loads that file and nothing else.
package blas

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Info describes the active path, for `semcodec env` and benchmark reports.
type Info struct {
	OpenBLAS bool   // true when OpenBLAS is loaded and used
	Library  string // path of the loaded library, "" when none
	Version  string // e.g. "OpenBLAS 0.3.21 ..." from openblas_get_config(), "" when none
	Reason   string // why this path: e.g. "SEMCODEC_BLAS=off", "libopenblas.so.0 not found (tried ...)", "loaded"
}

// String is a one-line description of the path Sgemm takes.
func (i Info) String() string {
	if !i.OpenBLAS {
		return "pure-Go fallback (" + i.Reason + ")"
	}
	v := i.Version
	if v == "" {
		v = "OpenBLAS"
	}
	return fmt.Sprintf("%s (%s, 1 thread per call, split over GOMAXPROCS=%d)", v, i.Library, runtime.GOMAXPROCS(0))
}

var (
	loadOnce sync.Once
	loaded   Info         // result of load; never changes after loadOnce
	lib      *openblasLib // nil when OpenBLAS is not loaded
	enabled  atomic.Bool  // whether Sgemm uses lib (only meaningful when lib != nil)
)

func ensureLoaded() {
	loadOnce.Do(func() {
		loaded, lib = load(os.Getenv)
		enabled.Store(lib != nil)
	})
}

// Current reports the path Sgemm takes now, loading OpenBLAS if not done yet.
func Current() Info {
	ensureLoaded()
	info := loaded
	if lib != nil && !enabled.Load() {
		info.OpenBLAS = false
		info.Reason = "disabled by SetEnabled(false)"
	}
	return info
}

// SetEnabled switches Sgemm between OpenBLAS (only if it was loaded) and the
// pure-Go kernel, and returns a function restoring the previous choice. It is
// meant for tests and benchmarks comparing both paths in one process: it must
// not be called while any Sgemm is running.
func SetEnabled(on bool) (restore func()) {
	ensureLoaded()
	prev := enabled.Load()
	enabled.Store(on && lib != nil)
	return func() { enabled.Store(prev) }
}

// disabledByEnv reports whether a SEMCODEC_BLAS value asks for the pure-Go kernel.
func disabledByEnv(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "off", "0", "false", "no", "go":
		return true
	}
	return false
}

// unusableError marks a library that dlopen loaded but that cannot serve Sgemm.
type unusableError struct{ msg string }

func (e *unusableError) Error() string { return e.msg }

func unusable(format string, args ...any) error {
	return &unusableError{fmt.Sprintf(format, args...)}
}

// load decides the path from the environment; env is a parameter so tests can
// exercise the variables without touching the process environment.
func load(env func(string) string) (Info, *openblasLib) {
	if v := env("SEMCODEC_BLAS"); disabledByEnv(v) {
		return Info{Reason: "SEMCODEC_BLAS=" + v}, nil
	}
	if p := env("SEMCODEC_BLAS_LIB"); p != "" {
		l, version, err := openLib(p)
		if err != nil {
			return Info{Reason: "SEMCODEC_BLAS_LIB=" + p + ": " + err.Error()}, nil
		}
		return Info{OpenBLAS: true, Library: libraryName(p, l), Version: version, Reason: "loaded (SEMCODEC_BLAS_LIB)"}, l
	}
	paths := candidatePaths()
	if len(paths) == 0 {
		return Info{Reason: "loading OpenBLAS is not supported on " + runtime.GOOS}, nil
	}
	var errs []string
	opened := false
	for _, p := range paths {
		l, version, err := openLib(p)
		if err == nil {
			return Info{OpenBLAS: true, Library: libraryName(p, l), Version: version, Reason: "loaded"}, l
		}
		errs = append(errs, err.Error())
		var u *unusableError
		opened = opened || errors.As(err, &u)
	}
	what := "libopenblas.so.0 not found"
	if opened {
		what = "no usable libopenblas.so.0"
	}
	return Info{Reason: what + " (tried " + strings.Join(errs, "; ") + ")"}, nil
}

// libraryName is the path to report: for a bare soname, the file the dlopen
// search found.
func libraryName(p string, l *openblasLib) string {
	if !strings.Contains(p, "/") && l.file != "" {
		return l.file
	}
	return p
}

// Parallel split: below this many multiply-adds the goroutine start-up and the
// extra packing cost more than they save.
const parallelMinWork = 1 << 18

// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major float32 matrices,
// op(A) is m x k, op(B) is k x n, C is m x n, with leading dimensions lda, ldb, ldc
// (row strides, in elements). transA/transB mean A/B are stored transposed
// (A stored k x m, B stored n x k). beta == 0 means C's old contents are ignored (may hold NaN).
// Large products are split over GOMAXPROCS goroutines (by rows of C, or by columns when m is small),
// each piece calling the single-threaded kernel; small ones run on the caller's goroutine.
//
// Arguments inconsistent with the slice lengths panic (a programming error).
// When alpha == 0 or k == 0, A and B are not read.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(runtime.GOMAXPROCS(0), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm is Sgemm with the number of pieces as a parameter, so tests can
// exercise the split on any machine.
func sgemm(procs int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	ensureLoaded()
	if procs <= 1 || float64(m)*float64(n)*float64(k) < parallelMinWork {
		serialSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	const align = 8 // piece boundaries on multiples of 8 keep micro-tiles whole
	var wg sync.WaitGroup
	if m >= 2*procs*align {
		chunk := roundUp((m+procs-1)/procs, align)
		for i0 := 0; i0 < m; i0 += chunk {
			rows := min(chunk, m-i0)
			aOff := i0 * lda
			if transA {
				aOff = i0
			}
			aa, cc := a[aOff:], c[i0*ldc:]
			if i0+rows == m { // last piece on the caller's goroutine
				serialSgemm(transA, transB, rows, n, k, alpha, aa, lda, b, ldb, beta, cc, ldc)
				break
			}
			wg.Go(func() { serialSgemm(transA, transB, rows, n, k, alpha, aa, lda, b, ldb, beta, cc, ldc) })
		}
	} else {
		chunk := roundUp((n+procs-1)/procs, align)
		for j0 := 0; j0 < n; j0 += chunk {
			cols := min(chunk, n-j0)
			bOff := j0
			if transB {
				bOff = j0 * ldb
			}
			bb, cc := b[bOff:], c[j0:]
			if j0+cols == n {
				serialSgemm(transA, transB, m, cols, k, alpha, a, lda, bb, ldb, beta, cc, ldc)
				break
			}
			wg.Go(func() { serialSgemm(transA, transB, m, cols, k, alpha, a, lda, bb, ldb, beta, cc, ldc) })
		}
	}
	wg.Wait()
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// serialSgemm runs one piece on the current goroutine; m, n, k > 0.
func serialSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if l := lib; l != nil && enabled.Load() && fitsInt32(m, n, k, lda, ldb, ldc) {
		l.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	goSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// fitsInt32 reports whether the cblas int arguments can carry the values.
func fitsInt32(v ...int) bool {
	for _, x := range v {
		if x > math.MaxInt32 {
			return false
		}
	}
	return true
}

// checkArgs panics when the slices are too short for the shapes, so that no
// path ever reads or writes out of bounds.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas.Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	aRows, aCols := m, k
	if transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if transB {
		bRows, bCols = n, k
	}
	checkMatrix("A", aRows, aCols, a, lda)
	checkMatrix("B", bRows, bCols, b, ldb)
	checkMatrix("C", m, n, c, ldc)
}

func checkMatrix(name string, rows, cols int, s []float32, ld int) {
	if rows == 0 || cols == 0 {
		return
	}
	if ld < cols {
		panic(fmt.Sprintf("blas.Sgemm: leading dimension of %s is %d, less than its %d columns", name, ld, cols))
	}
	if rows-1 > (math.MaxInt-cols)/ld {
		panic(fmt.Sprintf("blas.Sgemm: %s is %dx%d with leading dimension %d: size overflows int", name, rows, cols, ld))
	}
	if need := (rows-1)*ld + cols; len(s) < need {
		panic(fmt.Sprintf("blas.Sgemm: %s is %dx%d with leading dimension %d and needs %d elements, has %d", name, rows, cols, ld, need, len(s)))
	}
}
