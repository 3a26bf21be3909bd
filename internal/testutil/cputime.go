package testutil

import (
	"runtime"
	"testing"
)

// CPUPerOp makes b report "cpu-ns/op": the CPU time (user and system) of
// the benchmark's own thread per operation. On a machine shared with other
// work, ns/op grows with every time slice other processes take; the thread's
// CPU time does not. Call it just before the loop and the returned stop just
// after; in between the goroutine stays on its thread. Where the platform
// has no per-thread clock, nothing is reported.
func CPUPerOp(b *testing.B) (stop func()) {
	runtime.LockOSThread()
	start, ok := threadCPUNanos()
	return func() {
		end, ok2 := threadCPUNanos()
		runtime.UnlockOSThread()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
