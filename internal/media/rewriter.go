package media

import "github.com/pion/rtp"

// rewriter maps the sequence numbers and timestamps of whatever source feeds
// a sink onto one continuous output stream. When the source changes (new
// SSRC, or a new connection), the next packet continues right after the
// last one sent, with the timestamp advanced by the wall-clock gap, so the
// receiver never sees a jump or a new stream.
type rewriter struct {
	started  bool
	reanchor bool // set when the source pad changed
	srcSSRC  uint32

	seqOffset uint16
	tsOffset  uint32

	lastSeq uint16 // last output sequence number (highest, modulo wrap)
	lastTS  uint32 // output timestamp of lastSeq
	lastAt  int64  // monotonic ns when lastSeq was sent
}

// seqNewer reports whether a is after b in RFC 3550 sequence space.
func seqNewer(a, b uint16) bool { return a != b && a-b < 0x8000 }

// rewrite changes h in place. now is a Monotime value, clockRate the
// codec's RTP clock.
func (r *rewriter) rewrite(h *rtp.Header, clockRate uint32, now int64) {
	if !r.started || r.reanchor || h.SSRC != r.srcSSRC {
		if r.started {
			ticks := uint32(1)
			if clockRate > 0 && now > r.lastAt {
				if t := uint64(now-r.lastAt) * uint64(clockRate) / 1e9; t > 1 {
					ticks = uint32(t)
				}
			}
			r.seqOffset = r.lastSeq + 1 - h.SequenceNumber
			r.tsOffset = r.lastTS + ticks - h.Timestamp
		}
		r.started, r.reanchor, r.srcSSRC = true, false, h.SSRC
		r.lastSeq = h.SequenceNumber + r.seqOffset - 1
	}
	h.SequenceNumber += r.seqOffset
	h.Timestamp += r.tsOffset
	if seqNewer(h.SequenceNumber, r.lastSeq) {
		r.lastSeq, r.lastTS, r.lastAt = h.SequenceNumber, h.Timestamp, now
	}
}
