package webrtcep

import (
	"math"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// steadyArrivals: 6 s of one layer sent at send bps in 1000-byte packets
// (30 frames a second) through a link of link bps whose drop-tail queue
// holds 250 ms.
func steadyArrivals(send, link float64) []simArrival {
	const size = 1000
	var out []simArrival
	var free time.Duration
	var budget float64
	for frame := 0; frame < 180; frame++ {
		capture := time.Duration(frame) * time.Second / 30
		budget += send / 8 / 30
		n := int(budget / size)
		budget -= float64(n * size)
		for i := 0; i < n; i++ {
			sent := capture + time.Duration(i)*time.Second/time.Duration(30*n)
			backlog := max(free-sent, 0)
			if backlog > 250*time.Millisecond {
				continue
			}
			free = max(free, sent) + time.Duration(float64(size*8)/link*float64(time.Second))
			out = append(out, simArrival{at: free, ts: uint32(capture * 90000 / time.Second), size: size})
		}
	}
	return out
}

// fullRuns feeds the arrivals to a delayWatch and returns the rates of
// the full runs it reported, and whether it saw a collapse.
func fullRuns(arrivals []simArrival) (rates []uint64, collapse bool) {
	var d delayWatch
	base := int64(time.Hour)
	for _, a := range arrivals {
		q, _, full := d.packet(uint8(a.layer), a.ts, base+int64(a.at), a.size)
		collapse = collapse || q
		if full > 0 {
			rates = append(rates, full)
		}
	}
	return rates, collapse
}

// TestDelayWatchSeesFullLink: a publisher sending 10 % over its link
// fills the link's queue slowly — no collapse — and the watch reports the
// rate the link drains it at; one sending below its link, a clean uplink
// with keyframes, and a reader stalled for 300 ms report nothing. After
// issue 15's drop it reports about the link's rate too.
func TestDelayWatchSeesFullLink(t *testing.T) {
	rates, collapse := fullRuns(steadyArrivals(660_000, 600_000))
	if collapse || len(rates) != 1 || rates[0] < 570_000 || rates[0] > 630_000 {
		t.Errorf("10 %% over a 600 kbit/s link: full runs %v, collapse %v; want one at ~600 kbit/s and no collapse", rates, collapse)
	}
	if rates, _ := fullRuns(steadyArrivals(540_000, 600_000)); len(rates) != 0 {
		t.Errorf("below the link: full runs %v", rates)
	}
	for seed := uint64(1); seed <= 5; seed++ {
		if rates, _ := fullRuns(publisherArrivals(seed, 0, 0)); len(rates) != 0 {
			t.Errorf("seed %d: a clean uplink reported full at %v", seed, rates)
		}
		if rates, _ := fullRuns(publisherArrivals(seed, 0, 2500*time.Millisecond)); len(rates) != 0 {
			t.Errorf("seed %d: a stalled reader reported full at %v", seed, rates)
		}
		rates, _ := fullRuns(publisherArrivals(seed, 2*time.Second, 0))
		if len(rates) == 0 || rates[0] < 450_000 || rates[0] > 750_000 {
			t.Errorf("seed %d: after the drop to 600 kbit/s: full runs %v", seed, rates)
		}
	}
}

// TestUplinkCeiling: a collapse sets the ceiling at 92 % of the rate the
// queue drained at; it holds for ceilingHold, then grows 4 % a second; a
// full link while it lasts sets it back (a REMB at once) — from the
// collapse's rate, or a higher one, never lower; a queue drained far
// below that rate changes nothing — and a growth that met
// the link doubles the next hold (up to ceilingHoldMax); it ends once it
// doubled the rate it came from. Without a collapse first, a full link
// changes nothing. The REMB keeps under it once the collapse's own cap is
// over.
func TestUplinkCeiling(t *testing.T) {
	w := newBareEndpoint(t)
	for l := range 3 {
		w.simul.in[l].Store(&inboundStream{ssrc: uint32(100 + l), kind: media.Video, layer: l})
	}
	now := w.now()
	w.uplinkFull(now, 600_000)
	if got := w.uplinkCeilingAt(now); got != 0 {
		t.Fatalf("a full link without a collapse set a ceiling of %d", got)
	}
	w.uplinkQueued(600_000)
	now = w.now()
	near := func(got, want float64) bool { return math.Abs(got-want) <= want/1000 }
	if got := w.uplinkCeilingAt(now); !near(float64(got), 552_000) {
		t.Fatalf("ceiling %d after the collapse, want 552000", got)
	}
	if got := w.publisherREMB(); got != 510_000 {
		t.Errorf("REMB %d while the collapse's cap holds, want 510000", got)
	}
	w.uplink.mu.Lock()
	w.uplink.until = now - 1 // the cap is over
	w.uplink.mu.Unlock()
	if got := w.publisherREMB(); got < 540_000 || got > 553_000 {
		t.Errorf("REMB %d after the cap, want the ceiling (~552000)", got)
	}
	at := func(d time.Duration) int64 { return now + int64(d) }
	if got := w.uplinkCeilingAt(at(ceilingHold - time.Millisecond)); !near(float64(got), 552_000) {
		t.Errorf("ceiling %d at the end of its hold, want 552000", got)
	}
	if got := w.uplinkCeilingAt(at(ceilingHold + 2*time.Second)); !near(float64(got), 552_000*1.04*1.04) {
		t.Errorf("ceiling %d 2 s after its hold, want %.0f", got, 552_000*1.04*1.04)
	}
	full := at(ceilingHold + 2*time.Second)
	w.uplinkFull(full, 480_000) // drained far slower: the publisher's own pacer
	if got := w.uplinkCeilingAt(full); !near(float64(got), 552_000*1.04*1.04) {
		t.Errorf("ceiling %d after a queue drained at 480 kbit/s, want %.0f (unchanged)", got, 552_000*1.04*1.04)
	}
	w.uplinkFull(full, 560_000) // drained a little slower than the collapse measured: the link
	if got := w.uplinkCeilingAt(full); !near(float64(got), 552_000) {
		t.Errorf("ceiling %d after the link filled again at 560 kbit/s, want 552000 (back to the start, not lower)", got)
	}
	// The probe met the link: the next hold is twice as long.
	if got := w.uplinkCeilingAt(full + int64(2*ceilingHold-time.Millisecond)); !near(float64(got), 552_000) {
		t.Errorf("ceiling %d before the doubled hold ended, want 552000", got)
	}
	w.uplinkFull(full+int64(time.Second), 600_000) // a keyframe's queue while it holds: the hold stays
	full += int64(time.Second)
	if got := w.uplinkCeilingAt(full + int64(2*ceilingHold+time.Second)); !near(float64(got), 552_000*1.04) {
		t.Errorf("ceiling %d 1 s after the doubled hold, want %.0f", got, 552_000*1.04)
	}
	for range 3 { // a probe that met the link (the next hold 40 s), then queues within the hold
		full += int64(2*ceilingHold + time.Second)
		w.uplinkFull(full, 600_000)
	}
	if got := w.uplinkCeilingAt(full + int64(ceilingHoldMax-time.Millisecond)); !near(float64(got), 552_000) {
		t.Errorf("ceiling %d before the longest hold ended, want 552000", got)
	}
	if got := w.uplinkCeilingAt(full + int64(ceilingHoldMax+time.Second)); !near(float64(got), 552_000*1.04) {
		t.Errorf("ceiling %d 1 s after the longest hold, want %.0f", got, 552_000*1.04)
	}
	w.uplinkFull(full, 700_000) // drained faster: the link grew
	if got := w.uplinkCeilingAt(full); !near(float64(got), 644_000) {
		t.Errorf("ceiling %d after the link filled again at 700 kbit/s, want 644000", got)
	}
	// 644 → 1400 kbit/s: log(2.174)/log(1.04) ≈ 19.8 s after its hold.
	if got := w.uplinkCeilingAt(full + int64(ceilingHoldMax+19*time.Second)); got == 0 {
		t.Error("the ceiling ended before it doubled")
	}
	end := full + int64(ceilingHoldMax+21*time.Second)
	if got := w.uplinkCeilingAt(end); got != 0 {
		t.Errorf("ceiling %d once it doubled, want none", got)
	}
	w.uplinkFull(end, 300_000)
	if got := w.uplinkCeilingAt(end); got != 0 {
		t.Errorf("a full link after the ceiling ended set one of %d", got)
	}
}
