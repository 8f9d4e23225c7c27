package trainer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/semcodec/semcodec/dataset"
)

// copyTree copies a folder of regular files (one level of subfolders deep
// is enough for checkpoints).
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		copyFile(t, path, filepath.Join(to, rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot maps every file under dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			files[path] = string(b)
		}
		return nil
	})
	return files
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Every kind of damage to a checkpoint is reported as a CheckpointError, by
// LoadCheckpoint and by a resumed run, and the run changes no file.
func TestCorruptCheckpoints(t *testing.T) {
	dir, src := trainedRun(t)
	ckName := "ckpt-000000002"
	tests := []struct {
		name   string
		damage func(ck string) error
		want   string
	}{
		{"flipped byte", func(ck string) error {
			p := filepath.Join(ck, "data-000.bin")
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x10
			return os.WriteFile(p, b, 0o644)
		}, "checksum"},
		{"truncated shard", func(ck string) error { return os.Truncate(filepath.Join(ck, "data-000.bin"), 100) }, "truncated"},
		{"missing shard", func(ck string) error { return os.Remove(filepath.Join(ck, "data-000.bin")) }, "data-000.bin"},
		{"garbage metadata", func(ck string) error {
			return os.WriteFile(filepath.Join(ck, checkpointMeta), []byte("{not json"), 0o644)
		}, "checkpoint.json"},
		{"newer version", func(ck string) error {
			p := filepath.Join(ck, checkpointMeta)
			b, _ := os.ReadFile(p)
			return os.WriteFile(p, []byte(strings.Replace(string(b), `"version": 1`, `"version": 9`, 1)), 0o644)
		}, "version 9"},
		{"empty metadata", func(ck string) error { return os.WriteFile(filepath.Join(ck, checkpointMeta), nil, 0o644) }, "checkpoint.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			copyTree(t, dir, out)
			if err := tc.damage(filepath.Join(out, ckName)); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCheckpoint(out)
			var ce *CheckpointError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadCheckpoint: %v, want a CheckpointError mentioning %q", err, tc.want)
			}
			before := snapshot(t, out)
			opts := tinyOptions(t, out, 4)
			opts.Resume = true
			if _, err := Train(context.Background(), src, nil, opts); !errors.As(err, &ce) {
				t.Fatalf("resume: %v, want a CheckpointError", err)
			}
			if !sameSnapshot(before, snapshot(t, out)) {
				t.Error("a failed resume changed the output folder")
			}
		})
	}
}

func TestCheckpointMisuse(t *testing.T) {
	dir, src := trainedRun(t)
	t.Run("fresh run into a used folder", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		copyTree(t, dir, out)
		before := snapshot(t, out)
		_, err := Train(context.Background(), src, nil, tinyOptions(t, out, 4))
		if !errors.Is(err, ErrOutInUse) {
			t.Fatalf("got %v, want ErrOutInUse", err)
		}
		if !sameSnapshot(before, snapshot(t, out)) {
			t.Error("the refused run changed the output folder")
		}
	})
	t.Run("resume without checkpoint", func(t *testing.T) {
		opts := tinyOptions(t, t.TempDir(), 4)
		opts.Resume = true
		if _, err := Train(context.Background(), src, nil, opts); !errors.Is(err, ErrNoCheckpoint) {
			t.Fatalf("got %v, want ErrNoCheckpoint", err)
		}
	})
	t.Run("resume with another network", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		copyTree(t, dir, out)
		opts := tinyOptions(t, out, 4)
		opts.Resume = true
		opts.Config.N++
		var ce *CheckpointError
		if _, err := Train(context.Background(), src, nil, opts); !errors.As(err, &ce) || !strings.Contains(err.Error(), "network differs") {
			t.Fatalf("got %v, want a CheckpointError about the network", err)
		}
	})
	t.Run("already done", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		copyTree(t, dir, out)
		opts := tinyOptions(t, out, 2)
		opts.Resume = true
		res, err := Train(context.Background(), src, nil, opts)
		if err != nil || res.Step != 2 {
			t.Fatalf("got %+v, %v; want step 2 and no error", res, err)
		}
	})
}

// Saving keeps the newest checkpoints only, never rewrites one that exists,
// and clears temporaries of killed runs.
func TestSaveCheckpointRotation(t *testing.T) {
	dir, _ := trainedRun(t)
	ck, err := LoadCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := InferenceContext(ck, testBackend(t))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	stale := filepath.Join(out, tmpPrefix+"123")
	if err := os.Mkdir(stale, 0o755); err != nil {
		t.Fatal(err)
	}
	RemoveStaleTemps(out)
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary folder kept")
	}
	meta := ck.Meta
	for step := int64(1); step <= 3; step++ {
		meta.Step = step
		if _, err := SaveCheckpoint(out, ctx, meta, 4096, 2); err != nil {
			t.Fatal(err)
		}
	}
	list, _ := ListCheckpoints(out)
	if len(list) != 2 || filepath.Base(list[0]) != "ckpt-000000002" || filepath.Base(list[1]) != "ckpt-000000003" {
		t.Fatalf("kept %v", list)
	}
	m, err := ReadCheckpointMeta(list[1])
	if err != nil {
		t.Fatal(err)
	}
	perShard := make([]int, len(m.Shards))
	for _, te := range m.Tensors {
		perShard[te.Shard]++
	}
	for i, sh := range m.Shards {
		// Only a tensor larger than a shard may overflow one, alone.
		if sh.Size > 4096 && perShard[i] != 1 {
			t.Errorf("%s: %d bytes holding %d tensors", sh.File, sh.Size, perShard[i])
		}
	}
	if len(m.Shards) < 2 {
		t.Errorf("4 KiB shards: got %d shard files", len(m.Shards))
	}
	before := snapshot(t, list[1])
	if _, err := SaveCheckpoint(out, ctx, meta, 0, 2); err != nil {
		t.Fatal(err)
	}
	if !sameSnapshot(before, snapshot(t, list[1])) {
		t.Error("an existing checkpoint was rewritten")
	}
	loaded, err := LoadCheckpoint(list[1])
	if err != nil || loaded.Meta.Step != 3 {
		t.Fatalf("reload: %v", err)
	}
}

func TestBadData(t *testing.T) {
	if _, err := OpenData([]string{filepath.Join(t.TempDir(), "missing")}); err == nil {
		t.Error("missing folder accepted")
	}
	dir := camvidSubset(t, 2)
	entries, _ := os.ReadDir(dir)
	if err := os.Remove(filepath.Join(dir+"annot", entries[1].Name())); err != nil {
		t.Fatal(err)
	}
	_, err := OpenData([]string{dir})
	if !errors.Is(err, dataset.ErrMissingLabel) {
		t.Errorf("image without label: %v, want ErrMissingLabel", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pack")
	if err := os.WriteFile(bad, []byte("SMPK\x01\x00\x00\x00garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenData([]string{bad}); err == nil || !strings.Contains(err.Error(), "bad.pack") {
		t.Errorf("corrupt pack: %v", err)
	}
}

// TestDataRepeats: "SPEC*N" enters a set N times; a bad N is refused.
func TestDataRepeats(t *testing.T) {
	a, b := camvidSubset(t, 3), camvidSubset(t, 2)
	src, err := OpenData([]string{a, b + "*4"})
	if err != nil {
		t.Fatal(err)
	}
	if src.Len() != 3+4*2 {
		t.Fatalf("%d items, want 11", src.Len())
	}
	if src.Item(3).Name != src.Item(5).Name || src.Item(4).Name != src.Item(10).Name {
		t.Errorf("repeats differ: %q %q %q %q", src.Item(3).Name, src.Item(5).Name, src.Item(4).Name, src.Item(10).Name)
	}
	for _, spec := range []string{b + "*0", b + "*x", b + "*", b + "*1001"} {
		if _, err := OpenData([]string{spec}); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
}
