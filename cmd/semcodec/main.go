// Command semcodec compresses images into one bitstream that carries both the
// picture and its semantic segmentation, and evaluates the result.
//
// Each subcommand lives in its own file and registers itself with register,
// so that adding one never touches this file.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	_ "github.com/semcodec/semcodec/zoo" // the shipped models, as the codec's defaults
)

// Exit codes, shared by every subcommand.
const (
	exitOK       = 0
	exitUsage    = 1 // bad flags or arguments, or an internal failure
	exitBadInput = 2 // unreadable, corrupt or mismatched input data
)

// subcommands is filled by init functions in the subcommand files.
var subcommands []func() *cobra.Command

func register(newCmd func() *cobra.Command) { subcommands = append(subcommands, newCmd) }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run executes the CLI with the given arguments and returns the exit code; tests
// call it directly.
func run(args []string, stdout, stderr io.Writer) int { return runIO(args, os.Stdin, stdout, stderr) }

// runIO is run with the standard input ("-" as an input path) given too.
func runIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	// Packages prefix their own errors ("codec: ..."); the command names itself.
	msg := "semcodec: " + err.Error()
	fmt.Fprintln(stderr, msg)
	var in *inputError
	if errors.As(err, &in) {
		return exitBadInput
	}
	return exitUsage
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "semcodec",
		Short: "Learned image codec whose one bitstream serves people and machines",
		Long: `semcodec compresses an image into one entropy-coded bitstream from which a
decoder rebuilds both the picture and its per-pixel semantic segmentation.

Exit codes: 0 success, 1 usage error, 2 bad input.`,
		SilenceUsage:  true, // errors are reported once, by run
		SilenceErrors: true,
	}
	for _, newCmd := range subcommands {
		root.AddCommand(newCmd())
	}
	return root
}

// inputError marks an error caused by bad input data (exit code 2) rather than
// by bad usage.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// badInput wraps err so that run exits with exitBadInput. nil stays nil.
func badInput(err error) error {
	if err == nil {
		return nil
	}
	return &inputError{err}
}
