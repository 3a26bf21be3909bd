package egress

import (
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// Resend limits (what the NACK responder this replaces enforced).
const (
	// DefaultResendGap is the shortest time between two resends of one
	// packet: a NACK repeated within it (or delivered to several RTCP
	// readers) is answered once.
	DefaultResendGap = 10 * time.Millisecond
	// DefaultResendBudget caps the resends of one track per second, so a
	// receiver flooding NACKs cannot make us send more than a few times
	// its media rate.
	DefaultResendBudget = 1000
)

// sequencerSize is the number of sent packets a track can resend: ~2 s of
// 720p video (the source's history keeps 1 s anyway).
const sequencerSize = 512

// Sequencer maps a track's output sequence numbers back to the source
// packets they carried, so that a NACK is answered from the source's
// shared history (media.SourceRing) instead of a copy per sink. It keeps
// 20 bytes per packet sent; the payload stays in the source's buffers.
// The idea is LiveKit's sequencer, with the payload shared.
//
// Not safe for concurrent use: its track's sender owns it.
type Sequencer struct {
	entries [sequencerSize]seqEntry
	// rings are the recent source histories, by generation: an entry names
	// the history it came from by its generation, so a NACK that arrives
	// after a source switch still finds the old source's packet, and one
	// older than four switches finds nothing rather than a wrong packet.
	rings [4]ringRef
	cur   int   // index in rings of the current source's history
	gen   uint8 // generation of rings[cur]

	budgetStart int64 // start of the current one-second budget window (ns)
	budgetUsed  int
}

type ringRef struct {
	ring *media.SourceRing
	gen  uint8
}

// seqEntry is one packet sent (20 bytes).
type seqEntry struct {
	srcExt   uint32 // low 32 bits of the source's extended sequence number
	tsDelta  uint32 // output timestamp − source timestamp when it was sent
	resentMs uint32 // ms clock of the last resend (0 = never)
	outSeq   uint16 // the output sequence number (checks the slot)
	gen      uint8  // generation of the source history
	valid    bool
	vp8      rtpx.VP8Values // the munged VP8 descriptor values it was sent with
}

// Record notes that output sequence number outSeq carried the packet ext of
// history ring (nil: the packet is not kept and cannot be resent), its
// timestamp moved by tsDelta.
func (s *Sequencer) Record(outSeq uint16, ring *media.SourceRing, ext uint64, tsDelta uint32) {
	e := &s.entries[outSeq%sequencerSize]
	if ring == nil {
		*e = seqEntry{}
		return
	}
	if ring != s.rings[s.cur].ring {
		s.cur = (s.cur + 1) % len(s.rings)
		s.gen++
		s.rings[s.cur] = ringRef{ring, s.gen}
	}
	*e = seqEntry{srcExt: uint32(ext), tsDelta: tsDelta, outSeq: outSeq, gen: s.gen, valid: true}
}

// setVP8 notes the munged VP8 values outSeq was sent with (after Record).
func (s *Sequencer) setVP8(outSeq uint16, v rtpx.VP8Values) {
	if e := &s.entries[outSeq%sequencerSize]; e.valid && e.outSeq == outSeq {
		e.vp8 = v
	}
}

// vp8Of returns the munged VP8 values outSeq was sent with.
func (s *Sequencer) vp8Of(outSeq uint16) (rtpx.VP8Values, bool) {
	e := &s.entries[outSeq%sequencerSize]
	return e.vp8, e.valid && e.outSeq == outSeq
}

// Resend is what a NACKed packet is resent from: the source packet, held
// (release it when sent), and the timestamp offset it was sent with.
type Resend struct {
	Buf     *media.PacketBuf
	TSDelta uint32
}

// Lookup finds the packet sent as outSeq for a resend at now (ns): it
// checks the resend gap and the track's budget and marks the packet
// resent. ok is false when it is unknown, no longer kept, resent within
// gap, or over budget.
func (s *Sequencer) Lookup(outSeq uint16, now int64, gap time.Duration, budget int) (Resend, bool) {
	e := &s.entries[outSeq%sequencerSize]
	if !e.valid || e.outSeq != outSeq {
		return Resend{}, false
	}
	ms := uint32(now/int64(time.Millisecond)) | 1 // never 0
	if e.resentMs != 0 && int64(ms-e.resentMs)*int64(time.Millisecond) < int64(gap) {
		return Resend{}, false
	}
	if now-s.budgetStart >= int64(time.Second) {
		s.budgetStart, s.budgetUsed = now, 0
	}
	if s.budgetUsed >= budget {
		return Resend{}, false
	}
	b := s.fetch(e)
	if b == nil {
		return Resend{}, false
	}
	e.resentMs = ms
	s.budgetUsed++
	return Resend{Buf: b, TSDelta: e.tsDelta}, true
}

// fetch returns the source packet of an entry, held (nil: no longer kept).
func (s *Sequencer) fetch(e *seqEntry) *media.PacketBuf {
	for _, r := range s.rings {
		if r.ring != nil && r.gen == e.gen {
			return r.ring.Get(media.ExtendLow(r.ring.Head(), e.srcExt))
		}
	}
	return nil
}

// NACKed calls f with each sequence number a NACK's (packet id, bitmask)
// pair names (RFC 4585 §6.2.1).
func NACKed(id, lost uint16, f func(seq uint16)) {
	f(id)
	for i := uint16(0); i < 16; i++ {
		if lost&(1<<i) != 0 {
			f(id + i + 1)
		}
	}
}
