//go:build cgo

package gst

import (
	"io"
	"log/slog"
	"testing"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// testElement builds a dynamic element of kind in this process (its
// events go to a socket nobody reads but a drain).
func testElement(t *testing.T, kind string) *element {
	t.Helper()
	conn, remote, err := ipc.Socketpair()
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		_, _ = io.Copy(io.Discard, remote)
	}()
	s := NewServer(conn, 0, t.TempDir(), slog.New(slog.DiscardHandler))
	el := &element{s: s, id: 1, ctl: make(chan ipc.Control, 1), done: make(chan struct{})}
	t.Cleanup(func() {
		el.teardown()
		conn.Close()
		remote.Close()
		<-drained
	})
	if err := el.build(&ipc.Spec{Processing: ipc.Processing{Kind: kind}}); err != nil {
		t.Fatal(err)
	}
	return el
}

// TestAlphaInputDuringResize: a video input added while the output
// picture changes size (an alpha blending master's first picture) still
// links to the compositor. The link's caps query crosses the output
// capsfilter twice; a resize in between made it EMPTY, the link failed
// and the input was never shown.
func TestAlphaInputDuringResize(t *testing.T) {
	d := testElement(t, ipc.ProcAlphaBlending).dyn
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // the master's size flips as fast as it can
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			d.mu.Lock()
			d.resizeLocked(320*(1+i%2), 240*(1+i%2))
			d.mu.Unlock()
		}
	}()
	defer func() {
		close(stop)
		<-done
	}()
	vp8 := ipc.Stream{Codec: ipc.CodecVP8, PayloadType: 96}
	for i := range 100 {
		if err := d.addInput(i, vp8); err != nil {
			t.Fatalf("input %d added while resizing: %v", i, err)
		}
		if err := d.removeInput(i); err != nil {
			t.Fatal(err)
		}
	}
}
