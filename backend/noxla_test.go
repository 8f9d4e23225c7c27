//go:build !xla

package backend

import (
	"errors"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

// Without -tags xla, asking for XLA must fail with a hint, not reach
// GoMLX's default backends (which would try to download a plugin).
func TestXLANeedsBuildTag(t *testing.T) {
	t.Setenv(backends.ConfigEnvVar, "xla:cuda")
	_, err := New()
	if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "-tags xla") {
		t.Fatalf("got %v, want an ErrConfig with a -tags xla hint", err)
	}
}
