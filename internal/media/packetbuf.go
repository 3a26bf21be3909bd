package media

import (
	"sync"
	"sync/atomic"
)

// PacketBufSize is the largest packet a PacketBuf holds: an Ethernet MTU,
// what WebRTC peers send.
const PacketBufSize = 1500

// PacketBuf is the pooled, reference-counted storage of one packet: its
// bytes and the Packet parsed from them (whose header lists and payload
// point into the bytes). It lets every consumer that outlives a Push — the
// source's retransmission history, a slow sink's queue, an egress worker —
// keep the packet without copying it.
//
// The protocol (race-free without locks on the packet):
//   - GetPacketBuf returns a buffer nobody else holds (refs 0); only its
//     producer writes it, then Publish sets refs to 1 (the producer's
//     reference). Nobody writes a buffer whose refs are above 0.
//   - Whoever keeps it calls Retain (or TryRetain, for a pointer found in
//     shared memory such as a SourceRing slot) and Release when done; at 0
//     it returns to the pool.
//
// A Packet with Buf set is the Packet inside that buffer (HoldPacket checks).
type PacketBuf struct {
	refs atomic.Int32
	ring *SourceRing // history it belongs to (set before Publish; nil = none)
	ext  uint64      // extended sequence number in ring
	n    int         // bytes in data
	pkt  Packet
	data [PacketBufSize]byte
}

// bufPool keeps released buffers for reuse: a stack under a mutex, bounded
// (beyond maxPooledBufs they are left to the garbage collector). Why not
// sync.Pool: under the race detector it drops a quarter of what it is
// given, so the zero-allocation tests could not run in the -race CI; a
// buffer is taken and returned once per source packet, not per sink, so
// one uncontended lock pair each way is cheap.
var bufPool = struct {
	mu   sync.Mutex // guards free
	free []*PacketBuf
}{free: make([]*PacketBuf, 0, maxPooledBufs)}

// maxPooledBufs bounds the free buffers kept (~3.5 MB).
const maxPooledBufs = 2048

// bufStats counts buffers taken from and returned to the pool (tests: a
// leak shows as a growing difference).
var bufStats struct{ got, put atomic.Int64 }

// GetPacketBuf returns an empty buffer, held by nobody (refs 0).
func GetPacketBuf() *PacketBuf {
	var b *PacketBuf
	bufPool.mu.Lock()
	if n := len(bufPool.free); n > 0 {
		b = bufPool.free[n-1]
		bufPool.free[n-1] = nil
		bufPool.free = bufPool.free[:n-1]
	}
	bufPool.mu.Unlock()
	if b == nil {
		b = new(PacketBuf)
	}
	bufStats.got.Add(1)
	b.pkt.Buf = b
	return b
}

// PacketBufsOut is the number of buffers taken from the pool and not
// returned yet.
func PacketBufsOut() int64 { return bufStats.got.Load() - bufStats.put.Load() }

// Data is the buffer's whole storage, to read a packet into.
func (b *PacketBuf) Data() []byte { return b.data[:] }

// Packet is the packet the buffer holds.
func (b *PacketBuf) Packet() *Packet { return &b.pkt }

// Ext is the packet's extended sequence number in its history (0 without one).
func (b *PacketBuf) Ext() uint64 { return b.ext }

// Ring is the history the packet belongs to (nil for none).
func (b *PacketBuf) Ring() *SourceRing {
	if b == nil {
		return nil
	}
	return b.ring
}

// ParseRTP parses the first n bytes of Data as an RTP packet into Packet
// (header lists and payload point into the buffer; the payload excludes
// padding, whose length stays in Header.PaddingSize). Before Publish only.
func (b *PacketBuf) ParseRTP(n int) bool {
	if n <= 0 || n > len(b.data) {
		return false
	}
	buf := b.data[:n]
	h := &b.pkt.Header
	hl, err := h.Unmarshal(buf)
	if err != nil || h.Version != 2 {
		return false
	}
	end := n
	h.PaddingSize = 0
	if h.Padding {
		if end <= hl || buf[end-1] == 0 {
			return false
		}
		h.PaddingSize = buf[end-1]
		end -= int(h.PaddingSize)
	}
	if end < hl {
		return false
	}
	b.n = n
	b.pkt.Payload = buf[hl:end:end]
	return true
}

// Publish hands the written buffer to its producer as its first reference.
func (b *PacketBuf) Publish() {
	if !b.refs.CompareAndSwap(0, 1) {
		panic("media: PacketBuf published while held")
	}
}

// Retain adds a reference; the caller must already hold one.
func (b *PacketBuf) Retain() { b.refs.Add(1) }

// TryRetain adds a reference if the buffer is still held by someone
// (refs > 0); false when it was released, and may be reused.
func (b *PacketBuf) TryRetain() bool {
	for {
		r := b.refs.Load()
		if r <= 0 {
			return false
		}
		if b.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// Release drops a reference; the last one returns the buffer to the pool.
func (b *PacketBuf) Release() {
	switch r := b.refs.Add(-1); {
	case r > 0:
		return
	case r < 0:
		panic("media: PacketBuf released more often than retained")
	}
	b.free()
}

// Free returns a buffer that was never published (refs 0) to the pool.
func (b *PacketBuf) Free() {
	if b.refs.Load() != 0 {
		panic("media: Free of a published PacketBuf")
	}
	b.free()
}

func (b *PacketBuf) free() {
	poison(b)
	b.ring, b.ext, b.n = nil, 0, 0
	ext, csrc := b.pkt.Header.Extensions[:0], b.pkt.Header.CSRC[:0]
	b.pkt = Packet{}
	b.pkt.Header.Extensions, b.pkt.Header.CSRC = ext, csrc
	bufStats.put.Add(1)
	bufPool.mu.Lock()
	if len(bufPool.free) < maxPooledBufs {
		bufPool.free = append(bufPool.free, b)
	}
	bufPool.mu.Unlock()
}

// setHistory records the ring and extended sequence number (before Publish).
func (b *PacketBuf) setHistory(r *SourceRing, ext uint64) { b.ring, b.ext = r, ext }

// HoldPacket returns a reference to pkt's storage for a consumer that keeps
// the packet after Consume returns: pkt's own buffer, retained, or a copy in
// a new buffer (published, refs 1) when it has none; nil when the packet is
// larger than a PacketBuf. Release the result when done.
func HoldPacket(pkt *Packet) *PacketBuf {
	if b := pkt.Buf; b != nil && &b.pkt == pkt {
		b.Retain()
		return b
	}
	b := GetPacketBuf()
	if !b.copyFrom(pkt) {
		b.Free()
		return nil
	}
	b.Publish()
	return b
}

// copyFrom makes the buffer hold a copy of pkt; false when it does not fit.
func (b *PacketBuf) copyFrom(pkt *Packet) bool {
	h := pkt.Header
	lists := len(h.CSRC) > 0 || len(h.Extensions) > 0
	hdr := 0
	if lists {
		hdr = h.MarshalSize()
	}
	if hdr+len(pkt.Payload) > len(b.data) {
		return false
	}
	keep := b.pkt.Header
	b.pkt = *pkt
	b.pkt.Buf = b
	if lists {
		// The lists' bytes are reachable only by marshalling: write the
		// header into the buffer and parse it back from there.
		n, err := h.MarshalTo(b.data[:])
		if err != nil {
			return false
		}
		keep.Extensions, keep.CSRC = keep.Extensions[:0], keep.CSRC[:0]
		if _, err := keep.Unmarshal(b.data[:n]); err != nil {
			return false
		}
		keep.PaddingSize = h.PaddingSize
		b.pkt.Header = keep
	} else {
		b.pkt.Header.Extensions, b.pkt.Header.CSRC = keep.Extensions[:0], keep.CSRC[:0]
	}
	n := copy(b.data[hdr:], pkt.Payload)
	b.pkt.Payload = b.data[hdr : hdr+n : hdr+n]
	b.n = hdr + n
	return true
}
