//go:build unix

// Package cputime reads this process's CPU time, which benchmarks report
// next to wall time: on a shared machine wall time mostly measures the
// neighbours, and the ratio shows how well work uses the cores.
package cputime

import (
	"syscall"
	"time"
)

// Process is the user+system CPU time of this process so far.
func Process() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
