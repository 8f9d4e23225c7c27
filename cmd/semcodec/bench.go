package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/semcodec/semcodec/benchsuite"
)

func init() { register(newBenchCmd) }

type benchFlags struct {
	asJSON     bool
	runs       int
	only       []string
	cpuProfile string
	model      string
}

func newBenchCmd() *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "bench [--json] [--runs N] [--only NAME[,NAME...]]",
		Short: "Time the fixed benchmark suite (training steps, forward, encode, decode)",
		Long: `bench runs a fixed suite on seeded synthetic inputs: every entry runs once
untimed (compilation), then --runs times; it reports the minimum wall time and,
separately, the minimum process CPU time (user+system) over those runs, and
how many conv/dot calls fell back from semcpu's fast kernels.

Entries: ` + strings.Join(benchsuite.Names(), ", ") + `.

With --json it prints one object:
  {"matmul", "matmul_reason", "fast_path": {"on", "reason"}, "gomaxprocs", "go",
   "backend", "gomlx_backend_env", "runs",
   "results": [{"name", "wall_s", "cpu_s", "fallback_calls", "fast_calls", "note"}]}

Exit codes: 0 success, 1 usage error or failure.`,
		Example: `  semcodec bench --only encode,decode --runs 3
  semcodec bench --json > bench.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runBench(cmd, f) },
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "print one JSON object instead of a table")
	fl.IntVar(&f.runs, "runs", 5, "timed runs per entry, after one untimed warm-up")
	fl.StringSliceVar(&f.only, "only", nil, "run only these entries (comma-separated)")
	fl.StringVar(&f.model, "model", "", "time encode and decode with this model file (.smw) instead of the embedded default")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (warm-ups included) to this file, for go tool pprof")
	return cmd
}

// benchReport is bench's JSON output: the environment, then the results.
type benchReport struct {
	envInfo
	Runs    int           `json:"runs"`
	Results []benchResult `json:"results"`
}

type benchResult struct {
	Name          string  `json:"name"`
	WallS         float64 `json:"wall_s"`
	CPUS          float64 `json:"cpu_s"`
	FallbackCalls int64   `json:"fallback_calls"`
	FastCalls     int64   `json:"fast_calls"`
	Note          string  `json:"note,omitempty"`
}

func runBench(cmd *cobra.Command, f benchFlags) error {
	if f.runs < 1 {
		return fmt.Errorf("--runs %d: want at least 1", f.runs)
	}
	entries, err := benchsuite.Select(f.only)
	if err != nil {
		return fmt.Errorf("--only: %w", err)
	}
	if f.model != "" {
		if benchsuite.CodecModel, err = loadModel(f.model); err != nil {
			return err
		}
	}
	be, err := benchsuite.Backend()
	if err != nil {
		return err
	}
	rep := benchReport{envInfo: collectEnv(be, nil), Runs: f.runs, Results: []benchResult{}}
	out, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if !f.asJSON {
		// Rows appear as entries finish (a full run takes minutes), hence
		// fixed widths rather than a tabwriter.
		if err := writeBenchHeader(out, rep); err != nil {
			return err
		}
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, e := range entries {
		if f.asJSON {
			fmt.Fprintf(stderr, "bench: %s ...\n", e.Name)
		}
		r, err := benchsuite.Run(e, f.runs)
		if err != nil {
			return err
		}
		br := benchResult{Name: r.Name, WallS: r.Wall.Seconds(), CPUS: r.CPU.Seconds(),
			FallbackCalls: r.FallbackCalls, FastCalls: r.FastCalls, Note: r.Note}
		rep.Results = append(rep.Results, br)
		if !f.asJSON {
			ratio := "-"
			if br.WallS > 0 {
				ratio = fmt.Sprintf("%.2f", br.CPUS/br.WallS)
			}
			if _, err := fmt.Fprintf(out, benchRowFormat, br.Name, fmt.Sprintf("%.3f", br.WallS),
				fmt.Sprintf("%.3f", br.CPUS), ratio, fmt.Sprint(br.FallbackCalls)); err != nil {
				return err
			}
		}
	}
	if !f.asJSON {
		return writeBenchNotes(out, rep.Results)
	}
	data, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s\n", data)
	return err
}

const benchRowFormat = "%-33s %9s %9s %9s %10s\n"

func writeBenchHeader(w io.Writer, rep benchReport) error {
	if _, err := fmt.Fprintf(w, "matmul: %s\nfast path: %s\nbackend: %s, GOMAXPROCS %d, %s\nminimum of %d runs after one warm-up\n\n",
		rep.Matmul, rep.FastPath.text(), rep.Backend, rep.GOMAXPROCS, rep.Go, rep.Runs); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, benchRowFormat, "name", "wall_s", "cpu_s", "cpu/wall", "fallbacks")
	return err
}

func writeBenchNotes(w io.Writer, results []benchResult) error {
	fmt.Fprintln(w)
	for _, r := range results {
		if r.Note != "" {
			if _, err := fmt.Fprintf(w, "%s: %s\n", r.Name, r.Note); err != nil {
				return err
			}
		}
	}
	return nil
}
