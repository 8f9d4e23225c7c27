// Package atomicfile writes files so that a failure never leaves a partial
// output behind: data goes to a temporary file in the destination folder, which
// is synced and then renamed over the destination. WriteAll does the same for
// several files at once, all or none; Check tells beforehand whether a path
// can be written this way.
//
// Errors name the destination path, never the temporary file.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFile calls write with a temporary file in path's folder and, if write
// succeeds, renames it to path. On any error the temporary file is removed and
// an existing file at path is left untouched. Errors from write are returned
// as they are; errors of the temporary file's own writes reach write as
// *fs.PathError values naming path.
func WriteFile(path string, write func(w io.Writer) error) error {
	return WriteAll(Output{Path: path, Write: write})
}

// WriteBytes atomically writes data to path.
func WriteBytes(path string, data []byte) error {
	return WriteFile(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Output is one destination of WriteAll.
type Output struct {
	// Path is the file to write. When Stream is set it only names the
	// stream in error messages.
	Path string
	// Stream, when not nil, receives the content instead of a file (standard
	// output, a pipe). A stream cannot be staged: its content is produced
	// into memory along with the files and copied to Stream once every
	// output has been produced, just before the files are renamed into
	// place.
	Stream io.Writer
	// Write produces the content. Its errors are returned as they are.
	Write func(w io.Writer) error
}

// WriteAll writes every output all or none. Each file output is produced into
// a temporary file in its destination folder (synced, closed, mode 0644);
// stream outputs are produced into memory. Only when all of them succeeded
// are the streams written and the temporary files renamed over their
// destinations. On any failure the temporary files are removed and, if a
// rename fails after others succeeded, those are undone: a destination that
// did not exist before is removed again, one that did gets its old content
// back (kept through a hard link while the renames run; on a file system
// without hard links the new content stays). A failure after a stream was
// written cannot take the stream's bytes back.
//
// Two outputs with the same path are an error.
func WriteAll(outs ...Output) (err error) {
	seen := make(map[string]string, len(outs))
	for _, o := range outs {
		if o.Stream != nil {
			continue
		}
		abs, err := filepath.Abs(o.Path)
		if err != nil {
			return fmt.Errorf("atomicfile: write %s: %w", o.Path, err)
		}
		if prev, ok := seen[abs]; ok {
			return fmt.Errorf("atomicfile: write %s: same file as %s", o.Path, prev)
		}
		seen[abs] = o.Path
	}

	staged := make([]*stagedFile, 0, len(outs))
	defer func() {
		if err != nil {
			for _, s := range staged {
				s.discard()
			}
		}
	}()
	streams := make([]*bytes.Buffer, len(outs))
	for i, o := range outs {
		if o.Stream != nil {
			streams[i] = new(bytes.Buffer)
			if err := o.Write(streams[i]); err != nil {
				return err
			}
			continue
		}
		s, err := stage(o)
		if s != nil {
			staged = append(staged, s)
		}
		if err != nil {
			return err
		}
	}
	for i, o := range outs {
		if o.Stream == nil {
			continue
		}
		if _, err := streams[i].WriteTo(o.Stream); err != nil {
			return fmt.Errorf("atomicfile: write %s: %w", o.Path, innerError(err))
		}
	}
	return commit(staged)
}

// stagedFile is an output written to its temporary file.
type stagedFile struct {
	path    string // destination
	tmp     string // temporary file; "" once renamed
	backup  string // hard link to the destination's old content, or ""
	existed bool   // the destination existed before the rename
}

// stage writes o to a temporary file next to o.Path. The returned stagedFile
// (if not nil) must be discarded on failure.
func stage(o Output) (*stagedFile, error) {
	dir, base := filepath.Split(o.Path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: create %s: %w", o.Path, innerError(err))
	}
	s := &stagedFile{path: o.Path, tmp: f.Name()}
	if err := o.Write(namedWriter{f, o.Path}); err != nil {
		f.Close()
		return s, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return s, fmt.Errorf("atomicfile: write %s: %w", o.Path, innerError(err))
	}
	if err := f.Close(); err != nil {
		return s, fmt.Errorf("atomicfile: write %s: %w", o.Path, innerError(err))
	}
	// CreateTemp makes 0600 files; outputs should have ordinary permissions.
	if err := os.Chmod(s.tmp, 0o644); err != nil {
		return s, fmt.Errorf("atomicfile: write %s: %w", o.Path, innerError(err))
	}
	return s, nil
}

// commit renames every staged file into place, undoing the renames already
// done if one fails.
func commit(staged []*stagedFile) error {
	for _, s := range staged {
		if fi, err := os.Lstat(s.path); err == nil {
			s.existed = true
			if fi.Mode().IsRegular() && os.Link(s.path, s.tmp+".old") == nil {
				s.backup = s.tmp + ".old"
			}
		}
	}
	for i, s := range staged {
		if err := os.Rename(s.tmp, s.path); err != nil {
			for _, done := range staged[:i] {
				done.undo()
			}
			return fmt.Errorf("atomicfile: write %s: %w", s.path, innerError(err))
		}
		s.tmp = ""
	}
	for _, s := range staged {
		if s.backup != "" {
			os.Remove(s.backup)
			s.backup = ""
		}
	}
	return nil
}

// undo takes back a rename done by commit.
func (s *stagedFile) undo() {
	switch {
	case s.backup != "":
		if os.Rename(s.backup, s.path) == nil {
			s.backup = ""
		}
	case !s.existed:
		os.Remove(s.path)
	}
}

// discard removes what is left of a staged file after a failure.
func (s *stagedFile) discard() {
	if s.tmp != "" {
		os.Remove(s.tmp)
	}
	if s.backup != "" {
		os.Remove(s.backup)
	}
}

// namedWriter writes to a temporary file but reports errors under the
// destination path.
type namedWriter struct {
	f    *os.File
	path string
}

func (w namedWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		err = &fs.PathError{Op: "write", Path: w.path, Err: innerError(err)}
	}
	return n, err
}

// innerError strips the file names an *fs.PathError or *os.LinkError carries
// (they may be temporary names), keeping the cause.
func innerError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// Check reports whether path can be written by WriteFile or WriteAll before
// any work is done: its folder must exist and accept new files (tested by
// creating and removing a temporary file there), and an existing path must be
// a regular file, not a folder or a device. The error names path.
func Check(path string) error {
	if fi, err := os.Stat(path); err == nil {
		switch {
		case fi.IsDir():
			return fmt.Errorf("atomicfile: cannot write %s: it is a folder", path)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("atomicfile: cannot write %s: not a regular file", path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("atomicfile: cannot write %s: %w", path, innerError(err))
	}
	if err := checkDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("atomicfile: cannot write %s: %w", path, err)
	}
	return nil
}

// CheckDir reports whether new files can be created in the folder dir: it
// must exist, be a folder and be writable (tested by creating and removing a
// temporary file there). The error names dir.
func CheckDir(dir string) error {
	if err := checkDir(dir); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return nil
}

func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("folder %s does not exist", dir)
	case err != nil:
		return fmt.Errorf("folder %s: %w", dir, innerError(err))
	case !fi.IsDir():
		return fmt.Errorf("%s is not a folder", dir)
	}
	f, err := os.CreateTemp(dir, ".semcodec-check-*")
	if err != nil {
		return fmt.Errorf("folder %s is not writable: %w", dir, innerError(err))
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}
