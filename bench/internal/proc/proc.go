// Package proc reads what the benchmark measures of a process from /proc:
// CPU time (utime+stime of all threads), resident memory, threads and open
// file descriptors.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is USER_HZ, 100 on Linux.
const clockTick = 100

// CPU returns the process's user+system CPU time (all threads).
func CPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// the command name may hold spaces: fields start after the last ')'
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("proc: bad stat of %d", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// fields after ')' start at stat field 3 (state); utime is 14, stime 15
	if len(f) < 13 {
		return 0, fmt.Errorf("proc: short stat of %d", pid)
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+s) * time.Second / clockTick, nil
}

// Status holds the memory and thread figures of /proc/<pid>/status.
type Status struct {
	RSS     int64 // bytes
	RSSAnon int64 // bytes of RSS that are anonymous memory (heap, stacks); the rest is mostly the binary's pages
	Threads int
	FDs     int
}

// Read returns the process's RSS, thread count and open descriptors.
func Read(pid int) (Status, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Status{}, err
	}
	var st Status
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(fs[0], 10, 64)
		switch k {
		case "VmRSS":
			st.RSS = n * 1024
		case "RssAnon":
			st.RSSAnon = n * 1024
		case "Threads":
			st.Threads = int(n)
		}
	}
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid)); err == nil {
		st.FDs = len(ents)
	}
	return st, nil
}
