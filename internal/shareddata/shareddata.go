// Package shareddata locates the read-only ../shared folder that sits beside
// the repository checkout (data sets, reference vectors, anchors), so tests can
// use it when present and skip cleanly when it is not.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the absolute path of the shared folder beside the module root,
// or "" when there is none. SEMCODEC_SHARED overrides the search.
func Root() string {
	if dir := os.Getenv("SEMCODEC_SHARED"); dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return dir
		}
		return ""
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(filepath.Dir(dir), "shared")
			if st, err := os.Stat(shared); err == nil && st.IsDir() {
				return shared
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns Root joined with elem, skipping the test when the shared folder
// or that path is absent.
func Path(tb testing.TB, elem ...string) string {
	tb.Helper()
	root := Root()
	if root == "" {
		tb.Skip("../shared is not present beside the checkout; skipping")
	}
	p := filepath.Join(append([]string{root}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("%s is not present; skipping", p)
	}
	return p
}
