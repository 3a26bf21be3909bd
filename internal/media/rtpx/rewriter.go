package rtpx

import "github.com/pion/rtp"

// Rewriter maps the sequence numbers and timestamps of whatever source feeds
// a sink onto one continuous output stream. When the source changes (new
// SSRC, or a new connection), the next packet continues right after the
// last one sent, with the timestamp advanced by the wall-clock gap, so the
// receiver never sees a jump or a new stream. The zero value is ready to
// use; it is not safe for concurrent use.
type Rewriter struct {
	started  bool
	reanchor bool // set by Reanchor
	startSet bool // StartAt was called
	startSeq uint16
	srcSSRC  uint32

	seqOffset uint16
	tsOffset  uint32

	srcTop   uint16  // newest source sequence number seen (forwarded or skipped)
	srcFirst uint16  // the source's first packet forwarded (its anchor)
	skips    skipLog // where seqOffset moved down (Skip), for late packets

	lastSeq uint16 // last output sequence number (highest, modulo wrap)
	lastTS  uint32 // output timestamp of lastSeq
	lastAt  int64  // monotonic ns when lastSeq was sent
}

// SeqNewer reports whether a is after b in RFC 3550 sequence space.
func SeqNewer(a, b uint16) bool { return a != b && a-b < 0x8000 }

// StartAt makes the first output sequence number seq (instead of the first
// source packet's): tests use it to reach a rollover-counter wrap quickly.
func (r *Rewriter) StartAt(seq uint16) { r.startSet, r.startSeq = true, seq }

// Reanchor makes the next packet continue the output stream even if it
// keeps the SSRC of the previous source (a new connection).
func (r *Rewriter) Reanchor() { r.reanchor = true }

// Rewrite changes h in place. now is a monotonic time in nanoseconds,
// clockRate the codec's RTP clock.
func (r *Rewriter) Rewrite(h *rtp.Header, clockRate uint32, now int64) {
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
		} else if r.startSet {
			r.seqOffset = r.startSeq - h.SequenceNumber
		}
		r.started, r.reanchor, r.srcSSRC = true, false, h.SSRC
		r.lastSeq = h.SequenceNumber + r.seqOffset - 1
		r.srcTop, r.srcFirst, r.skips = h.SequenceNumber-1, h.SequenceNumber, skipLog{}
	}
	switch off := r.seqOffset; {
	case SeqNewer(h.SequenceNumber, r.srcTop):
		r.srcTop = h.SequenceNumber
		if h.SequenceNumber-r.srcFirst > 0x4000 {
			r.srcFirst = h.SequenceNumber - 0x4000 // no packet comes this late: keeps BeforeFirst exact across wraps
		}
		h.SequenceNumber += off
	default: // late: the offset before the skips after it
		h.SequenceNumber += r.skips.offsetAt(h.SequenceNumber, off, 0xffff)
	}
	h.Timestamp += r.tsOffset
	if SeqNewer(h.SequenceNumber, r.lastSeq) {
		r.lastSeq, r.lastTS, r.lastAt = h.SequenceNumber, h.Timestamp, now
	}
}

// Holds reports whether the output has a number for h, a late packet (a
// repair) of the source being forwarded: the packets after it were
// numbered already, so its number is a hole only it can fill, whether or
// not it is wanted (or it went out under it already, and goes again).
// False for a packet newer than any seen, one of another source, one
// older than the source's first packet (those numbers are the previous
// source's), one skipped, or one older than the skips remembered.
func (r *Rewriter) Holds(h *rtp.Header) bool {
	if !r.started || r.reanchor || h.SSRC != r.srcSSRC || !SeqNewer(r.srcTop, h.SequenceNumber) ||
		r.BeforeFirst(h) {
		return false
	}
	return r.skips.holds(h.SequenceNumber, 0xffff)
}

// BeforeFirst reports whether h, a packet of the source being forwarded,
// is older than the first one forwarded of it (a repair of a simulcast
// layer from before the keyframe the output switched to it at): its
// numbers went to the previous source, so it would reuse one, or fill the
// previous source's hole with a packet of another stream. Drop it.
func (r *Rewriter) BeforeFirst(h *rtp.Header) bool {
	return r.started && !r.reanchor && h.SSRC == r.srcSSRC && h.SequenceNumber-r.srcFirst >= 0x8000
}

// Skip tells the rewriter that a packet of the source being forwarded is
// dropped on purpose (a frame of a temporal layer above the viewer's): the
// packets after it move down one sequence number, so the receiver sees no
// gap. A late packet keeps its gap (the packets after it were numbered
// already); a packet of a new source changes nothing (its first forwarded
// packet re-anchors).
func (r *Rewriter) Skip(h *rtp.Header) {
	if !r.started || r.reanchor || h.SSRC != r.srcSSRC || !SeqNewer(h.SequenceNumber, r.srcTop) {
		return
	}
	r.skips.add(h.SequenceNumber, r.seqOffset)
	r.seqOffset--
	r.srcTop = h.SequenceNumber
}
