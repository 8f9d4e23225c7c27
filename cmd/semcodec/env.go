package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/gomlx/gomlx/backends"
	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/blas"
)

func init() { register(newEnvCmd) }

func newEnvCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print the compute paths in use: matmul library, CPU fast path, backend",
		Long: `env prints which matrix-multiply path is active (OpenBLAS or the pure-Go
kernel) and why, whether semcpu's conv/dot fast path is installed, GOMAXPROCS,
the Go version and the GoMLX backend ($GOMLX_BACKEND, default semcpu).

With --json it prints one object:
  {"matmul", "matmul_reason", "fast_path": {"on", "reason"}, "gomaxprocs",
   "go", "backend", "gomlx_backend_env"}`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			be, err := backend.New()
			info := collectEnv(be, err)
			if be != nil {
				defer be.Finalize()
			}
			return info.write(cmd.OutOrStdout(), asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object instead of text")
	return cmd
}

// envInfo is what env prints; bench puts the same in its report header.
type envInfo struct {
	Matmul       string       `json:"matmul"`
	MatmulReason string       `json:"matmul_reason"`
	FastPath     fastPathJSON `json:"fast_path"`
	GOMAXPROCS   int          `json:"gomaxprocs"`
	Go           string       `json:"go"`
	Backend      string       `json:"backend"`
	BackendEnv   string       `json:"gomlx_backend_env"`
}

type fastPathJSON struct {
	On     bool   `json:"on"`
	Reason string `json:"reason"`
}

// text is "on: why" or "off: why"; the reason may already start so.
func (f fastPathJSON) text() string {
	state := "off"
	if f.On {
		state = "on"
	}
	why := strings.TrimPrefix(strings.TrimPrefix(f.Reason, "on: "), "off: ")
	return state + ": " + why
}

// collectEnv describes be, or the error that stopped it from being made.
func collectEnv(be backends.Backend, beErr error) envInfo {
	b := blas.Current()
	on, reason := backend.FastPath()
	info := envInfo{Matmul: b.String(), MatmulReason: b.Reason, FastPath: fastPathJSON{on, reason},
		GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(), BackendEnv: os.Getenv(backends.ConfigEnvVar)}
	switch {
	case beErr != nil:
		info.Backend = "unavailable: " + beErr.Error()
	case be != nil:
		info.Backend = fmt.Sprintf("%s (%s)", be.Name(), be.Description())
	}
	return info
}

func (e envInfo) write(w io.Writer, asJSON bool) error {
	if asJSON {
		data, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return err
	}
	env := e.BackendEnv
	if env == "" {
		env = "unset"
	}
	_, err := fmt.Fprintf(w, "matmul      %s\n            reason: %s\nfast path   %s\ngomaxprocs  %d\ngo          %s\nbackend     %s ($%s %s)\n",
		e.Matmul, e.MatmulReason, e.FastPath.text(), e.GOMAXPROCS, e.Go, e.Backend, backends.ConfigEnvVar, env)
	return err
}
