package bwe

import (
	"errors"
	"math"
	"testing"
	"time"
)

// Groups 20 ms apart whose arrival spacing grows (a queue building up) are
// overuse, shrinking spacing is underuse, equal spacing is normal.
func TestTrendlineDetector(t *testing.T) {
	for _, c := range []struct {
		name  string
		extra int64 // added to each group's arrival spacing, ns
		want  Usage
	}{
		{"stable", 0, Normal},
		{"queue grows 2 ms per group", 2 * ms, Overusing},
		{"queue drains 2 ms per group", -2 * ms, Underusing},
	} {
		var ia interArrival
		tl := newTrendline()
		arrival := int64(0)
		var seen []Usage
		for g := range 80 {
			sent := int64(g) * 20 * ms
			arrival += 20*ms + c.extra
			if g == 0 {
				arrival = 0
			}
			for p := range 3 { // three packets per group, 1 ms apart
				if sd, ad, ok := ia.add(sent+int64(p)*ms, arrival+int64(p)*ms, 1200); ok {
					tl.update(sd, ad, arrival+int64(p)*ms)
					seen = append(seen, tl.usage)
				}
			}
		}
		if got := seen[len(seen)-1]; got != c.want {
			t.Errorf("%s: %v, want %v (trend %.1f threshold %.1f)", c.name, got, c.want, tl.modified, tl.threshold)
		}
	}
}

// Packets that arrive in a burst (queued, then released together) join the
// group they arrive with, even when sent more than 5 ms later.
func TestInterArrivalBurst(t *testing.T) {
	var ia interArrival
	ia.add(0, 100*ms, 1000)
	if _, _, ok := ia.add(8*ms, 100*ms+500_000, 1000); ok {
		t.Fatal("a packet arriving 0.5 ms after the group started a new one")
	}
	if ia.cur.lastSend != 8*ms || ia.cur.size != 2000 {
		t.Errorf("group %+v", ia.cur)
	}
	if _, _, ok := ia.add(-5*ms, 101*ms, 1000); ok || ia.cur.size != 2000 {
		t.Error("a packet sent before the group was not ignored")
	}
}

func TestProbeResult(t *testing.T) {
	for _, c := range []struct {
		name     string
		spacing  int64 // arrival spacing of 1250-byte packets sent 10 ms apart (1 Mbit/s)
		want     float64
		conclude bool
	}{
		{"unsaturated: the send rate", 10 * ms, 1e6, true},
		{"saturated at half: 95 % of the receive rate", 20 * ms, 0.95 * 0.5e6, true},
		{"receive faster than twice the send rate: invalid", 4 * ms, 0, false},
	} {
		var r probeResult
		r.register(ProbeCluster{ID: 3, Bitrate: 1e6, MinPackets: 5, MinBytes: 6000})
		var got float64
		var ok bool
		for i := range int64(6) {
			if v, done := r.add(3, i*10*ms, 50*ms+i*c.spacing, 1250); done {
				got, ok = v, true
			}
		}
		if ok != c.conclude || math.Abs(got-c.want) > 1 {
			t.Errorf("%s: %.0f (%v), want %.0f (%v)", c.name, got, ok, c.want, c.conclude)
		}
	}
	var r probeResult
	r.register(ProbeCluster{ID: 1, MinPackets: 5, MinBytes: 6000})
	if _, ok := r.add(2, 0, 0, 1250); ok {
		t.Error("a packet of an unknown cluster counted")
	}
}

func TestProbeCluster(t *testing.T) {
	c := ProbeCluster{Bitrate: 2_000_000, MinPackets: 5, MinBytes: 3750}
	if got := c.BytesDue(15 * time.Millisecond); got != 3750 {
		t.Errorf("BytesDue(15 ms) = %d", got)
	}
	if c.Done(4, 5000) || c.Done(5, 3000) || !c.Done(5, 3750) {
		t.Error("Done")
	}
}

func TestConfig(t *testing.T) {
	for _, c := range []Config{
		{Min: 5000},
		{Min: 2e6, Max: 1e6},
		{Max: 2e9},
		{History: 1000},
		{History: 65536},
		{LowLoss: 0.2, HighLoss: 0.1},
		{HighLoss: 1.5},
		{FeedbackTimeout: time.Millisecond},
	} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v) = %v, want ErrConfig", c, err)
		}
	}
	e, err := New(Config{Initial: 10e6, Max: 3e6})
	if err != nil {
		t.Fatal(err)
	}
	if e.Target() != 3e6 {
		t.Errorf("initial above max: target %d", e.Target())
	}
	if err := e.SetBounds(100_000, 500_000, 1); err != nil || e.Target() != 500_000 {
		t.Errorf("SetBounds: %v, target %d", err, e.Target())
	}
	if err := e.SetBounds(600_000, 500_000, 1); err == nil {
		t.Error("SetBounds accepted min > max")
	}
	// Raising Max while at the old one probes the new one.
	if _, ok := e.NextProbe(2); !ok {
		t.Fatal("no initial probe")
	}
	for {
		if _, ok := e.NextProbe(3); !ok {
			break
		}
	}
	if err := e.SetBounds(100_000, 2_000_000, 4); err != nil {
		t.Fatal(err)
	}
	if c, ok := e.NextProbe(5); !ok || c.Reason != "max" || c.Bitrate != 2_000_000 {
		t.Errorf("after raising max: %+v %v", c, ok)
	}
	e.OnRTT(80 * time.Millisecond)
	if e.State().RTT != 80*time.Millisecond {
		t.Error("OnRTT")
	}
	if off, _ := New(Config{NoProbing: true}); func() bool { _, ok := off.NextProbe(1); return ok }() {
		t.Error("NoProbing still probes")
	}
}

// The acknowledged rate is the bytes of the last 350 ms of arrivals.
func TestAckRate(t *testing.T) {
	var a ackRate
	for i := range int64(100) { // 1000 bytes every 5 ms: 1.6 Mbit/s
		a.add(1e12+i*5*ms, 1000)
		if i == 30 && a.rate() != 0 {
			t.Error("a rate before a full window")
		}
	}
	if r := a.rate(); math.Abs(r-1.6e6) > 0.01e6 {
		t.Errorf("rate %.0f, want 1.6 Mbit/s", r)
	}
	a.add(1e12-10*sec, 1e6) // far too old: ignored
	if r := a.rate(); math.Abs(r-1.6e6) > 0.01e6 {
		t.Errorf("an old arrival changed the rate to %.0f", r)
	}
}

// TestProbeResultBounded: a cluster proves at most its plan (media sent
// with it, a keyframe's burst, raised its send rate above the plan).
// In the browser a viewer of a 600 kbit/s link got a 2.2 Mbit/s estimate
// from such a cluster and moved to 720p for a second.
func TestProbeResultBounded(t *testing.T) {
	for _, c := range []struct {
		name     string
		plan     uint64
		arrival  func(i int64) int64 // of the i-th 1250-byte packet, sent 10 ms apart (1 Mbit/s)
		want     float64
		conclude bool
	}{
		{"sent above the plan: the plan", 500e3, func(i int64) int64 { return 50*ms + i*10*ms }, 500e3, true},
		{"spaced by a bottleneck: 95 % of it", 1e6, func(i int64) int64 { return 50*ms + i*20*ms }, 0.95 * 0.5e6, true},
	} {
		var r probeResult
		r.register(ProbeCluster{ID: 3, Bitrate: c.plan, MinPackets: 5, MinBytes: 6000})
		var got float64
		var ok bool
		for i := range int64(6) {
			if v, done := r.add(3, i*10*ms, c.arrival(i), 1250); done {
				got, ok = v, true
			}
		}
		if ok != c.conclude || math.Abs(got-c.want) > 1 {
			t.Errorf("%s: %.0f (%v), want %.0f (%v)", c.name, got, ok, c.want, c.conclude)
		}
	}
}
