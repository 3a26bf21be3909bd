package e2e

import (
	"strings"
	"testing"
)

// TestHelloWorldDemo: the hello-world loopback plays the remote video, and a
// wrong media server address gives a clear message instead of a hang.
func TestHelloWorldDemo(t *testing.T) {
	requireBrowser(t)
	_, addr := startGorento(t, nil)
	d := startDriver(t, "hello-world.mjs", "http://"+addr)
	var res struct {
		OK     bool
		Remote struct {
			Width int
			Error string
		}
		Unreachable string
	}
	d.next(t, &res)
	if res.Remote.Width <= 0 || res.Remote.Error != "" {
		t.Fatalf("remote video not playing: %+v", res.Remote)
	}
	if !strings.Contains(res.Unreachable, "Cannot reach the media server") {
		t.Fatalf("unreachable server message = %q", res.Unreachable)
	}
}
