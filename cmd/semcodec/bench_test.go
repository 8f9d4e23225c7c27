package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchRejectsBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string // in stderr
	}{
		{[]string{"bench", "--only", "encode,nope"}, []string{`"nope"`, "train_step_hyperprior", "decode"}},
		{[]string{"bench", "--runs", "0"}, []string{"--runs 0"}},
		{[]string{"bench", "--runs", "-2", "--only", "encode"}, []string{"--runs -2"}},
	} {
		code, stdout, stderr := runTrainCLI(tc.args...)
		if code != exitUsage || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q; want exit %d and no output", tc.args, code, stdout, exitUsage)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) || !strings.HasPrefix(stderr, "semcodec: ") {
				t.Errorf("%v: stderr %q lacks %q", tc.args, stderr, w)
			}
		}
	}
}

// One cheap entry end to end: the JSON carries the required keys.
func TestBenchJSON(t *testing.T) {
	code, stdout, stderr := runTrainCLI("bench", "--json", "--runs", "1", "--only", "train_step_compact_plain")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Matmul   *string `json:"matmul"`
		FastPath *struct {
			On     bool   `json:"on"`
			Reason string `json:"reason"`
		} `json:"fast_path"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if rep.Matmul == nil || *rep.Matmul == "" || rep.FastPath == nil || rep.FastPath.Reason == "" {
		t.Errorf("missing matmul or fast_path: %s", stdout)
	}
	if len(rep.Results) != 1 || rep.Results[0]["name"] != "train_step_compact_plain" {
		t.Fatalf("results %v", rep.Results)
	}
	for _, k := range []string{"wall_s", "cpu_s", "fallback_calls"} {
		if v, ok := rep.Results[0][k].(float64); !ok || v < 0 {
			t.Errorf("result %s = %v, want a non-negative number", k, rep.Results[0][k])
		}
	}
}

func TestEnv(t *testing.T) {
	code, stdout, stderr := runTrainCLI("env", "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var env envInfo
	if err := json.Unmarshal([]byte(stdout), &env); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if env.Matmul == "" || env.GOMAXPROCS < 1 || env.Go == "" || env.Backend == "" {
		t.Errorf("env %+v", env)
	}
	code, stdout, _ = runTrainCLI("env")
	if code != exitOK || !strings.Contains(stdout, "matmul") || !strings.Contains(stdout, "fast path") {
		t.Errorf("env: exit %d, %q", code, stdout)
	}
}
