package loadgen

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CPU is a snapshot of where the machine's processor time has gone, in
// seconds since boot: every core's busy and total time (/proc/stat), the
// PostgreSQL server's processes and this process (the load generator).
type CPU struct {
	Busy, Total, Postgres, Self float64
}

// ReadCPU takes the snapshot. Fields it cannot read are left zero.
func ReadCPU() CPU {
	var c CPU
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, f := range strings.Fields(line)[1:] {
			v, _ := strconv.ParseFloat(f, 64)
			c.Total += v / 100
			if i != 3 && i != 4 { // idle, iowait
				c.Busy += v / 100
			}
		}
	}
	c.Self = ProcessCPU("/proc/self/stat")
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte("(postgres)")) {
			c.Postgres += ProcessCPU(p)
		}
	}
	return c
}

// ProcessCPU is the user and system time of the process whose
// /proc/PID/stat is at path, in seconds; 0 when it cannot be read.
func ProcessCPU(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100 // clock ticks of 1/100 s (CLK_TCK on Linux)
}

// Since is the cores each part kept busy, on average, from an earlier
// snapshot to c: the whole machine's busy cores and its core count, then
// PostgreSQL's and this process's.
func (c CPU) Since(before CPU, seconds float64) (busy, cores, postgres, self float64) {
	cores = (c.Total - before.Total) / seconds
	return (c.Busy - before.Busy) / seconds, cores, (c.Postgres - before.Postgres) / seconds, (c.Self - before.Self) / seconds
}
