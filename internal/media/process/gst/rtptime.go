//go:build cgo

package gst

import (
	"encoding/binary"
	"sync"
	"time"
)

// rtpTimeline stamps the packets of one input of a ProcNone leg with
// presentation times read from their RTP timestamps: the unwrapped
// timestamp over the clock rate, counted from RTP time 0. The leg's
// payloaders start at RTP time 0 too (timestamp-offset=0), so an output
// packet's RTP time is the input RTP time it was made from, in the output's
// clock: gorento maps it back to when that input arrived (package
// workerleg), whatever the worker dropped or delayed on the way. Arrival
// stamps (do-timestamp) would carry the worker's own delays instead.
type rtpTimeline struct {
	mu   sync.Mutex
	rate int64
	last uint32 // newest raw timestamp
	ext  int64  // its unwrapped value; unwrapping starts at 0, as gorento's does
}

func newRTPTimeline(rate uint32) *rtpTimeline { return &rtpTimeline{rate: int64(max(rate, 1))} }

// pts returns the presentation time of an RTP packet (at least 12 bytes).
func (t *rtpTimeline) pts(pkt []byte) time.Duration {
	ts := binary.BigEndian.Uint32(pkt[4:8])
	t.mu.Lock()
	d := int64(int32(ts - t.last))
	ext := t.ext + d
	if d > 0 {
		t.last, t.ext = ts, ext
	}
	t.mu.Unlock()
	if ext < 0 { // a packet from before the first one: the start of the stream
		ext = 0
	}
	return time.Duration(ext/t.rate)*time.Second + time.Duration(ext%t.rate)*time.Second/time.Duration(t.rate)
}
