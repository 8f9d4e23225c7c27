//go:build xla

package backend

// Built with -tags xla, the binary can also run on XLA/PJRT (GPU), chosen
// with GOMLX_BACKEND="xla:/abs/path/to/pjrt_plugin.so". XLA is left out of
// the default build because go-xla needs cgo and a PJRT plugin at run time.

import "github.com/gomlx/gomlx/backends/xla"

func init() {
	// Never download plugins: the plugin path must be given explicitly.
	xla.EnableAutoInstall(false)
}
