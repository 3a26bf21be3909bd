package media_test

import (
	"testing"
	"time"
)

// TestFitLeavesLayersHeldByUplink: issue 15's drop to 600 kbit/s. The
// publisher's endpoint sees its uplink collapse within ~250 ms and marks
// the layers above the lowest (webrtcep's delay watch); a viewer then
// moves to the lowest layer at its next Fit, before any loss window of its
// own closes (500 ms); the mark alone does not keep it there.
func TestFitLeavesLayersHeldByUplink(t *testing.T) {
	r := newSimRig()
	s, rings := &r.s, r.rings
	run := func(frames int, from uint8) {
		for i := 0; i < frames; i++ {
			for l := from; l < 3; l++ {
				r.push(l, false, uint32(int(r.seq[l]+1)*3000))
			}
			r.now += int64(33 * time.Millisecond)
		}
	}
	run(60, 0)
	if got := s.Fit(0, r.now); got != 2 {
		t.Fatalf("Fit = %d, want 2", got)
	}
	run(3, 0) // 0.1 s: no loss window closes
	rings[1].MarkCollapse(r.now + int64(500*time.Millisecond))
	rings[2].MarkCollapse(r.now + int64(500*time.Millisecond))
	if got := s.Fit(0, r.now); got != 0 {
		t.Fatalf("Fit = %d with the upper layers marked, want 0 at once", got)
	}
	run(20, 0)
	if got := s.Fit(0, r.now); got != 2 {
		t.Errorf("Fit = %d once the mark is over, want 2", got)
	}
	// Only the top layer marked: the middle layer is still fine.
	rings[2].MarkCollapse(r.now + int64(500*time.Millisecond))
	if got := s.Fit(0, r.now); got != 1 {
		t.Errorf("Fit = %d with the top layer marked, want 1", got)
	}
	run(20, 0)
	// The lowest layer starved for 0.4 s (Chrome's pacer sending the
	// repairs asked for before it), no longer active: still the one.
	run(12, 1)
	rings[1].MarkCollapse(r.now + int64(500*time.Millisecond))
	rings[2].MarkCollapse(r.now + int64(500*time.Millisecond))
	if s.Active(0, r.now) {
		t.Fatal("layer 0 still active")
	}
	if got := s.Fit(0, r.now); got != 0 {
		t.Errorf("Fit = %d with the upper layers marked and the lowest starved, want 0", got)
	}
}
