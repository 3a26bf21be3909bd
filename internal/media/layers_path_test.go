package media_test

import (
	"testing"
	"time"
)

// TestFitPathLoss: loss on the viewer's own path keeps it off a layer
// whose frames would wait for a second round of repair there (p²n). Three
// layers of 1, 2 and 5 packets a frame at 30 fps, no loss upstream, room
// for all: a viewer on the top layer leaves it at 10 % (0.05 > 0.0375),
// does not move up to it at 8 % (0.032 > 0.03) nor leave it at 8 % once on
// it (below 0.0375), and gets it at 3 %; without an estimate (a recorder)
// the path's loss does not count.
func TestFitPathLoss(t *testing.T) {
	r := newSimRig()
	s := &r.s
	frame := 0
	run := func(d time.Duration) {
		for end := r.now + int64(d); r.now < end; r.now += int64(time.Second / 30) {
			for l := uint8(0); l < 3; l++ {
				for i := 0; i < []int{1, 2, 5}[l]; i++ {
					r.push(l, frame == 0 && i == 0, uint32(frame*3000))
				}
			}
			frame++
		}
	}
	const budget = 10_000_000
	fit := func(loss float64) int {
		s.SetPathLoss(loss)
		got := s.Fit(budget, r.now)
		s.SetTarget(got)
		return got
	}
	run(6 * time.Second)
	cases := []struct {
		name string
		cur  int // the layer the viewer is on (set as its target before)
		loss float64
		want int
	}{
		{"on top, no loss", 2, 0, 2},
		{"on top, 10 %", 2, 0.10, 1},
		{"on the middle, 8 %", 1, 0.08, 1},
		{"on top, 8 %", 2, 0.08, 2},
		{"on the middle, 3 %", 1, 0.03, 2},
	}
	for _, c := range cases {
		// Put the viewer on c.cur: its target, then a keyframe of it.
		s.SetTarget(c.cur)
		r.push(uint8(c.cur), true, uint32(frame*3000))
		if s.Current() != c.cur {
			t.Fatalf("%s: on layer %d, want %d", c.name, s.Current(), c.cur)
		}
		if got := fit(c.loss); got != c.want {
			t.Errorf("%s: Fit = %d, want %d", c.name, got, c.want)
		}
	}
	s.SetPathLoss(0.10)
	if got := s.Fit(0, r.now); got != 2 {
		t.Errorf("no estimate, 10 %%: Fit = %d, want 2", got)
	}
}
