// Package backend selects the GoMLX backend semcodec runs on, and provides
// "semcpu", the default CPU backend: GoMLX v0.26.0's pure-Go simplego
// backend with the gaps that stop it from training a conv net filled in.
//
// simplego lacks the Pad and Reverse ops, which GoMLX's own gradients of
// Slice, pooling and convolution emit, and it mishandles empty
// stride/dilation lists in ConvGeneral. semcpu composes Pad and Reverse
// from ops simplego has (Broadcast, Concatenate, Reshape, Slice, Gather) and
// fills in the lists. It also picks an execution mode that does not
// deadlock on small machines (see DefaultConfig).
//
// New reads $GOMLX_BACKEND: unset or empty gives semcpu; anything else is
// handed to GoMLX (for example "xla:/path/to/pjrt_plugin.so", which needs a
// binary built with -tags xla; see xla.go).
package backend

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

// Name is the name semcpu is registered under, for use in $GOMLX_BACKEND
// (e.g. "semcpu" or "semcpu:ops_parallel").
const Name = "semcpu"

// DefaultConfig is the simplego configuration semcpu uses when given none.
//
// simplego's default ("dynamic") mode, and "ops_parallel", run independent
// ops on a bounded worker pool; on 2 cores a graph with parallel DotGeneral
// branches hung at 0% CPU, the ops holding every slot their own sub-tasks
// waited for. Running ops one after another lets each large op still split
// its work across the cores, never hangs, and measured the same CPU time
// per training step as "parallelism=-1" (which also avoids the hang but
// prints a line to stdout when set).
const DefaultConfig = "ops_sequential"

// ErrConfig reports a $GOMLX_BACKEND value GoMLX cannot honour.
var ErrConfig = errors.New("backend: backend configuration")

func init() {
	backends.Register(Name, NewSemCPU)
}

// New returns the backend to run on: semcpu when $GOMLX_BACKEND is unset or
// empty (it never tries XLA and never downloads anything), otherwise
// whatever GoMLX makes of $GOMLX_BACKEND.
func New() (backends.Backend, error) {
	config := strings.TrimSpace(os.Getenv(backends.ConfigEnvVar))
	if config == "" {
		return NewSemCPU("")
	}
	return newWithConfig(config)
}

// MustNew is New that panics on error; for tests and examples.
func MustNew() backends.Backend {
	b, err := New()
	if err != nil {
		panic(err)
	}
	return b
}

// newWithConfig wraps backends.NewWithConfig, which panics on an unknown
// backend name, and adds a hint when XLA was asked for but not compiled in.
func newWithConfig(config string) (b backends.Backend, err error) {
	name, _, _ := strings.Cut(config, ":")
	known := false
	for _, n := range backends.List() {
		known = known || n == name
	}
	if !known {
		hint := ""
		if name == "xla" || name == "stablehlo" || name == "shlo" || name == "hlo" {
			hint = " (this binary was built without XLA: rebuild with -tags xla)"
		}
		return nil, fmt.Errorf("%w: %s=%q: unknown backend %q%s; compiled in: %s",
			ErrConfig, backends.ConfigEnvVar, config, name, hint, strings.Join(backends.List(), ", "))
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("%w: %s=%q: %v", ErrConfig, backends.ConfigEnvVar, config, r)
		}
	}()
	b, err = backends.NewWithConfig(config)
	if err != nil {
		return nil, fmt.Errorf("%w: %s=%q: %w", ErrConfig, backends.ConfigEnvVar, config, err)
	}
	return b, nil
}

// NewSemCPU builds a semcpu backend. config is a simplego configuration
// (comma-separated options such as "ops_sequential", "ops_parallel",
// "parallelism=N"); empty means DefaultConfig.
func NewSemCPU(config string) (backends.Backend, error) {
	if strings.TrimSpace(config) == "" {
		config = DefaultConfig
	}
	inner, err := simplego.New(config)
	if err != nil {
		return nil, fmt.Errorf("%w: %s:%s: %w", ErrConfig, Name, config, err)
	}
	caps := inner.Capabilities().Clone()
	caps.Operations[backends.OpTypePad] = true
	caps.Operations[backends.OpTypeReverse] = true
	return &cpuBackend{Backend: inner, config: config, caps: caps}, nil
}

// cpuBackend is simplego with a builder that adds the missing ops.
type cpuBackend struct {
	backends.Backend
	config string
	caps   backends.Capabilities
}

func (b *cpuBackend) Name() string   { return Name }
func (b *cpuBackend) String() string { return Name }

func (b *cpuBackend) Description() string {
	return fmt.Sprintf("semcodec CPU backend: SimpleGo (%s) with composed Pad/Reverse", b.config)
}

func (b *cpuBackend) Capabilities() backends.Capabilities { return b.caps }

func (b *cpuBackend) Builder(name string) backends.Builder {
	return &builder{Builder: b.Backend.Builder(name)}
}
