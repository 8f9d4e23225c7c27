package backend

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/backends"
)

// unsetEnv clears $GOMLX_BACKEND for one test and restores it afterwards.
func unsetEnv(t *testing.T) {
	t.Setenv(backends.ConfigEnvVar, "") // registers the restore
	if err := os.Unsetenv(backends.ConfigEnvVar); err != nil {
		t.Fatal(err)
	}
}

func TestNewDefaultsToSemCPU(t *testing.T) {
	for _, set := range []bool{false, true} {
		unsetEnv(t)
		if set {
			t.Setenv(backends.ConfigEnvVar, " ")
		}
		b, err := New()
		if err != nil {
			t.Fatal(err)
		}
		if b.Name() != Name || b.String() != Name {
			t.Errorf("env set=%v: got backend %q/%q, want %q", set, b.Name(), b.String(), Name)
		}
		caps := b.Capabilities()
		if !caps.Operations[backends.OpTypePad] || !caps.Operations[backends.OpTypeReverse] {
			t.Errorf("capabilities miss Pad or Reverse")
		}
		if !strings.Contains(b.Description(), DefaultConfig) {
			t.Errorf("description %q does not name the config %q", b.Description(), DefaultConfig)
		}
		b.Finalize()
	}
}

func TestNewHonoursEnv(t *testing.T) {
	for _, c := range []struct {
		env, name string
	}{
		{"go", "go"},
		{"semcpu", Name},
		{"semcpu:ops_parallel", Name},
	} {
		t.Setenv(backends.ConfigEnvVar, c.env)
		b, err := New()
		if err != nil {
			t.Fatalf("%s: %v", c.env, err)
		}
		if b.String() != c.name {
			t.Errorf("%s: got %q, want %q", c.env, b.String(), c.name)
		}
		b.Finalize()
	}
}

func TestNewRejectsBadEnv(t *testing.T) {
	for _, env := range []string{"nosuchbackend", "semcpu:bogus_option", "go:parallelism=x"} {
		t.Setenv(backends.ConfigEnvVar, env)
		b, err := New()
		if !errors.Is(err, ErrConfig) || !strings.HasPrefix(err.Error(), "backend:") {
			t.Errorf("%s: got (%v, %v), want an ErrConfig", env, b, err)
		}
	}
	t.Setenv(backends.ConfigEnvVar, "nosuchbackend")
	defer func() {
		if recover() == nil {
			t.Errorf("MustNew did not panic on a bad $%s", backends.ConfigEnvVar)
		}
	}()
	MustNew()
}
