//go:build cgo

package gst

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

func rtpAt(ts uint32) []byte {
	b := make([]byte, 12)
	b[0] = 0x80
	binary.BigEndian.PutUint32(b[4:], ts)
	return b
}

// TestDynamicPTS: an input's packets are timed by RTP time from the first
// one's arrival; a mixer's input falling further behind than half its
// latency is re-anchored (the mixer would drop everything it gets), a
// transcoder's only past maxSkew.
func TestDynamicPTS(t *testing.T) {
	const ms = time.Millisecond
	cases := []struct {
		name string
		kind string
		// second packet: 20 ms of RTP time after the first, arriving at
		// the first's arrival + at.
		at      time.Duration
		want    time.Duration // its pts relative to the first's arrival
		latency time.Duration
	}{
		{"on time", ipc.ProcAudioMixer, 20 * ms, 20 * ms, 400 * ms},
		{"a little late", ipc.ProcAudioMixer, 150 * ms, 20 * ms, 400 * ms},
		{"later than half the mixer's latency", ipc.ProcAudioMixer, 260 * ms, 260 * ms, 400 * ms},
		{"a transcoder keeps its timeline", ipc.ProcTranscode, 460 * ms, 20 * ms, 400 * ms},
		{"a transcoder re-anchors past maxSkew", ipc.ProcTranscode, 600 * ms, 600 * ms, 400 * ms},
		{"early", ipc.ProcComposite, -400 * ms, 20 * ms, 400 * ms},
		{"far too early", ipc.ProcComposite, -600 * ms, -600 * ms, 400 * ms},
		{"a long latency is bounded by maxSkew", ipc.ProcComposite, 540 * ms, 540 * ms, 2000 * ms},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := &dynamic{kind: tc.kind, latency: tc.latency}
			in := &dynInput{rate: 48000}
			const first = 10 * time.Second
			if got := d.ptsAt(in, rtpAt(4_294_000_000), first); got != first {
				t.Fatalf("first packet at %v, want its arrival %v", got, first)
			}
			if got := d.ptsAt(in, rtpAt(4_294_000_000+960), first+tc.at); got-first != tc.want {
				t.Errorf("second packet at first+%v, want first+%v", got-first, tc.want)
			}
		})
	}
}

// TestRTPTimeline: a ProcNone leg's presentation times are its RTP time
// from 0, across a wrap; a packet from before the first is at 0.
func TestRTPTimeline(t *testing.T) {
	tl := newRTPTimeline(90000)
	for _, tc := range []struct {
		ts   uint32
		want time.Duration
	}{
		{0, 0},
		{90000, time.Second},
		{0xffffffff - 10, 0}, // before the first: the stream's start
		{1 << 31, time.Duration(int64(1)<<31) * time.Second / 90000},
		{0xffffffff, time.Duration(int64(0xffffffff)) * time.Second / 90000},
		{89999, time.Duration(int64(1)<<32+89999) * time.Second / 90000}, // wrapped
	} {
		if got := tl.pts(rtpAt(tc.ts)); absDur(got-tc.want) > time.Microsecond {
			t.Errorf("ts %d: pts %v, want %v", tc.ts, got, tc.want)
		}
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
