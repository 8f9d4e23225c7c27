//go:build unix

package model

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of this process. Benchmarks report it
// next to wall time because the machine they run on is shared.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
