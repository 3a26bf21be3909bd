package media_test

import (
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// frameSim drives a LayerSwitch as a viewer's selector does: a frame of
// each layer that sends one every 33 ms (a packet of 100–300 bytes), a
// keyframe of a layer at its next frame after one was asked for (as
// Chrome answers a PLI), and a new target every 200 ms from Fit with a
// budget.
type frameSim struct {
	s       media.LayerSwitch
	now     int64
	i       int
	seq     [3]uint16
	ask     [3]bool
	budget  uint64
	on      [3]int // frames forwarded of each layer
	targets []int  // every target chosen, in order (changes only)
}

func newFrameSim(budget uint64) *frameSim {
	return &frameSim{now: int64(time.Second), budget: budget}
}

// run plays frames ticks; sends(l, i) tells whether layer l sends frame i.
// A layer's first frame after it did not send for a while is a keyframe
// (an encoder resuming a layer starts with one).
func (f *frameSim) run(frames int, sends func(l, i int) bool) {
	for end := f.i + frames; f.i < end; f.i++ {
		for l := 0; l < 3; l++ {
			if !sends(l, f.i) {
				continue
			}
			f.seq[l]++
			key := f.ask[l] || f.i == 0 || !f.s.Active(l, f.now)
			f.ask[l] = false
			p := simPkt(uint8(l), key, f.seq[l])
			p.Header.Timestamp = uint32(f.i * 3000)
			fwd, kf := f.s.Accept(p, f.now)
			if fwd {
				f.on[l]++
			}
			if kf >= 0 {
				f.ask[kf] = true
			}
		}
		if f.i%6 == 0 {
			t := f.s.Fit(f.budget, f.now)
			if n := len(f.targets); t >= 0 && (n == 0 || f.targets[n-1] != t) {
				f.targets = append(f.targets, t)
			}
			f.s.SetTarget(t)
		}
		f.now += int64(33 * time.Millisecond)
	}
}

// forwarded returns the frames forwarded of each layer over the frames
// run plays with fn, and resets the count.
func (f *frameSim) forwarded(frames int, sends func(l, i int) bool) [3]int {
	f.on = [3]int{}
	f.run(frames, sends)
	return f.on
}

// chromeDips: Chrome's encoder, held to a sawing estimate on a 600 kbit/s
// uplink, drops a few frames of its middle layer now and then (26–28 of
// 30 a second in the browser): here three in a row every 2.5 s.
func chromeDips(i int) bool { return i%75 >= 3 }

// TestFitUpThroughFrameDrops: issue 15's drop to 600 kbit/s. Chrome
// pauses 720p and, for a few seconds, 360p; the viewer goes to 180p. When
// 360p comes back at its full frame rate, with a few frames dropped every
// few seconds, the viewer moves up within 3 s and stays. In the
// browser (full mode, 3 runs) it stayed on 180p 7–16 s after 360p came
// back: the pause counted as one frame interval of 2.5 s, and each later
// dip of the interval's mean restarted a 4 s hold.
func TestFitUpThroughFrameDrops(t *testing.T) {
	f := newFrameSim(4_000_000)
	all := func(int, int) bool { return true }
	f.run(90, all)
	if got := f.s.Current(); got != 2 {
		t.Fatalf("on layer %d with every layer at 30 fps, want 2", got)
	}
	f.run(75, func(l, _ int) bool { return l == 0 }) // the drop: 720p and 360p paused 2.5 s
	if got := f.s.Current(); got != 0 {
		t.Fatalf("on layer %d with 180p alone, want 0", got)
	}
	resumed := func(l, i int) bool { return l == 0 || l == 1 && chromeDips(i) }
	f.run(90, resumed) // 3 s
	if got := f.s.Current(); got != 1 {
		t.Errorf("on layer %d 3 s after 360p resumed at ~29 fps, want 1", got)
	}
	got := f.forwarded(600, resumed) // 20 s more
	if got[1] < 560 {
		t.Errorf("forwarded %v frames of each layer in 20 s after that, want ≥ 560 of 360p", got)
	}
}

// TestFitWaitsForResumedLayer: Chrome resumed its 360p at 30 fps and,
// at its minimum bitrate, sent it at 16–20 fps for the next 3 s; a viewer
// that moved up 1 s after the resume moved back down 1.5 s later (two
// keyframes). It waits until the layer kept up for 2 s, and after a
// stutter for 4 s.
func TestFitWaitsForResumedLayer(t *testing.T) {
	f := newFrameSim(4_000_000)
	f.run(90, func(int, int) bool { return true })
	f.run(75, func(l, _ int) bool { return l == 0 }) // 360p paused 2.5 s
	f.targets = nil
	f.run(30, func(l, _ int) bool { return l < 2 })                        // back at 30 fps for 1 s
	f.run(90, func(l, i int) bool { return l == 0 || l == 1 && i%2 == 0 }) // then 15 fps for 3 s
	if len(f.targets) != 1 || f.targets[0] != 0 {
		t.Errorf("targets %v, want only 0 while the resumed layer stutters", f.targets)
	}
	f.run(135, func(l, _ int) bool { return l < 2 }) // 30 fps for 4.5 s
	if got := f.s.Current(); got != 1 {
		t.Errorf("on layer %d after the resumed layer kept up for 4.5 s, want 1", got)
	}
}

// TestFitStaysThroughStutter: a viewer on 360p stays on it when Chrome's
// encoder drops frames for a second (17 of 30, the browser's worst second
// on that layer after the drop) and runs at 30 fps again: moving down and
// back costs two keyframes, each a burst into the publisher's full
// uplink, and 4 s on 180p. A layer that keeps stuttering is still left
// within 2 s (TestFitLeavesJerkyLayer).
func TestFitStaysThroughStutter(t *testing.T) {
	f := newFrameSim(4_000_000)
	two := func(l, _ int) bool { return l < 2 }
	f.run(150, two)
	if got := f.s.Current(); got != 1 {
		t.Fatalf("on layer %d, want 1", got)
	}
	f.targets = nil
	f.run(30, func(l, i int) bool { return l == 0 || l == 1 && (i%2 == 0 || i%7 == 0) }) // 1 s at ~17 fps
	f.run(90, two)
	if len(f.targets) != 1 || f.targets[0] != 1 {
		t.Errorf("targets %v, want only 1 (no move down for a second's stutter)", f.targets)
	}
}

// TestFitStallMovesNothing: the publisher sends nothing for 400 ms (its
// browser stalled on the loaded machine; in one run every layer stopped
// twice) and its middle layer's packet comes first: the viewer, held on
// 180p by its budget, is not moved up to 360p (the lowest layer active
// for an instant), which cost it a keyframe burst into the publisher's
// uplink, a move back and 0.6 s frozen.
func TestFitStallMovesNothing(t *testing.T) {
	f := newFrameSim(60_000) // 180p (24 kbit/s) fits, 360p (48 kbit/s + 30 %) does not
	two := func(l, _ int) bool { return l < 2 }
	f.run(150, two)
	if got := f.s.Current(); got != 0 {
		t.Fatalf("on layer %d, want 0", got)
	}
	f.targets = nil
	f.run(12, func(int, int) bool { return false }) // 400 ms of nothing
	f.run(1, func(l, _ int) bool { return l == 1 }) // 360p's frame first
	f.run(60, two)
	if len(f.targets) != 1 || f.targets[0] != 0 {
		t.Errorf("targets %v, want only 0", f.targets)
	}
}

// TestLayerPauseAfterResume: a layer that resumes after a pause (Chrome's
// 360p, 2–4 s after the drop) and stops again at once is left after three
// frame intervals as before: the pause is not taken for a frame interval
// (counted as one, it made the timeout up to ~1.5 s).
func TestLayerPauseAfterResume(t *testing.T) {
	f := newFrameSim(0)
	f.run(60, func(int, int) bool { return true })
	f.run(75, func(l, _ int) bool { return l == 0 }) // layer 1 paused 2.5 s
	f.run(6, func(int, int) bool { return true })    // back for 0.2 s
	f.run(12, func(l, _ int) bool { return l == 0 }) // and silent 400 ms
	if f.s.Active(1, f.now) {
		t.Error("a 30 fps layer silent for 400 ms after it resumed is still active")
	}
}

// TestFitNewViewerMovesUp: a viewer that joins a running publisher starts
// on the lowest layer and moves up after layerUpStable (1 s) as before:
// the windows before a layer's first full one are no resume. Held 2 s
// more, a 600 kbit/s viewer lost the first second of its high start
// estimate and stayed on 180p with an estimate stuck at 300 kbit/s.
func TestFitNewViewerMovesUp(t *testing.T) {
	f := newFrameSim(4_000_000)
	f.run(45, func(l, i int) bool { return l == 0 || i > 0 }) // 1.5 s, the upper layers' first packets a frame later
	if got := f.s.Current(); got != 2 {
		t.Errorf("on layer %d 1.5 s after joining, want 2", got)
	}
}
