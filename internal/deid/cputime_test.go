//go:build unix

package deid

import "syscall"

// cpuSeconds is the CPU time this process has used (all threads, GC
// included): benchmarks report throughput per CPU-second as well as per
// wall-clock second, because the machine they run on is shared.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
