package testutil

import (
	"os"
	"testing"
)

// OpenFDs counts the process's open file descriptors (skips without /proc).
func OpenFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}
