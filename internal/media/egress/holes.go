package egress

import (
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// A stuck hole: a number nothing was sent under (the packet never reached
// us: the publisher's repairs gave up, or it was lost on a path we do not
// repair), after the newest keyframe start sent, that its receiver still
// NACKs holeStuck after its first NACK. Every frame after it may wait on
// it (issue 15, 10 % loss: a viewer got packets but completed no frame for
// 1–8 s, until its own PLI), so a keyframe is asked for, at most every
// holeRetry. Holes before that keyframe stop nothing: no frame after it
// refers to them.
const (
	holeStuck = int64(400 * time.Millisecond)
	holeRetry = int64(time.Second)
)

// noteKeyframe notes the output number of a forwarded keyframe start.
func (d *Downtrack) noteKeyframe(pkt *media.Packet, outSeq uint16) {
	if d.kind != media.Video || !d.keyframeStart(pkt) {
		return
	}
	if !d.kfSent || rtpx.SeqNewer(outSeq, d.kfOut) {
		d.kfSent, d.kfOut = true, outSeq
	}
}

// unanswered handles a NACK for seq that could not be answered: a keyframe
// is asked for when seq is a stuck hole (and the track does not wait for
// one already).
func (d *Downtrack) unanswered(seq uint16, now int64) {
	if !d.kfSent || d.gap.Load() || rtpx.SeqNewer(d.kfOut, seq) || rtpx.SeqNewer(seq, uint16(d.outTop)) {
		return
	}
	if !d.seq.hole(seq, now, holeStuck) || d.holeAsked != 0 && now-d.holeAsked < holeRetry {
		return
	}
	d.holeAsked = now
	if d.onGap != nil {
		d.onGap()
	}
}

// hole notes a NACK at now for outSeq, under which nothing was sent; it
// reports whether the first came stuck or longer ago.
func (s *Sequencer) hole(outSeq uint16, now, stuck int64) bool {
	e := &s.entries[outSeq%sequencerSize]
	if e.valid && e.outSeq == outSeq {
		return false // sent: not answered for the gap or the budget
	}
	ms := uint32(now/int64(time.Millisecond)) | 1
	if e.outSeq != outSeq || e.resentMs == 0 {
		*e = seqEntry{outSeq: outSeq, resentMs: ms} // the slot's older packet is long past its NACKs
		return false
	}
	return int64(ms-e.resentMs)*int64(time.Millisecond) >= stuck
}
