//go:build linux || darwin

package blas

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/ebitengine/purego"
)

const (
	cblasRowMajor = 101
	cblasNoTrans  = 111
	cblasTrans    = 112
)

// candidatePaths lists where libopenblas is looked for, in order. Debian's
// libopenblas0-pthread installs under openblas-pthread/, off the default dlopen
// search path; only its alternatives symlink (when set) makes the bare soname work.
func candidatePaths() []string {
	paths := []string{"libopenblas.so.0"}
	for _, pattern := range []string{
		"/usr/lib/*/openblas-pthread/libopenblas.so.0",
		"/usr/lib/*/libopenblas.so.0",
		"/usr/lib64/libopenblas.so.0",
	} {
		m, _ := filepath.Glob(pattern)
		paths = append(paths, m...)
	}
	return paths
}

type openblasLib struct {
	file       string // the file dlopen mapped, when it can be found
	cblasSgemm func(order, transA, transB, m, n, k int32, alpha float32, a *float32, lda int32, b *float32, ldb int32, beta float32, c *float32, ldc int32)
}

// openLib dlopens path, resolves the symbols and sets OpenBLAS to one thread.
func openLib(path string) (l *openblasLib, version string, err error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil {
		return nil, "", err // dlerror's text already names the file
	}
	defer func() {
		if r := recover(); r != nil {
			err = unusable("%s: %v", path, r)
		}
		if err != nil {
			l, version = nil, ""
			purego.Dlclose(h)
		}
	}()
	sym := func(name string) (uintptr, error) {
		p, err := purego.Dlsym(h, name)
		if err != nil || p == 0 {
			return 0, unusable("%s: missing symbol %s", path, name)
		}
		return p, nil
	}
	var pSgemm, pSetThreads, pConfig uintptr
	if pSgemm, err = sym("cblas_sgemm"); err != nil {
		return nil, "", err
	}
	if pSetThreads, err = sym("openblas_set_num_threads"); err != nil {
		return nil, "", err
	}
	if pConfig, err = sym("openblas_get_config"); err != nil {
		return nil, "", err
	}
	l = &openblasLib{file: mappedFile(pSgemm)}
	purego.RegisterFunc(&l.cblasSgemm, pSgemm)
	var setThreads func(int32)
	var getConfig func() string
	purego.RegisterFunc(&setThreads, pSetThreads)
	purego.RegisterFunc(&getConfig, pConfig)
	setThreads(1)
	if p, e := purego.Dlsym(h, "openblas_get_num_threads"); e == nil && p != 0 {
		var getThreads func() int32
		purego.RegisterFunc(&getThreads, p)
		if got := getThreads(); got != 1 {
			return nil, "", unusable("%s: openblas_set_num_threads(1) left %d threads", path, got)
		}
	}
	return l, getConfig(), nil
}

// sgemm calls cblas_sgemm; m, n, k > 0 and arguments validated by checkArgs.
func (l *openblasLib) sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ta, tb := int32(cblasNoTrans), int32(cblasNoTrans)
	if transA {
		ta = cblasTrans
	}
	if transB {
		tb = cblasTrans
	}
	l.cblasSgemm(cblasRowMajor, ta, tb, int32(m), int32(n), int32(k), alpha, &a[0], int32(lda), &b[0], int32(ldb), beta, &c[0], int32(ldc))
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
}

// mappedFile returns the file whose mapping holds addr, from /proc/self/maps, so
// Info.Library names the real file when dlopen searched for a bare soname.
// It returns "" where /proc is unavailable.
func mappedFile(addr uintptr) string {
	data, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return ""
	}
	for line := range strings.Lines(string(data)) {
		// 7f..-7f.. r-xp offset dev inode path
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasPrefix(f[5], "/") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		l, err1 := strconv.ParseUint(lo, 16, 64)
		h, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 == nil && err2 == nil && uint64(addr) >= l && uint64(addr) < h {
			return strings.Join(f[5:], " ")
		}
	}
	return ""
}
