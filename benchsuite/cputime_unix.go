//go:build unix

package benchsuite

import (
	"syscall"
	"time"
)

// processCPUTime is the user+system CPU time of this process: reported next
// to wall time because the machines the suite runs on are shared, and the
// ratio shows how well a step uses the cores.
func processCPUTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
