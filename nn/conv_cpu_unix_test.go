//go:build unix

package nn

import (
	"syscall"
	"time"
)

// processCPUTime is the CPU time used by this process so far. Benchmarks
// report work per CPU-second too, because wall time on a shared 2-core
// machine mostly measures the neighbours.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
