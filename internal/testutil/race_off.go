//go:build !race

package testutil

// Race reports whether the race detector is on (it slows goroutines 5–10×).
const Race = false
