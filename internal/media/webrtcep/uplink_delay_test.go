package webrtcep

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
)

// simArrival is a packet of a simulated simulcast publisher as its
// endpoint receives it.
type simArrival struct {
	at    time.Duration // arrival
	layer int
	ts    uint32 // RTP timestamp (90 kHz, a random offset per layer)
	size  int
}

// publisherArrivals simulates 4 s of a simulcast publisher (150/450/1700
// kbit/s at 30 fps, every 90th frame a keyframe 8 times the size) whose
// pacer sends at 2.5 times its rate, the layers' packets interleaved, with
// 0–5 ms of capture jitter, through an uplink that is unlimited until
// dropAt and then a 600 kbit/s drop-tail queue holding 250 ms (issue 15's
// drop row; dropAt 0: never). stall delays every arrival within
// [stallAt, stallAt+300 ms) to its end, as a descheduled reader does.
func publisherArrivals(seed uint64, dropAt, stallAt time.Duration) []simArrival {
	const (
		mtu      = 1140
		linkRate = 600_000 / 8 // bytes/s
		queueCap = linkRate / 4
		pacing   = 2.5 * 2_300_000 / 8 // bytes/s
	)
	rates := [3]int{150_000, 450_000, 1_700_000}
	rng := rand.New(rand.NewPCG(seed, 2))
	offs := [3]uint32{rng.Uint32(), rng.Uint32(), rng.Uint32()}
	var out []simArrival
	var sent, free time.Duration // pacer and queue busy until
	for frame := 0; frame < 120; frame++ {
		capture := time.Duration(frame)*time.Second/30 + time.Duration(rng.IntN(5000))*time.Microsecond
		left := [3]int{}
		for l, r := range rates {
			left[l] = r / 8 / 30
			if frame%90 == 0 {
				left[l] *= 8
			}
		}
		for left != [3]int{} {
			for i := range left {
				l := (i + frame) % 3
				if left[l] <= 0 {
					continue
				}
				size := min(left[l], mtu)
				left[l] -= size
				sent = max(sent, capture) + time.Duration(float64(size)/pacing*float64(time.Second))
				a := simArrival{sent, l, offs[l] + uint32(capture*90000/time.Second), size}
				if dropAt > 0 && sent >= dropAt {
					backlog := max(free-sent, 0) * linkRate / time.Second
					if int(backlog)+size > queueCap {
						continue
					}
					free = max(free, sent) + time.Duration(size)*time.Second/linkRate
					a.at = free
				}
				if stallAt > 0 && a.at >= stallAt && a.at < stallAt+300*time.Millisecond {
					a.at = stallAt + 300*time.Millisecond
				}
				out = append(out, a)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// firstQueue feeds the arrivals to a delayWatch and returns when it first
// reports a standing queue (-1: never) and the rate it reported.
func firstQueue(arrivals []simArrival) (time.Duration, uint64) {
	var d delayWatch
	base := int64(time.Hour) // the monotonic clock of a running server
	for _, a := range arrivals {
		if q, rate, _ := d.packet(uint8(a.layer), a.ts, base+int64(a.at), a.size); q {
			return a.at, rate
		}
	}
	return -1, 0
}

// TestDelayWatchSeesTheQueue: after the drop to 600 kbit/s the watch sees
// the standing queue within 250 ms — before the first loss shows (the
// packet after a gap crosses the same 250 ms queue) — and reports about
// the link's rate; a clean uplink with keyframes, or a reader stalled for
// 300 ms, never looks like one.
func TestDelayWatchSeesTheQueue(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		dropAt := 2 * time.Second
		at, rate := firstQueue(publisherArrivals(seed, dropAt, 0))
		t.Logf("seed %d: queue seen %v after the drop, at %d kbit/s", seed, at-dropAt, rate/1000)
		if at < dropAt || at > dropAt+250*time.Millisecond {
			t.Errorf("seed %d: queue seen at %v, drop at %v", seed, at, dropAt)
		}
		if rate < 400_000 || rate > 800_000 {
			t.Errorf("seed %d: rate %d on a 600 kbit/s link", seed, rate)
		}
		if at, _ := firstQueue(publisherArrivals(seed, 0, 0)); at >= 0 {
			t.Errorf("seed %d: a clean uplink seen queued at %v", seed, at)
		}
		if at, _ := firstQueue(publisherArrivals(seed, 0, 2500*time.Millisecond)); at >= 0 {
			t.Errorf("seed %d: a stalled reader seen as a queue at %v", seed, at)
		}
	}
}

// TestUplinkQueuedCapsAndHolds: a standing queue caps the REMB at 85 % of
// the rate that came through and holds the repairs of the layers above
// the lowest, not the lowest's, and marks them collapsing, as long as the
// cap; a queue while the cap holds does not lower it.
func TestUplinkQueuedCapsAndHolds(t *testing.T) {
	w := newBareEndpoint(t)
	for l := range 3 {
		w.simul.in[l].Store(&inboundStream{ssrc: uint32(100 + l), kind: media.Video, layer: l})
		w.core.Source(media.Video).HistoryOf(uint8(l)).MarkWanted(1 << 40) // a viewer gets each layer
	}
	w.uplinkQueued(600_000)
	now := w.now()
	if got := w.uplinkCap(now); got != 510_000 {
		t.Errorf("REMB cap %d, want 510000", got)
	}
	w.uplinkQueued(80_000) // the publisher's own pacer, keeping to the cap
	if got := w.uplinkCap(now); got != 510_000 {
		t.Errorf("REMB cap %d after a second queue, want 510000 still", got)
	}
	src := w.core.Source(media.Video)
	for l := range 3 {
		h := src.HistoryOf(uint8(l))
		if h.Wanted() == (l > 0) || h.Collapsing(now) != (l > 0) {
			t.Errorf("layer %d: repaired %v, collapsing %v; want the lowest repaired, the ones above collapsing", l, h.Wanted(), h.Collapsing(now))
		}
	}
	// As long as the cap (the viewers went back up after 0.5 s, and the
	// middle layer's keyframe took the uplink again).
	if later := now + int64(uplinkHold) - int64(100*time.Millisecond); !src.HistoryOf(2).Collapsing(later) || w.uplinkCap(later) == 0 {
		t.Errorf("%v after the queue: collapsing %v, cap %d; want both", uplinkHold-100*time.Millisecond,
			src.HistoryOf(2).Collapsing(later), w.uplinkCap(later))
	}
}
