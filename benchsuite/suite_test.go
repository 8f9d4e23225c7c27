package benchsuite

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// The names are an interface: scripts and stored results refer to them.
func TestNames(t *testing.T) {
	want := []string{"train_step_hyperprior", "train_step_hyperprior_transposed", "train_step_compact_plain", "train_step_small",
		"forward_hyperprior_n128", "encode", "decode"}
	if got := Names(); !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
}

func TestSelect(t *testing.T) {
	got, err := Select([]string{"decode", "encode"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "encode" || got[1].Name != "decode" {
		t.Errorf("Select(decode, encode) = %v, want encode then decode (suite order)", got)
	}
	if all, _ := Select(nil); len(all) != len(Names()) {
		t.Errorf("Select(nil) gave %d entries, want all %d", len(all), len(Names()))
	}
	_, err = Select([]string{"encode", "nope"})
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "train_step_small") {
		t.Errorf("Select with an unknown name: %v, want an error naming it and listing the valid names", err)
	}
}

// fakeClock advances wall and CPU time by scripted amounts per run.
func fakeClock(walls, cpus []time.Duration, fallbacks []int64) clock {
	var wall time.Time
	var cpu time.Duration
	var wi, ci, fi int
	return clock{
		// Each run reads the clocks twice; every second read advances.
		wall: func() time.Time {
			if wi%2 == 1 {
				wall = wall.Add(walls[wi/2])
			}
			wi++
			return wall
		},
		cpu: func() time.Duration {
			if ci%2 == 1 {
				cpu += cpus[ci/2]
			}
			ci++
			return cpu
		},
		fastPath: func() (int64, int64) {
			f := fallbacks[fi]
			fi++
			return 10 * f, f
		},
	}
}

// Wall and CPU minima are taken separately (here from different runs), and
// the fast-path counters are the difference over all timed runs.
func TestMeasureMinima(t *testing.T) {
	walls := []time.Duration{3 * time.Second, 1 * time.Second, 2 * time.Second}
	cpus := []time.Duration{5 * time.Second, 4 * time.Second, 2 * time.Second}
	calls := 0
	res, err := measure(func() error { calls++; return nil }, 3, fakeClock(walls, cpus, []int64{7, 12}))
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 || res.Runs != 3 {
		t.Errorf("%d calls, Runs %d; want 3", calls, res.Runs)
	}
	if res.Wall != time.Second || res.CPU != 2*time.Second {
		t.Errorf("wall %v, cpu %v; want 1s and 2s", res.Wall, res.CPU)
	}
	if res.FallbackCalls != 5 || res.FastCalls != 50 {
		t.Errorf("fallback %d, fast %d; want 5 and 50", res.FallbackCalls, res.FastCalls)
	}
}

func TestMeasureStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	_, err := measure(func() error {
		calls++
		if calls == 2 {
			return boom
		}
		return nil
	}, 5, systemClock)
	if !errors.Is(err, boom) || calls != 2 {
		t.Errorf("measure: %v after %d calls, want boom after 2", err, calls)
	}
}

// Run warms up once untimed, then times runs, and releases what setup made.
func TestRunFakeEntry(t *testing.T) {
	calls, released := 0, false
	e := Entry{Name: "fake", Note: "static", setup: func() (*prepared, error) {
		return &prepared{op: func() error { calls++; return nil }, release: func() { released = true }, note: "learnt"}, nil
	}}
	res, err := Run(e, 2)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 3 || !released {
		t.Errorf("%d calls (want 3: warm-up and 2 runs), released %v", calls, released)
	}
	if res.Name != "fake" || res.Note != "static; learnt" || res.Runs != 2 || res.Wall < 0 || res.CPU < 0 {
		t.Errorf("result %+v", res)
	}
	if _, err := Run(e, 0); err == nil {
		t.Error("Run with 0 runs succeeded")
	}
	setupErr := errors.New("no model")
	_, err = Run(Entry{Name: "broken", setup: func() (*prepared, error) { return nil, setupErr }}, 1)
	if !errors.Is(err, setupErr) || !strings.Contains(err.Error(), "broken") {
		t.Errorf("failing setup: %v", err)
	}
}

func TestSyntheticInputsDeterministic(t *testing.T) {
	a, b := SyntheticImage(64, 32), SyntheticImage(64, 32)
	if !slices.Equal(a.Pix, b.Pix) {
		t.Error("SyntheticImage differs between calls")
	}
	ba, bb := syntheticBatch(2, 64, 3), syntheticBatch(2, 64, 3)
	if !slices.Equal(ba.Images, bb.Images) || !slices.Equal(ba.Labels, bb.Labels) {
		t.Error("syntheticBatch differs between calls")
	}
	seen := map[int32]bool{}
	for _, l := range ba.Labels {
		if l < -1 || l >= 3 {
			t.Fatalf("label %d outside -1..2", l)
		}
		seen[l] = true
	}
	if len(seen) != 4 {
		t.Errorf("labels seen %v: want -1 (ignored) and every class", seen)
	}
}
