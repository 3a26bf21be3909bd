package media

import (
	"sync"
	"sync/atomic"
	"time"
)

// History defaults: how much of a video source is kept for retransmission.
const (
	// DefaultHistorySlots bounds the packets kept (a power of two): 1 s of
	// video up to ~8 Mb/s.
	DefaultHistorySlots = 1024
	// DefaultHistoryRetention is how long a packet stays resendable: longer
	// than any round trip worth repairing.
	DefaultHistoryRetention = time.Second
)

// SourceRing is the recent history of one video source pad: the packets
// pushed through it in the last Retention, kept by reference (PacketBuf)
// for every sink to answer its receivers' NACKs from. One history per
// source replaces one copy per sink: the payload is shared by all of them,
// and each sink keeps only a small map of its own sequence numbers to the
// source's (LiveKit's sequencer, with the payload shared).
//
// Put is for the producers of the pad (serialized by a mutex: a source
// switch may briefly push from two goroutines); Get may be called from any
// goroutine without a lock.
type SourceRing struct {
	slots     []atomic.Pointer[PacketBuf]
	mask      uint64
	retention int64

	mu    sync.Mutex // guards the producer state below
	times []int64    // pipeline clock when each slot was filled
	head  uint64     // highest extended sequence number put
	tail  uint64     // oldest slot that may still hold a packet
	last  uint64     // highest extended sequence number Extend returned (0: none yet)

	wanted    atomic.Uint64 // highest extended sequence number a sink forwarded or waited for (MarkWanted)
	congested atomic.Bool   // a simulcast layer losing too much to be worth repairing (SetCongested)
	heldUntil atomic.Int64  // no repairs before then (HoldRepairs; Monotime ns)
	collapsed atomic.Int64  // viewers pass over the layer until then (MarkCollapse; Monotime ns)
	repair    atomic.Int64  // how long its publisher's repairs take (NoteRepairs; ns)
	repairEnd atomic.Int64  // until then its publisher's uplink counts as needing repairs (Monotime ns)
}

// NewSourceRing makes a history of slots packets (rounded up to a power of
// two) kept for retention.
func NewSourceRing(slots int, retention time.Duration) *SourceRing {
	n := 1
	for n < slots {
		n <<= 1
	}
	return &SourceRing{slots: make([]atomic.Pointer[PacketBuf], n), mask: uint64(n - 1),
		retention: int64(retention), times: make([]int64, n)}
}

// Extend turns a 16-bit RTP sequence number into the ring's extended
// sequence number (RFC 3550 A.1 unwrapping; the first is 1<<16 + seq so
// that packets slightly older than the first still have a number).
func (r *SourceRing) Extend(seq uint16) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == 0 {
		r.last = 1<<16 | uint64(seq)
		return r.last
	}
	ext := uint64(int64(r.last) + int64(int16(seq-uint16(r.last))))
	r.last = max(r.last, ext)
	return ext
}

// put stores b (already published, with its history set to r) and
// releases what is older than the retention. It takes its own reference.
func (r *SourceRing) put(b *PacketBuf, now int64) {
	ext := b.ext
	b.Retain()
	r.mu.Lock()
	defer r.mu.Unlock()
	size := uint64(len(r.slots))
	switch {
	case r.head == 0:
		r.head, r.tail = ext, ext
	case ext > r.head+size || ext+size < r.tail:
		// A jump (a new stream on the pad): nothing kept relates to it.
		r.clearLocked()
		r.head, r.tail = ext, ext
	case ext > r.head:
		r.head = ext
	case ext < r.tail:
		r.tail = ext // a late packet: expire it too
	}
	i := ext & r.mask
	if old := r.slots[i].Swap(b); old != nil {
		old.Release()
	}
	r.times[i] = now
	if r.head-r.tail >= size {
		r.tail = r.head - size + 1 // older slots were overwritten
	}
	for r.tail < r.head && now-r.times[r.tail&r.mask] > r.retention {
		if old := r.slots[r.tail&r.mask].Swap(nil); old != nil {
			old.Release()
		}
		r.tail++
	}
}

// Get returns the packet with extended sequence number ext, retained (the
// caller releases it), or nil when it is no longer (or never was) kept.
func (r *SourceRing) Get(ext uint64) *PacketBuf {
	b := r.slots[ext&r.mask].Load()
	if b == nil || !b.TryRetain() {
		return nil
	}
	// The pointer may have been reused for another packet since it was
	// loaded: check it is still the one asked for.
	if b.ring != r || b.ext != ext {
		b.Release()
		return nil
	}
	return b
}

// Head is the highest extended sequence number put (0 before the first).
func (r *SourceRing) Head() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.head
}

// ExtendLow returns the extended sequence number whose low 32 bits are low,
// nearest below or at head: how a sink that stored 32 bits finds the packet.
func ExtendLow(head uint64, low uint32) uint64 {
	return head - uint64(uint32(head)-low)
}

// Close releases every packet kept.
func (r *SourceRing) Close() {
	r.mu.Lock()
	r.clearLocked()
	r.mu.Unlock()
}

func (r *SourceRing) clearLocked() {
	for i := range r.slots {
		if old := r.slots[i].Swap(nil); old != nil {
			old.Release()
		}
	}
}

// Held is the number of packets kept now (tests, stats).
func (r *SourceRing) Held() int {
	n := 0
	for i := range r.slots {
		if r.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

// MarkWanted notes that a sink forwarded the packet ext of this history,
// or waits for the stream (a simulcast layer it is switching to).
func (r *SourceRing) MarkWanted(ext uint64) {
	if ext > r.wanted.Load() {
		r.wanted.Store(ext)
	}
}

// SetCongested marks a simulcast layer whose losses are not worth
// repairing: a layer above the lowest that lost most of its packets (a
// publisher's full uplink), which every sink passes over.
func (r *SourceRing) SetCongested(c bool) {
	if r.congested.Load() != c {
		r.congested.Store(c)
	}
}

// HoldRepairs makes the layer not worth repairing until then (Monotime ns):
// its publisher's uplink is congested (webrtcep's uplink watch sees it
// within a 250 ms tick, before any sink's loss window closes).
func (r *SourceRing) HoldRepairs(until int64) {
	if until > r.heldUntil.Load() {
		r.heldUntil.Store(until)
	}
}

// MarkCollapse notes that the layer's publisher's uplink collapsed (its
// queue stands at a fraction of the rate before: webrtcep's delay watch)
// until then: viewers pass over the layer (LayerSwitch.Fit).
func (r *SourceRing) MarkCollapse(until int64) {
	if until > r.collapsed.Load() {
		r.collapsed.Store(until)
	}
}

// NoteRepairs notes that the publisher's uplink needs repairs (its lost
// packets arrive as retransmissions, delay after they were first asked
// for) and counts as needing them until then (Monotime ns): viewers'
// egress asks their jitter buffers to wait for the repairs
// (egress/playout.go).
func (r *SourceRing) NoteRepairs(delay time.Duration, until int64) {
	r.repair.Store(int64(delay))
	r.repairEnd.Store(until)
}

// RepairDelay is the repair delay NoteRepairs noted, 0 once its time is
// over (the uplink is clean) or when none was noted.
func (r *SourceRing) RepairDelay(now int64) time.Duration {
	if r.repairEnd.Load() <= now {
		return 0
	}
	return time.Duration(r.repair.Load())
}

// Collapsing reports whether MarkCollapse holds at now.
func (r *SourceRing) Collapsing(now int64) bool { return r.collapsed.Load() > now }

// Wanted reports whether a sink wanted a packet still kept (MarkWanted
// within about DefaultHistoryRetention) of a layer not congested: a
// simulcast layer no viewer gets is not worth repairing, nor one whose
// retransmissions would take what is left of a full uplink (Chrome sends
// them before its media: after a drop to 600 kbit/s, 720p repairs held
// back every packet of 180p, keyframe included, for 2–3 s).
func (r *SourceRing) Wanted() bool {
	if r.congested.Load() || r.heldUntil.Load() > Monotime() {
		return false
	}
	return r.Watched()
}

// Watched reports whether a sink forwarded or waited for a packet still
// kept (MarkWanted within about DefaultHistoryRetention), congested or not:
// a layer no viewer gets (not watched) is one whose old losses no viewer
// will ever need.
func (r *SourceRing) Watched() bool {
	w := r.wanted.Load()
	r.mu.Lock()
	defer r.mu.Unlock()
	return w != 0 && w >= r.tail
}

// holds reports whether the packet ext is kept already: a video packet
// that arrives twice (a publisher's bandwidth probe sent as RTX copies of
// packets we have — Chrome does — or a repair that crossed the original)
// is not passed on again. Forwarded, Chrome's probes doubled what a
// viewer of its lowest layer received, up to 2 Mbit/s.
func (r *SourceRing) holds(ext uint64) bool {
	b := r.Get(ext)
	if b == nil {
		return false
	}
	b.Release()
	return true
}
