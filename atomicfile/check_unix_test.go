//go:build unix

package atomicfile

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A device or pipe is never replaced by a renamed file.
func TestCheckRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	if err := Check(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Check(fifo) = %v", err)
	}
}
