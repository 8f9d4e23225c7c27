package trainer

import (
	"encoding/json"
	"testing"
)

// A Stepper fed the Batcher's batches logs what Train logs: they run one
// training graph.
func TestStepperMatchesTrain(t *testing.T) {
	src, err := OpenData([]string{camvidSubset(t, 3)})
	if err != nil {
		t.Fatal(err)
	}
	opts := tinyOptions(t, t.TempDir(), 2)
	lines, err := runLog(t, src, opts, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, batcher := newStepperOn(t, 3, opts)
	for i, want := range lines {
		b, err := batcher.Batch(i)
		if err != nil {
			t.Fatal(err)
		}
		log, err := st.Step(int64(i+1), b)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(log)
		if string(got) != want {
			t.Errorf("step %d: stepper logs %s, Train logged %s", i+1, got, want)
		}
	}
}

func TestNewStepperRejectsBadOptions(t *testing.T) {
	opts := tinyOptions(t, "", 1)
	bad := opts
	bad.Batch = -1
	if _, err := NewStepper(bad); err == nil {
		t.Error("batch -1 accepted")
	}
	bad = opts
	bad.Backend = nil
	if _, err := NewStepper(bad); err == nil {
		t.Error("no backend accepted")
	}
	bad = opts
	bad.Config.N = 0
	if _, err := NewStepper(bad); err == nil {
		t.Error("invalid config accepted")
	}
}
