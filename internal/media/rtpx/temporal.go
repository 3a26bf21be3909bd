package rtpx

import "github.com/pion/rtp"

// MaxTID is the highest VP8 temporal layer index (2 bits).
const MaxTID = 3

// TemporalFilter forwards the frames of a VP8 stream's temporal layers up
// to a target and drops the others, whole frames only: it moves down at
// any frame, and up one layer at a frame of that layer with the layer-sync
// bit (Y: it depends only on base-layer frames, all forwarded) or at a
// keyframe, so no frame forwarded refers to one that was dropped. Packets
// without a TID (the T bit) are all forwarded. Frames are told apart by
// their RTP timestamp; the decision for each of the last few frames is
// kept so a late packet gets its frame's. A new source SSRC (the forwarder
// moved to another simulcast layer, at a keyframe) starts afresh. The zero
// value forwards every layer; not safe for concurrent use.
type TemporalFilter struct {
	cur, target int8 // highest TID forwarded, and wanted
	set         bool // target set (else every layer)
	started     bool // a frame of ssrc was seen
	ssrc        uint32
	frames      [8]frameVerdict
	head        int
}

type frameVerdict struct {
	ts      uint32
	fwd, ok bool
}

// SetTarget sets the highest temporal layer to forward (MaxTID: all).
func (f *TemporalFilter) SetTarget(tid int) {
	f.target, f.set = int8(min(max(tid, 0), MaxTID)), true
}

// Target is the highest temporal layer wanted.
func (f *TemporalFilter) Target() int {
	if !f.set {
		return MaxTID
	}
	return int(f.target)
}

// Current is the highest temporal layer being forwarded (-1: no frame
// with a TID yet).
func (f *TemporalFilter) Current() int {
	if !f.started {
		return -1
	}
	return int(f.cur)
}

// Accept reports whether the packet with descriptor d and header h goes
// on.
func (f *TemporalFilter) Accept(d *VP8Descriptor, h *rtp.Header) bool {
	if !d.HasTID {
		return true
	}
	if !f.set {
		f.target = MaxTID
	}
	if !f.started || h.SSRC != f.ssrc {
		f.started, f.ssrc, f.frames, f.cur = true, h.SSRC, [8]frameVerdict{}, f.target
	}
	last := &f.frames[(f.head+len(f.frames)-1)%len(f.frames)]
	if last.ok && h.Timestamp == last.ts {
		return last.fwd
	}
	if last.ok && int32(h.Timestamp-last.ts) < 0 { // a late packet of an older frame
		for _, v := range f.frames {
			if v.ok && v.ts == h.Timestamp {
				return v.fwd
			}
		}
		return int8(d.TID) <= f.cur
	}
	tid := int8(d.TID)
	switch {
	case d.Keyframe:
		f.cur = f.target
	case f.target < f.cur:
		f.cur = f.target
	case f.target > f.cur && d.Sync && tid == f.cur+1:
		f.cur = tid
	}
	fwd := tid <= f.cur
	f.frames[f.head] = frameVerdict{ts: h.Timestamp, fwd: fwd, ok: true}
	f.head = (f.head + 1) % len(f.frames)
	return fwd
}
