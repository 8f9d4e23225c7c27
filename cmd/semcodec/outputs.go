package main

// The one road by which compress, decompress and roundtrip read their input
// and write their outputs: "-" for standard input and output, checks before
// any work, and all outputs written all or none (package atomicfile).

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/semcodec/semcodec/atomicfile"
	"github.com/semcodec/semcodec/bitstream"
	"github.com/semcodec/semcodec/codec"
	"github.com/semcodec/semcodec/imageio"
)

// stdio as a path means standard input for an input, standard output for an
// output.
const stdio = "-"

// output is one file a command writes.
type output struct {
	flag  string // the flag that named it ("-o", "--seg"), or "" for a derived name
	path  string // stdio for standard output
	write func(w io.Writer) error
}

// String names the output for messages, by the user's path.
func (o output) String() string {
	p := o.path
	if p == stdio {
		p = "- (standard output)"
	}
	if o.flag == "" {
		return p
	}
	return o.flag + " " + p
}

// input is a file a command reads; path "" means none was given.
type input struct{ what, path string }

// beforeWrite, when not nil, runs after the checks and the work, just before
// the outputs are written. Tests use it to make a write fail.
var beforeWrite func() error

// checkOutputs runs before any work: see checkDistinct and checkWritable.
func checkOutputs(cmd *cobra.Command, ins []input, outs []output) error {
	if err := checkDistinct(cmd, ins, outs); err != nil {
		return err
	}
	return checkWritable(outs)
}

// checkDistinct refuses an output that is one of the inputs or another
// output (same cleaned absolute path, or the same existing file), more than
// one output on standard output, and binary data for a terminal.
func checkDistinct(cmd *cobra.Command, ins []input, outs []output) error {
	var files, std []output
	for _, o := range outs {
		if o.path == stdio {
			std = append(std, o)
		} else {
			files = append(files, o)
		}
	}
	if len(std) > 1 {
		return fmt.Errorf("%s and %s both name standard output; only one output can go there", std[0].flag, std[1].flag)
	}
	if len(std) == 1 {
		if f, ok := cmd.OutOrStdout().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			return fmt.Errorf("%s: refusing to write binary data to a terminal; redirect standard output", std[0])
		}
	}
	for i, o := range files {
		for _, in := range ins {
			if in.path != "" && in.path != stdio && samePath(o.path, in.path) {
				return fmt.Errorf("%s is the same file as %s %s; refusing to overwrite it", o, in.what, in.path)
			}
		}
		for _, prev := range files[:i] {
			if samePath(o.path, prev.path) {
				return fmt.Errorf("%s and %s name the same file", prev, o)
			}
		}
	}
	return nil
}

// samePath reports whether a and b are one file: the same cleaned absolute
// path, or, when both exist, the same file (links).
func samePath(a, b string) bool {
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	if errA == nil && errB == nil && aa == bb {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// checkWritable checks that every file output's folder exists and is
// writable and that no output is a folder or a device.
func checkWritable(outs []output) error {
	for _, o := range outs {
		if o.path == stdio {
			continue
		}
		if err := atomicfile.Check(o.path); err != nil {
			return err
		}
	}
	return nil
}

// writeOutputs writes every output, all or none (atomicfile.WriteAll);
// standard output goes to the command's output stream.
func writeOutputs(cmd *cobra.Command, outs []output) error {
	if beforeWrite != nil {
		if err := beforeWrite(); err != nil {
			return err
		}
	}
	all := make([]atomicfile.Output, len(outs))
	for i, o := range outs {
		all[i] = atomicfile.Output{Path: o.path, Write: o.write}
		if o.path == stdio {
			all[i].Path = "standard output"
			all[i].Stream = cmd.OutOrStdout()
		}
	}
	if err := atomicfile.WriteAll(all...); err != nil {
		return err
	}
	return nil
}

// pngOutput encodes img as PNG.
func pngOutput(img image.Image) func(io.Writer) error {
	return func(w io.Writer) error { return imageio.EncodePNG(w, img) }
}

// bytesOutput writes data.
func bytesOutput(data []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}
}

// openInput opens path, or standard input for stdio.
func openInput(cmd *cobra.Command, path string) (io.ReadCloser, error) {
	if path == stdio {
		return io.NopCloser(cmd.InOrStdin()), nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, badInput(err)
	}
	return f, nil
}

// inputName names an input path for messages.
func inputName(path string) string {
	if path == stdio {
		return "standard input"
	}
	return path
}

// readImageInput reads the image to compress from path or standard input. A
// semcodec bitstream is refused by its magic bytes before any image decoder
// sees it.
func readImageInput(cmd *cobra.Command, path string) (*image.RGBA, error) {
	rc, err := openInput(cmd, path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	r := bufio.NewReader(rc)
	if magic, _ := r.Peek(len(bitstream.Magic)); string(magic) == bitstream.Magic {
		return nil, badInput(fmt.Errorf("%s is already a semcodec bitstream (.smc), not an image: use 'semcodec decompress' to decode it", inputName(path)))
	}
	if path != stdio {
		rc.Close()
		img, err := imageio.ReadImage(path) // its errors name path
		if err != nil {
			return nil, badInput(err)
		}
		return img, nil
	}
	img, err := imageio.DecodeImage(r)
	if err != nil {
		return nil, badInput(fmt.Errorf("read standard input: %s", err))
	}
	return img, nil
}

// codecHeapLimit is the soft heap limit of the coding commands. Their
// whole-image buffers are freed in bulk, and by default Go lets the heap
// grow to twice the live data before collecting: at 16384x4096 that alone
// is about a GiB. Near the limit the collector runs more often; above it
// (a live set larger than the limit, e.g. 16384²) it runs at a capped share
// of the CPU, so work still finishes.
const codecHeapLimit = 896 << 20

// limitHeap applies codecHeapLimit unless $GOMEMLIMIT sets one.
func limitHeap() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(codecHeapLimit)
	}
}

// checkQuality refuses a -q given explicitly that selects no model: below 1,
// or (without --model) a quality the embedded models lack: outside a
// variable-rate default's 1..Levels, or not a level of a fixed-rate family.
func checkQuality(cmd *cobra.Command, q float64, withModel bool) error {
	if !cmd.Flags().Changed("quality") {
		return nil
	}
	if !(q >= 1) {
		return fmt.Errorf("-q %g: qualities start at 1 (leave -q out for the default, %d)", q, codec.DefaultQuality)
	}
	if withModel {
		return nil
	}
	if m, err := codec.DefaultModel(0); err == nil && m.Levels() > 0 {
		if q > float64(m.Levels()) {
			return fmt.Errorf("-q %g: the embedded model has qualities 1 to %d", q, m.Levels())
		}
		return nil
	}
	if qs := codec.DefaultQualities(); len(qs) > 0 && (q != math.Trunc(q) || !slices.Contains(qs, int(q))) {
		names := make([]string, len(qs))
		for i, v := range qs {
			names[i] = fmt.Sprint(v)
		}
		return fmt.Errorf("-q %g: the embedded models have qualities %s", q, strings.Join(names, ", "))
	}
	return nil
}

// checkModelQuality refuses a -q that --model cannot code at: outside a
// variable-rate model's 1..Levels, or another quality than a fixed-rate one's.
func checkModelQuality(q float64, modelPath string, m *codec.Model) error {
	switch {
	case q == 0:
	case m.Levels() > 0 && q > float64(m.Levels()):
		return fmt.Errorf("-q %g: --model %s has qualities 1 to %d", q, modelPath, m.Levels())
	case m.Levels() == 0 && q != float64(m.Quality()):
		return fmt.Errorf("-q %g conflicts with --model %s, which is quality %d", q, modelPath, m.Quality())
	}
	return nil
}

// mkdirAll creates dir and its missing parents and returns the folders it
// created, outermost first, for removeCreated.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
		missing = append([]string{d}, missing...)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		removeCreated(missing)
		return nil, err
	}
	return missing, nil
}

// removeCreated removes the folders mkdirAll created, innermost first, as
// long as they are empty.
func removeCreated(dirs []string) {
	for i := len(dirs) - 1; i >= 0; i-- {
		if os.Remove(dirs[i]) != nil {
			return
		}
	}
}
