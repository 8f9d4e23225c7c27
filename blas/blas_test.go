package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// paths returns the implementations to test: pure Go always, OpenBLAS when loaded.
func paths(t testing.TB) []string {
	p := []string{"go"}
	if Current().OpenBLAS {
		p = append(p, "openblas")
	} else {
		t.Logf("OpenBLAS not tested: %s", Current())
	}
	return p
}

func usePath(t testing.TB, p string) {
	restore := SetEnabled(p == "openblas")
	t.Cleanup(restore)
	if got := Current().OpenBLAS; got != (p == "openblas") {
		t.Fatalf("SetEnabled(%v): Current().OpenBLAS = %v", p == "openblas", got)
	}
}

type gemmCase struct {
	transA, transB   bool
	m, n, k          int
	alpha, beta      float32
	padA, padB, padC int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,%dx%dx%d,alpha=%g,beta=%g,pad=%d/%d/%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// matrix makes a rows x cols matrix with leading dimension cols+pad, sliced to
// the exact length Sgemm may touch; padding holds fill.
func matrix(r *rand.Rand, rows, cols, pad int, fill float32) ([]float32, int) {
	ld := cols + pad
	if rows == 0 || cols == 0 {
		return nil, max(ld, 1)
	}
	s := make([]float32, (rows-1)*ld+cols)
	for i := range s {
		s[i] = fill
	}
	for i := range rows {
		for j := range cols {
			s[i*ld+j] = float32(r.NormFloat64())
		}
	}
	return s, ld
}

const sentinel = 12345

// runCase checks one product against a float64 reference, with NaN in the
// padding of A and B (so any stray read shows) and a sentinel in C's padding.
func runCase(t *testing.T, r *rand.Rand, tc gemmCase, call func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int)) {
	t.Helper()
	nan := float32(math.NaN())
	aRows, aCols := tc.m, tc.k
	if tc.transA {
		aRows, aCols = tc.k, tc.m
	}
	bRows, bCols := tc.k, tc.n
	if tc.transB {
		bRows, bCols = tc.n, tc.k
	}
	a, lda := matrix(r, aRows, aCols, tc.padA, nan)
	b, ldb := matrix(r, bRows, bCols, tc.padB, nan)
	c, ldc := matrix(r, tc.m, tc.n, tc.padC, sentinel)
	if tc.beta == 0 { // old contents must be ignored
		for i := range tc.m {
			for j := range tc.n {
				c[i*ldc+j] = nan
			}
		}
	}
	at := func(i, p int) float64 {
		if tc.transA {
			return float64(a[p*lda+i])
		}
		return float64(a[i*lda+p])
	}
	bt := func(p, j int) float64 {
		if tc.transB {
			return float64(b[j*ldb+p])
		}
		return float64(b[p*ldb+j])
	}
	want := make([]float64, tc.m*tc.n)
	bound := make([]float64, tc.m*tc.n)
	for i := range tc.m {
		for j := range tc.n {
			var s, abs float64
			for p := range tc.k {
				s += at(i, p) * bt(p, j)
				abs += math.Abs(at(i, p) * bt(p, j))
			}
			w := float64(tc.alpha) * s
			bd := math.Abs(float64(tc.alpha)) * abs
			if tc.beta != 0 {
				w += float64(tc.beta) * float64(c[i*ldc+j])
				bd += math.Abs(float64(tc.beta) * float64(c[i*ldc+j]))
			}
			want[i*tc.n+j], bound[i*tc.n+j] = w, bd
		}
	}
	call(a, lda, b, ldb, c, ldc)
	tol := 1e-5 * float64(tc.k+1)
	bad := 0
	for i := range tc.m {
		for j := range ldc {
			if i*ldc+j >= len(c) {
				break
			}
			got := c[i*ldc+j]
			if j >= tc.n {
				if got != sentinel {
					t.Fatalf("%v: C padding [%d,%d] overwritten with %g", tc, i, j, got)
				}
				continue
			}
			w, bd := want[i*tc.n+j], bound[i*tc.n+j]
			if d := math.Abs(float64(got) - w); !(d <= tol*bd+1e-30) {
				if bad++; bad <= 3 {
					t.Errorf("%v: C[%d,%d] = %g, want %g (bound %g)", tc, i, j, got, w, bd)
				}
			}
		}
	}
	if bad > 3 {
		t.Errorf("%v: %d wrong elements in all", tc, bad)
	}
}

func TestSgemm(t *testing.T) {
	shapes := [][3]int{
		{1, 1, 1}, {1, 1, 7}, {1, 9, 1}, {5, 1, 3}, {1, 300, 40}, {300, 1, 33},
		{2, 3, 4}, {3, 5, 2}, {7, 9, 11}, {4, 4, 4}, {8, 8, 8}, {17, 33, 65},
		{13, 6, 300},    // k crosses the kc block
		{150, 9, 5},     // m crosses the mc block
		{3, 1100, 6},    // n crosses the nc block
		{300, 200, 150}, // large enough to split over goroutines
	}
	alphas := []float32{1, -0.75, 0}
	betas := []float32{0, 1, 0.5}
	for _, p := range paths(t) {
		t.Run(p, func(t *testing.T) {
			usePath(t, p)
			r := rand.New(rand.NewPCG(1, 2))
			for si, sh := range shapes {
				large := sh[0]*sh[1]*sh[2] > 100000
				for tr := range 4 {
					for ai, alpha := range alphas {
						for bi, beta := range betas {
							// Large shapes get one alpha/beta pair per transpose combination.
							if large && (ai+bi+tr+si)%4 != 0 {
								continue
							}
							tc := gemmCase{transA: tr&1 != 0, transB: tr&2 != 0, m: sh[0], n: sh[1], k: sh[2],
								alpha: alpha, beta: beta, padA: r.IntN(3), padB: r.IntN(3), padC: r.IntN(3)}
							runCase(t, r, tc, func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
								Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
							})
						}
					}
				}
			}
		})
	}
}

// TestSgemmSplit exercises row and column splits with piece counts that do not
// depend on this machine's GOMAXPROCS, and SgemmSerial.
func TestSgemmSplit(t *testing.T) {
	shapes := [][3]int{
		{300, 200, 150}, // rows, 3 uneven pieces
		{130, 70, 90},   // rows, fewer pieces than procs
		{5, 700, 90},    // columns (m small)
		{40, 61, 200},   // columns, uneven
		{1, 20, 20000},  // vector-matrix product, split by columns
		{200, 1, 2000},  // rows of a matrix-vector product
	}
	for _, p := range paths(t) {
		t.Run(p, func(t *testing.T) {
			usePath(t, p)
			r := rand.New(rand.NewPCG(3, 4))
			for _, procs := range []int{1, 2, 3, 4} { // 1: SgemmSerial
				for _, sh := range shapes {
					for tr := range 4 {
						tc := gemmCase{transA: tr&1 != 0, transB: tr&2 != 0, m: sh[0], n: sh[1], k: sh[2],
							alpha: 1.5, beta: float32(tr % 2), padA: 1, padB: 2, padC: 3}
						runCase(t, r, tc, func(a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
							if procs == 1 {
								SgemmSerial(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
								return
							}
							sgemm(procs, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
						})
					}
				}
			}
		})
	}
}

func TestSgemmDegenerate(t *testing.T) {
	for _, p := range paths(t) {
		t.Run(p, func(t *testing.T) {
			usePath(t, p)
			// k == 0: C = beta*C, A and B not read (nil).
			c := []float32{1, 2, 3, 4}
			Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 2, c, 2)
			if fmt.Sprint(c) != "[2 4 6 8]" {
				t.Errorf("k=0, beta=2: C = %v", c)
			}
			c = []float32{float32(math.NaN()), 2, 3, 4}
			Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
			if fmt.Sprint(c) != "[0 0 0 0]" {
				t.Errorf("k=0, beta=0: C = %v", c)
			}
			// alpha == 0: A and B not read even if they hold NaN.
			nan := float32(math.NaN())
			c = []float32{1, 2, 3, 4}
			Sgemm(false, false, 2, 2, 1, 0, []float32{nan, nan}, 1, []float32{nan, nan}, 2, 1, c, 2)
			if fmt.Sprint(c) != "[1 2 3 4]" {
				t.Errorf("alpha=0, beta=1: C = %v", c)
			}
			// m == 0 or n == 0: nothing touched.
			Sgemm(false, false, 0, 2, 3, 1, nil, 3, []float32{1, 2, 3, 4, 5, 6}, 2, 0, nil, 2)
			Sgemm(true, true, 2, 0, 3, 1, []float32{1, 2, 3, 4, 5, 6}, 2, nil, 3, 0, nil, 1)
		})
	}
}

func TestSgemmPanicsOnMisuse(t *testing.T) {
	cases := map[string]func(){
		"short A": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
		"short B^T": func() {
			Sgemm(false, true, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 5), 2, 0, make([]float32, 6), 3)
		},
		"short C": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 4), 3)
		},
		"lda < k": func() {
			Sgemm(false, false, 2, 2, 3, 1, make([]float32, 9), 2, make([]float32, 6), 2, 0, make([]float32, 4), 2)
		},
		"lda^T < m": func() {
			Sgemm(true, false, 3, 2, 2, 1, make([]float32, 9), 2, make([]float32, 4), 2, 0, make([]float32, 6), 2)
		},
		"negative n": func() { Sgemm(false, false, 2, -1, 2, 1, nil, 2, nil, 1, 0, nil, 1) },
		"overflow": func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), math.MaxInt/2+1, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatal("no panic")
				}
				if !strings.HasPrefix(fmt.Sprint(r), "blas.Sgemm: ") {
					t.Fatalf("panic %q lacks the blas.Sgemm prefix", r)
				}
			}()
			f()
		})
	}
}

// libraryOnDisk lists the absolute OpenBLAS paths load would try that exist.
func libraryOnDisk() []string {
	var found []string
	cands := candidatePaths()
	if p := os.Getenv("SEMCODEC_BLAS_LIB"); p != "" {
		cands = []string{p}
	}
	for _, p := range cands {
		if _, err := os.Stat(p); err == nil && filepath.IsAbs(p) {
			found = append(found, p)
		}
	}
	return found
}

// TestOpenBLASUsedWhenInstalled fails when libopenblas is installed but the
// loader silently fell back to the slow path.
func TestOpenBLASUsedWhenInstalled(t *testing.T) {
	if v := os.Getenv("SEMCODEC_BLAS"); disabledByEnv(v) {
		t.Skipf("SEMCODEC_BLAS=%s", v)
	}
	found := libraryOnDisk()
	if len(found) == 0 {
		t.Skip("no libopenblas.so.0 on disk")
	}
	info := Current()
	if !info.OpenBLAS {
		t.Fatalf("%v exists but OpenBLAS is not used: %s", found, info.Reason)
	}
	if !strings.HasPrefix(info.Version, "OpenBLAS") {
		t.Errorf("Version = %q, want openblas_get_config() text", info.Version)
	}
	if runtime.GOOS == "linux" && !filepath.IsAbs(info.Library) {
		t.Errorf("Library = %q, want the file's path", info.Library)
	}
	t.Logf("%s", info)
}

func TestLoadEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	info, l := load(env("SEMCODEC_BLAS", "off", "SEMCODEC_BLAS_LIB", "/nonexistent/libopenblas.so.0"))
	if info.OpenBLAS || l != nil || info.Reason != "SEMCODEC_BLAS=off" || info.Library != "" {
		t.Errorf("SEMCODEC_BLAS=off: %+v", info)
	}
	if s := info.String(); s != "pure-Go fallback (SEMCODEC_BLAS=off)" {
		t.Errorf("String() = %q", s)
	}
	info, l = load(env("SEMCODEC_BLAS_LIB", "/nonexistent/libopenblas.so.0"))
	if info.OpenBLAS || l != nil || !strings.Contains(info.Reason, "/nonexistent/libopenblas.so.0") {
		t.Errorf("SEMCODEC_BLAS_LIB=/nonexistent: %+v", info)
	}
	if runtime.GOOS == "linux" {
		// A library that loads but is not OpenBLAS.
		info, l = load(env("SEMCODEC_BLAS_LIB", "libm.so.6"))
		if info.OpenBLAS || l != nil || !strings.Contains(info.Reason, "missing symbol cblas_sgemm") {
			t.Errorf("SEMCODEC_BLAS_LIB=libm.so.6: %+v", info)
		}
	}
	if found := libraryOnDisk(); len(found) > 0 && !disabledByEnv(os.Getenv("SEMCODEC_BLAS")) {
		info, l = load(env("SEMCODEC_BLAS", "on", "SEMCODEC_BLAS_LIB", found[0]))
		if !info.OpenBLAS || l == nil || info.Library != found[0] || !strings.HasPrefix(info.Version, "OpenBLAS") {
			t.Errorf("SEMCODEC_BLAS_LIB=%s: %+v", found[0], info)
		}
		if s := info.String(); !strings.Contains(s, found[0]) || !strings.Contains(s, "1 thread per call") {
			t.Errorf("String() = %q", s)
		}
		info, _ = load(env())
		if !info.OpenBLAS {
			t.Errorf("default search with %s on disk: %+v", found[0], info)
		}
	}
}

func TestSetEnabled(t *testing.T) {
	before := Current()
	restore := SetEnabled(false)
	if info := Current(); info.OpenBLAS || (before.OpenBLAS && !strings.Contains(info.Reason, "SetEnabled")) {
		t.Errorf("after SetEnabled(false): %+v", info)
	}
	restore()
	if Current() != before {
		t.Errorf("restore: %+v, want %+v", Current(), before)
	}
}

func benchSgemm(b *testing.B, openblas bool, n int) {
	restore := SetEnabled(openblas)
	defer restore()
	if Current().OpenBLAS != openblas {
		b.Skipf("OpenBLAS not loaded: %s", Current())
	}
	r := rand.New(rand.NewPCG(5, 6))
	x, _ := matrix(r, n, n, 0, 0)
	y, _ := matrix(r, n, n, 0, 0)
	z := make([]float32, n*n)
	for b.Loop() {
		Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n)
	}
	b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemmGo_512(b *testing.B)       { benchSgemm(b, false, 512) }
func BenchmarkSgemmOpenBLAS_512(b *testing.B) { benchSgemm(b, true, 512) }

// The 16-cubed pair shows the fixed cost of a call through purego.
func BenchmarkSgemmGo_16(b *testing.B)       { benchSgemm(b, false, 16) }
func BenchmarkSgemmOpenBLAS_16(b *testing.B) { benchSgemm(b, true, 16) }
