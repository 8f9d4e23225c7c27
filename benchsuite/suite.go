// Package benchsuite is semcodec's fixed benchmark suite: named entries
// (training steps, an inference forward, encoding and decoding) and their
// timing. `semcodec bench` runs it; results are comparable across commits
// because the inputs are synthetic and seeded.
//
// Each entry runs once untimed (graph compilation and first-use costs), then
// a number of timed runs; the result is the minimum wall time and, taken
// separately, the minimum process CPU time, since the minimum is the
// estimate least disturbed by other load on a shared machine.
package benchsuite

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/semcodec/semcodec/backend"
	"github.com/semcodec/semcodec/internal/cputime"
)

// Entry is one named benchmark.
type Entry struct {
	Name string
	Note string // what exactly runs, where the name does not say
	// setup prepares the entry: models, graphs, inputs.
	setup func() (*prepared, error)
}

// prepared is an entry ready to run.
type prepared struct {
	op      func() error // the operation timed
	release func()       // frees what setup acquired; may be nil
	note    string       // learnt at setup (e.g. which model), added to Entry.Note
}

// Result is one entry's timing.
type Result struct {
	Name string
	Note string
	Runs int           // timed runs
	Wall time.Duration // minimum wall time over the timed runs
	CPU  time.Duration // minimum process CPU time (user+system) over the timed runs
	// FastCalls and FallbackCalls count the semcpu conv/dot executions
	// during the timed runs that took the fast kernels or fell back to
	// simplego's (see backend.FastPathStats): a silent loss of the fast
	// path shows up here rather than only as a slower time.
	FastCalls, FallbackCalls int64
}

// Names lists the entries in suite order.
func Names() []string {
	var names []string
	for _, e := range Entries() {
		names = append(names, e.Name)
	}
	return names
}

// Select returns the entries named in only (all when only is empty), in
// suite order; an unknown name is an error that lists the valid ones.
func Select(only []string) ([]Entry, error) {
	all := Entries()
	if len(only) == 0 {
		return all, nil
	}
	names := Names()
	for _, n := range only {
		if !slices.Contains(names, n) {
			return nil, fmt.Errorf("unknown benchmark %q (valid: %s)", n, strings.Join(names, ", "))
		}
	}
	var out []Entry
	for _, e := range all {
		if slices.Contains(only, e.Name) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Run sets e up, runs it once untimed, then runs times timed.
func Run(e Entry, runs int) (res Result, err error) {
	if runs < 1 {
		return Result{}, fmt.Errorf("benchmark %s: %d runs, want at least 1", e.Name, runs)
	}
	p, err := e.setup()
	if err != nil {
		return Result{}, fmt.Errorf("benchmark %s: %w", e.Name, err)
	}
	if p.release != nil {
		defer p.release()
	}
	if err := p.op(); err != nil {
		return Result{}, fmt.Errorf("benchmark %s: warm-up: %w", e.Name, err)
	}
	res, err = measure(p.op, runs, systemClock)
	if err != nil {
		return Result{}, fmt.Errorf("benchmark %s: %w", e.Name, err)
	}
	res.Name, res.Note = e.Name, e.Note
	if p.note != "" {
		if res.Note != "" {
			res.Note += "; "
		}
		res.Note += p.note
	}
	return res, nil
}

// clock reads the three counters a timed run is measured with; tests fake it.
type clock struct {
	wall     func() time.Time
	cpu      func() time.Duration
	fastPath func() (fast, fallback int64)
}

var systemClock = clock{wall: time.Now, cpu: cputime.Process, fastPath: backend.FastPathStats}

// measure runs op runs times and keeps the minimum wall and CPU time; the
// fast-path counters are summed over all the runs.
func measure(op func() error, runs int, c clock) (Result, error) {
	res := Result{Runs: runs}
	fast0, fallback0 := c.fastPath()
	for i := range runs {
		cpu0, wall0 := c.cpu(), c.wall()
		if err := op(); err != nil {
			return Result{}, fmt.Errorf("run %d: %w", i+1, err)
		}
		wall, cpu := c.wall().Sub(wall0), c.cpu()-cpu0
		if i == 0 || wall < res.Wall {
			res.Wall = wall
		}
		if i == 0 || cpu < res.CPU {
			res.CPU = cpu
		}
	}
	fast1, fallback1 := c.fastPath()
	res.FastCalls, res.FallbackCalls = fast1-fast0, fallback1-fallback0
	return res, nil
}
