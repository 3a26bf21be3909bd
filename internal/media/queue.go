package media

import (
	"sync"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/rtpx"
)

// The slow-sink queue.
//
// Fan-out is synchronous: a source pad calls every sink's Consume on the
// goroutine that pushes (the publisher's reader). A sink that may block —
// a decoder, a muxer writing to disk, a worker process behind a socket, a
// congested network sink — would stall every other subscriber of that
// source. Such an element consumes through a queue instead (Core.UseQueue):
// delivery copies the packet into a reused slot and returns, and the
// element's own goroutine calls Consume (the slot holds a reference to the
// packet's PacketBuf, a copy only for a packet without one). When the queue is full, packets
// are dropped; a video pad then drops up to the start of the next keyframe
// (a decoder cannot use what follows a gap) and asks upstream for one,
// at most once per KeyframeInterval. Drops are counted in QueueStats.
//
// Which sinks queue: elements that decode, encode, mix, write files or
// hand media to another process call UseQueue when they are created. The
// WebRtcEndpoint and PassThrough do not: their Consume only rewrites a
// header and hands the packet to a non-blocking send (or to the next
// pads), the zero-copy forwarding path; a WebRTC sink may opt in with the
// same call when its link congests.

// QueueConfig configures an element's input queue; zero fields take the defaults.
type QueueConfig struct {
	// Packets is the capacity (default 256: about a second of 720p video
	// with its audio).
	Packets int
	// MaxPacketBytes is the largest packet (payload, and the header when it
	// has CSRC or extensions) kept; larger ones are dropped (default 64 KiB,
	// a data-channel message).
	MaxPacketBytes int
	// KeyframeInterval is the least time between two keyframe requests
	// made while waiting for a keyframe (default 300 ms).
	KeyframeInterval time.Duration
}

// Queue defaults.
const (
	DefaultQueuePackets          = 256
	DefaultQueueMaxPacketBytes   = 64 << 10
	DefaultQueueKeyframeInterval = 300 * time.Millisecond
)

// QueueStats are the counters of an element's input queue.
type QueueStats struct {
	Capacity         int
	Queued           int    // packets waiting now
	Delivered        uint64 // packets handed to Consume
	Dropped          uint64 // packets never delivered: queue full, waiting for a keyframe, too large
	Overflows        uint64 // packets that found the queue full
	KeyframeRequests uint64 // keyframes asked upstream after drops
}

// UseQueue makes the element consume through a bounded queue served by a
// goroutine of its own (see the package comment above QueueConfig). Call
// it once, after Init and before connecting. Detach stops the goroutine
// and waits for it: an element whose Consume may block must make it
// return before calling Detach.
func (c *Core) UseQueue(cfg QueueConfig) {
	if cfg.Packets <= 0 {
		cfg.Packets = DefaultQueuePackets
	}
	if cfg.MaxPacketBytes <= 0 {
		cfg.MaxPacketBytes = DefaultQueueMaxPacketBytes
	}
	if cfg.KeyframeInterval <= 0 {
		cfg.KeyframeInterval = DefaultQueueKeyframeInterval
	}
	// One slot more than the capacity: the packet being consumed keeps
	// its slot until Consume returns.
	q := &inputQueue{core: c, cfg: cfg, slots: make([]queuedPacket, cfg.Packets+1),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if !c.input.CompareAndSwap(nil, q) {
		return
	}
	go q.serve()
}

// QueueStats returns the counters of the element's input queue; false
// when it consumes without one.
func (c *Core) QueueStats() (QueueStats, bool) {
	q := c.input.Load()
	if q == nil {
		return QueueStats{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	st := q.stats
	st.Capacity, st.Queued = q.cfg.Packets, q.count
	if q.consuming {
		st.Queued--
	}
	return st, true
}

// stopQueue stops the queue goroutine and waits for it (Detach).
func (c *Core) stopQueue() {
	q := c.input.Load()
	if q == nil {
		return
	}
	q.mu.Lock()
	already := q.closed
	q.closed = true
	q.mu.Unlock()
	if !already {
		close(q.stop)
	}
	<-q.done
}

// inputQueue is a ring of reused packet slots: many producers (the
// goroutines pushing into the element's sink pads), one consumer.
type inputQueue struct {
	core *Core
	cfg  QueueConfig
	wake chan struct{} // a packet was queued
	stop chan struct{} // closed by stopQueue
	done chan struct{} // closed when serve returns

	mu        sync.Mutex // guards the fields below and every sink pad's dropping flag
	slots     []queuedPacket
	head      int // the oldest queued slot; the one being consumed
	count     int
	closed    bool
	stats     QueueStats
	consuming bool  // the head slot is in Consume
	lastAsk   int64 // clock time of the last keyframe request
	kfCodec   *Codec
	kfStart   func([]byte) bool
}

// queuedPacket holds one packet: a reference to its PacketBuf, or (a
// packet larger than one, such as a data-channel message) a copy whose
// bytes and header lists live in storage reused from packet to packet.
type queuedPacket struct {
	pad  *SinkPad
	held *PacketBuf // the packet, when it fits a PacketBuf
	pkt  Packet     // the copy otherwise
	buf  []byte     // the copy's marshalled header when it has lists, then the payload
	hdr  rtp.Header // parsed back from buf: its lists point into buf
}

// packet is the queued packet.
func (s *queuedPacket) packet() *Packet {
	if s.held != nil {
		return s.held.Packet()
	}
	return &s.pkt
}

// clear drops the slot's hold on its packet.
func (s *queuedPacket) clear() {
	if s.held != nil {
		s.held.Release()
		s.held = nil
	}
	s.pad = nil
}

// push copies pkt into the queue, or drops it (see QueueConfig).
func (q *inputQueue) push(pad *SinkPad, pkt *Packet, now int64) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	ask := false
	switch {
	case pad.dropping && !q.startsKeyframeLocked(pkt):
		q.stats.Dropped++
		ask = q.askLocked(now)
	case q.count == len(q.slots):
		q.stats.Dropped++
		q.stats.Overflows++
		ask = q.gapLocked(pad, now)
	case !q.slots[(q.head+q.count)%len(q.slots)].copyFrom(pad, pkt, q.cfg.MaxPacketBytes):
		q.stats.Dropped++
		ask = q.gapLocked(pad, now)
	default:
		pad.dropping = false
		q.count++
	}
	q.mu.Unlock()
	if ask {
		pad.RequestKeyframe()
		return
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// gapLocked records a lost packet: a video pad drops up to the next
// keyframe; it reports whether to ask upstream for one now.
func (q *inputQueue) gapLocked(pad *SinkPad, now int64) bool {
	if pad.mediaType != Video {
		return false
	}
	pad.dropping = true
	return q.askLocked(now)
}

// askLocked rate-limits keyframe requests.
func (q *inputQueue) askLocked(now int64) bool {
	if q.stats.KeyframeRequests > 0 && now-q.lastAsk < int64(q.cfg.KeyframeInterval) {
		return false
	}
	q.lastAsk = now
	q.stats.KeyframeRequests++
	return true
}

// startsKeyframeLocked reports whether pkt starts a keyframe; true when
// the codec's keyframes cannot be found (nothing better to wait for).
func (q *inputQueue) startsKeyframeLocked(pkt *Packet) bool {
	if pkt.Codec == nil {
		return true
	}
	if pkt.Codec != q.kfCodec {
		q.kfCodec, q.kfStart = pkt.Codec, rtpx.KeyframeStart(pkt.Codec.MimeType)
	}
	return q.kfStart == nil || q.kfStart(pkt.Payload)
}

// copyFrom makes s hold pkt; false when it is larger than max bytes (or
// its header cannot be marshalled). It allocates only while a slot's own
// storage grows to the largest oversized packet seen.
func (s *queuedPacket) copyFrom(pad *SinkPad, pkt *Packet, max int) bool {
	if pkt.Header.MarshalSize()+len(pkt.Payload) <= max {
		if b := HoldPacket(pkt); b != nil {
			s.pad, s.held = pad, b
			return true
		}
	}
	lists := len(pkt.Header.CSRC) > 0 || len(pkt.Header.Extensions) > 0
	hdrSize := 0
	if lists {
		hdrSize = pkt.Header.MarshalSize()
	}
	need := hdrSize + len(pkt.Payload)
	if need > max {
		return false
	}
	if cap(s.buf) < need {
		s.buf = make([]byte, (need+511)&^511)
	}
	s.pad, s.pkt = pad, *pkt
	if lists {
		// The extensions' bytes are only reachable through marshalling:
		// write the header into the slot and parse it back from there.
		n, err := pkt.Header.MarshalTo(s.buf)
		if err != nil {
			return false
		}
		if _, err := s.hdr.Unmarshal(s.buf[:n]); err != nil {
			return false
		}
		s.hdr.PaddingSize = pkt.Header.PaddingSize
		s.pkt.Header = s.hdr
	}
	n := copy(s.buf[hdrSize:], pkt.Payload)
	s.pkt.Payload = s.buf[hdrSize : hdrSize+n : hdrSize+n]
	return true
}

// dropAll releases what is still queued when the queue stops.
func (q *inputQueue) dropAll() {
	q.mu.Lock()
	defer q.mu.Unlock()
	for ; q.count > 0; q.count-- {
		q.slots[q.head].clear()
		q.head = (q.head + 1) % len(q.slots)
	}
}

// serve hands queued packets to the element's Consume, oldest first, until
// stopQueue. Packets still queued then are dropped.
func (q *inputQueue) serve() {
	defer close(q.done)
	defer q.dropAll()
	h := q.core.handler
	for {
		select {
		case <-q.stop:
			return
		case <-q.wake:
		}
		for {
			q.mu.Lock()
			if q.closed || q.count == 0 {
				q.mu.Unlock()
				break
			}
			s := &q.slots[q.head]
			q.consuming = true
			q.mu.Unlock()
			h.Consume(s.pad, s.packet()) // the slot is ours until head moves on
			q.mu.Lock()
			q.consuming = false
			s.clear()
			q.head = (q.head + 1) % len(q.slots)
			q.count--
			q.stats.Delivered++
			q.mu.Unlock()
		}
	}
}
