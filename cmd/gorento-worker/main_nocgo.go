//go:build !cgo

package main

import (
	"fmt"
	"os"
)

// Without cgo there is no GStreamer: say so instead of failing to build.
func main() {
	fmt.Fprintln(os.Stderr, "gorento-worker was built without cgo: rebuild it with CGO_ENABLED=1 "+
		"and the Debian packages libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev")
	os.Exit(1)
}
