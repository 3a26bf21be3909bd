package webrtcep

import (
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// The engine-wide monitor delivers MediaStateChanged on a goroutine of the
// endpoint: a handler that blocks holds up neither the monitor nor other
// endpoints, and the changes seen while it blocks are coalesced (counted,
// not queued), the latest state delivered once it returns.
func TestMonitorStuckHandler(t *testing.T) {
	eng := newEngine(t)
	// The test runs every check itself: the hub's own 250 ms tick, landing
	// while lastRTCP is stale, would coalesce one change more.
	eng.mon.close()
	eng.mon = newMonitorHub(time.Hour)
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	got := make(chan media.MediaStateChanged, 16)
	release := make(chan struct{})
	stuck, err := New(p, eng, Options{}, func(e media.Event) {
		if ms, ok := e.(media.MediaStateChanged); ok {
			got <- ms
			<-release
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	otherGot := make(chan media.MediaStateChanged, 16)
	other, err := New(p, eng, Options{}, func(e media.Event) {
		if ms, ok := e.(media.MediaStateChanged); ok {
			otherGot <- ms
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	eng.mon.register(stuck)
	eng.mon.register(other)

	checked := make(chan struct{})
	check := func(w *Endpoint) {
		go func() { eng.mon.check(w, true); checked <- struct{}{} }()
		select {
		case <-checked:
		case <-time.After(30 * time.Second):
			t.Fatal("a monitor check blocked")
		}
	}
	expect := func(ch chan media.MediaStateChanged, connected bool) {
		t.Helper()
		select {
		case ms := <-ch:
			if ms.Connected != connected {
				t.Fatalf("MediaStateChanged %v, want %v", ms.Connected, connected)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no MediaStateChanged %v", connected)
		}
	}

	stuck.state.rtcpReceived()
	check(stuck)
	expect(got, true) // the handler now blocks
	stale := stuck.now() - int64(2*mediaStateTimeout)
	stuck.state.lastRTCP.Store(stale)
	check(stuck) // the change to disconnected waits behind the stuck handler
	stuck.state.lastRTCP.Store(stuck.now())
	check(stuck)
	stuck.state.lastRTCP.Store(stale)
	check(stuck)
	if n := eng.mon.coalesced.Load(); n != 2 {
		t.Errorf("%d changes coalesced, want 2", n)
	}
	other.state.rtcpReceived()
	check(other)
	expect(otherGot, true) // the other endpoint is not held up

	close(release)
	deadline := time.Now().Add(30 * time.Second)
	for {
		stuck.state.mu.Lock()
		busy := stuck.state.delivering
		stuck.state.mu.Unlock()
		if !busy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the delivery never ended")
		}
		time.Sleep(time.Millisecond)
	}
	check(stuck)
	expect(got, false) // the latest state, once
	select {
	case ms := <-got:
		t.Fatalf("extra MediaStateChanged %v", ms.Connected)
	default:
	}

	stuck.Release()
	other.Release()
	eng.mon.mu.Lock()
	left := len(eng.mon.eps)
	eng.mon.mu.Unlock()
	if left != 0 {
		t.Errorf("%d endpoints still monitored after release", left)
	}
}
