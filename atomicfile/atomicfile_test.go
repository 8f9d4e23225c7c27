package atomicfile

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.bin")
	if err := WriteBytes(path, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := WriteBytes(path, []byte("two")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "two" {
		t.Fatalf("got %q, %v; want \"two\"", got, err)
	}
}

func TestWriteFileFailureKeepsOldAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.bin")
	if err := WriteBytes(path, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFile(path, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	got, _ := os.ReadFile(path)
	if string(got) != "old" {
		t.Fatalf("existing file changed to %q", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("folder holds %d entries, want only the original file", len(entries))
	}
}

func TestWriteFileMissingFolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "out.bin")
	if err := WriteBytes(path, []byte("x")); err == nil {
		t.Fatal("want an error for a missing folder")
	}
}

// leftovers lists the entries of dir other than the given names.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
outer:
	for _, e := range entries {
		for _, k := range keep {
			if e.Name() == k {
				continue outer
			}
		}
		extra = append(extra, e.Name())
	}
	return extra
}

func bytesOutput(path, data string) Output {
	return Output{Path: path, Write: func(w io.Writer) error { _, err := io.WriteString(w, data); return err }}
}

func TestWriteAllWritesEverything(t *testing.T) {
	dir := t.TempDir()
	var stream bytes.Buffer
	err := WriteAll(bytesOutput(filepath.Join(dir, "a"), "A"),
		Output{Path: "-", Stream: &stream, Write: func(w io.Writer) error { _, err := io.WriteString(w, "S"); return err }},
		bytesOutput(filepath.Join(dir, "b"), "B"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": "A", "b": "B"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
		fi, _ := os.Stat(filepath.Join(dir, name))
		if fi.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v, want 0644", name, fi.Mode().Perm())
		}
	}
	if stream.String() != "S" {
		t.Errorf("stream got %q", stream.String())
	}
	if extra := leftovers(t, dir, "a", "b"); extra != nil {
		t.Errorf("left behind: %v", extra)
	}
}

// A failing output leaves no other output written, not even the stream.
func TestWriteAllNoneOnWriteFailure(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	var stream bytes.Buffer
	err := WriteAll(bytesOutput(filepath.Join(dir, "new"), "new"), bytesOutput(old, "replaced"),
		Output{Path: "-", Stream: &stream, Write: func(w io.Writer) error { _, err := io.WriteString(w, "S"); return err }},
		Output{Path: filepath.Join(dir, "bad"), Write: func(w io.Writer) error {
			w.Write([]byte("partial"))
			return boom
		}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if got, _ := os.ReadFile(old); string(got) != "old" {
		t.Errorf("existing file changed to %q", got)
	}
	if stream.Len() != 0 {
		t.Errorf("stream received %q after a failure", stream.String())
	}
	if extra := leftovers(t, dir, "old"); extra != nil {
		t.Errorf("left behind: %v", extra)
	}
}

// A rename that fails after others succeeded takes those back: new files are
// removed, replaced files get their old content again.
func TestWriteAllUndoesRenamesOnFailure(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	blocker := filepath.Join(dir, "blocker")
	if err := os.Mkdir(blocker, 0o755); err != nil { // a folder: renaming a file over it fails
		t.Fatal(err)
	}
	err := WriteAll(bytesOutput(filepath.Join(dir, "new"), "new"), bytesOutput(old, "replaced"), bytesOutput(blocker, "x"))
	if err == nil {
		t.Fatal("want an error renaming over a folder")
	}
	if !strings.Contains(err.Error(), blocker) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("error %q should name %s and no temporary file", err, blocker)
	}
	if got, _ := os.ReadFile(old); string(got) != "old" {
		t.Errorf("replaced file not restored: %q", got)
	}
	if extra := leftovers(t, dir, "old", "blocker"); extra != nil {
		t.Errorf("left behind: %v", extra)
	}
}

func TestWriteAllSamePathTwice(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	if err := WriteAll(bytesOutput(p, "1"), bytesOutput(filepath.Join(dir, ".", "a"), "2")); err == nil {
		t.Fatal("want an error for one path given twice")
	}
	if extra := leftovers(t, dir); extra != nil {
		t.Errorf("left behind: %v", extra)
	}
}

func TestErrorsNameDestinationNotTemporary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "out.bin")
	err := WriteBytes(path, []byte("x"))
	if err == nil || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("error %q should name %s and no temporary file", err, path)
	}
	// Write errors of the temporary file come back under the destination.
	f, err := os.CreateTemp(t.TempDir(), ".out.tmp-*")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = namedWriter{f, "dest.png"}.Write([]byte("x"))
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Path != "dest.png" || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("write error %q should name dest.png only", err)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Check(filepath.Join(dir, "new.png")); err != nil {
		t.Errorf("writable folder: %v", err)
	}
	if err := Check(file); err != nil {
		t.Errorf("existing file: %v", err)
	}
	for _, bad := range []string{
		filepath.Join(dir, "missing", "x.png"), // no such folder
		filepath.Join(file, "x.png"),           // folder is a file
		dir,                                    // a folder
	} {
		err := Check(bad)
		if err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("Check(%s) = %v, want an error naming it", bad, err)
		}
	}
	if err := CheckDir(file); err == nil {
		t.Error("CheckDir accepted a file")
	}
	if extra := leftovers(t, dir, "file"); extra != nil {
		t.Errorf("Check left behind %v", extra)
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: skipping the read-only folder check")
		return
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := Check(filepath.Join(ro, "x.png")); err == nil || !strings.Contains(err.Error(), "not writable") {
		t.Errorf("read-only folder: %v", err)
	}
}
