package egress

import (
	"testing"
	"time"
)

// TestLayerSelectorActsOnCollapseAtOnce: the publisher's endpoint marks
// the upper layer collapsing (its uplink's queue stands: webrtcep's delay
// watch); the viewer's selector chooses again with the next packet, not
// at its next periodic fit (up to fitInterval later), and asks for the
// lower layer's keyframe then. Issue 15's drop row: the fit's wait was
// up to 0.2 s of a ~1 s freeze. The mark comes at every phase of the
// fit interval.
func TestLayerSelectorActsOnCollapseAtOnce(t *testing.T) {
	r := newTLRig(t)
	r.layers = 2
	r.run(t, 2*time.Second)
	if l := r.sel.Layer(); l.Current != 1 {
		t.Fatalf("unlimited: %+v, want layer 1", l)
	}
	frame := time.Second / 30
	for phase := 0; phase < int(time.Duration(fitInterval)/frame)+1; phase++ {
		r.run(t, time.Duration(phase)*frame) // a different phase of the fit interval each time
		r.keyAsked.Store(0)
		r.h.src.pad.HistoryOf(1).MarkCollapse(r.clk.Load() + int64(time.Second))
		r.run(t, frame)
		if l := r.sel.Layer(); l.Target != 0 || r.keyAsked.Load()&1 == 0 {
			t.Fatalf("phase %d: one frame after the mark: %+v, keyframes asked %b; want target 0 and its keyframe asked", phase, l, r.keyAsked.Load())
		}
		r.run(t, 3*time.Second) // the mark ends; back to layer 1
		if l := r.sel.Layer(); l.Current != 1 {
			t.Fatalf("phase %d: after the mark: %+v, want layer 1 again", phase, l)
		}
	}
}
