//go:build !unix

package benchsuite

import "time"

// processCPUTime is unknown without getrusage: 0, so CPU columns read 0.
func processCPUTime() time.Duration { return 0 }
