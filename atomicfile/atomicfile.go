// Package atomicfile writes files so that a failure never leaves a partial
// output behind: data goes to a temporary file in the destination folder, which
// is synced and then renamed over the destination.
package atomicfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile calls write with a temporary file in path's folder and, if write
// succeeds, renames it to path. On any error the temporary file is removed and
// an existing file at path is left untouched.
func WriteFile(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("semcodec: create %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("semcodec: write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("semcodec: write %s: %w", path, err)
	}
	// CreateTemp makes 0600 files; outputs should have ordinary permissions.
	if err = os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("semcodec: write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("semcodec: write %s: %w", path, err)
	}
	return nil
}

// WriteBytes atomically writes data to path.
func WriteBytes(path string, data []byte) error {
	return WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}
