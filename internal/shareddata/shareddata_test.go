package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootFindsSharedBesideModule(t *testing.T) {
	root := Root()
	if root == "" {
		t.Skip("no ../shared here")
	}
	if _, err := os.Stat(filepath.Join(root, "data")); err != nil {
		t.Fatalf("Root() = %s has no data folder: %v", root, err)
	}
}

func TestOverride(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SEMCODEC_SHARED", dir)
	if got := Root(); got != dir {
		t.Fatalf("Root() = %q, want %q", got, dir)
	}
	t.Setenv("SEMCODEC_SHARED", filepath.Join(dir, "missing"))
	if got := Root(); got != "" {
		t.Fatalf("Root() = %q for a missing override, want empty", got)
	}
}
