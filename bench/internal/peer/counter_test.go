package peer

import (
	"testing"

	"github.com/gorento/gorento/bench/internal/media"
)

func payload(idx uint32, stream uint16) []byte {
	b := make([]byte, 40)
	media.Trailer{SendNs: int64(idx) * 1000, Index: idx, Stream: stream}.Put(b)
	return b
}

// TestCounterWindow feeds a stream whose sequence numbers are offset from
// the publisher's indexes and wrap, drops some packets, and checks the
// exact count inside a window.
func TestCounterWindow(t *testing.T) {
	c := NewCounter()
	const addr, ssrc = 7, 0xabc
	seq0 := uint16(65500) // wraps during the run
	lost := map[uint32]bool{10: true, 11: true, 150: true}
	for idx := uint32(0); idx < 300; idx++ {
		if lost[idx] {
			continue
		}
		seq := seq0 + uint16(idx)
		if c.observe(addr, ssrc, seq, int64(idx)*1000+500, 32) {
			c.sample(ssrc, seq, payload(idx, 2), int64(idx)*1000+700)
		}
	}
	w := Window{Streams: map[uint16][2]uint32{2: {5, 200}}, FromNs: 5000, ToNs: 200000}
	r := c.Count(w)
	if want := int64(195 - 3); r.Received != want {
		t.Fatalf("received %d, want %d", r.Received, want)
	}
	if len(r.Latencies) == 0 {
		t.Fatal("no latency samples")
	}
	for _, l := range r.Latencies {
		if l != 500 { // arrival at the socket, not at the track reader
			t.Fatalf("latency %d, want 500", l)
		}
	}
	// another stream id is not counted
	if r := c.Count(Window{Streams: map[uint16][2]uint32{3: {0, 300}}}); r.Received != 0 {
		t.Fatalf("stream 3 received %d", r.Received)
	}
}

// TestCounterSeparatesSources keeps equal SSRCs from two server addresses apart.
func TestCounterSeparatesSources(t *testing.T) {
	c := NewCounter()
	for idx := uint32(0); idx < 100; idx++ {
		for _, addr := range []uint64{1, 2} {
			seq := uint16(idx) + uint16(addr)*1000
			if c.observe(addr, 42, seq, 0, 32) {
				c.sample(42, seq, payload(idx, 2), 0)
			}
		}
	}
	if r := c.Count(Window{Streams: map[uint16][2]uint32{2: {0, 100}}}); r.Received != 200 {
		t.Fatalf("received %d, want 200", r.Received)
	}
}

func TestTrailerRoundTrip(t *testing.T) {
	b := payload(77, 9)
	tr, ok := media.ParseTrailer(b)
	if !ok || tr.Index != 77 || tr.Stream != 9 || tr.SendNs != 77000 {
		t.Fatalf("got %+v %v", tr, ok)
	}
	if _, ok := media.ParseTrailer(make([]byte, 40)); ok {
		t.Fatal("a payload without trailer parsed")
	}
}
