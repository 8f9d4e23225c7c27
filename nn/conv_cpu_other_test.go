//go:build !unix

package nn

import "time"

// processCPUTime is unavailable here; the per-CPU-second metric is skipped.
func processCPUTime() time.Duration { return 0 }
