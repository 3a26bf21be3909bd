package peer

import (
	"math/bits"
	"sync"

	"github.com/gorento/gorento/bench/internal/media"
)

// ssrcState tracks one received RTP stream: every extended sequence number
// seen (a bitmap) and the mapping from sequence number to the publisher's
// packet index learnt from decrypted samples.
type ssrcState struct {
	addr     uint64 // remote address the stream comes from
	ssrc     uint32
	started  bool
	lastSeq  uint16
	cycles   int64
	base     int64    // extended seq of bit 0
	bitmap   []uint64 // received extended seqs
	segments []segment
	passed   int // packets passed up for decryption (first few always)
	count    int // RTP packets seen
}

// segment: from extended seq From on, index = seq - Offset, of stream Stream.
type segment struct {
	From   int64
	Offset int64
	Stream uint16
}

func (s *ssrcState) extend(seq uint16) int64 {
	if !s.started {
		s.started, s.lastSeq = true, seq
		s.base = int64(seq) - 64*1024 // room for reordering below the first
		return int64(seq)
	}
	diff := int16(seq - s.lastSeq)
	if diff > 0 && seq < s.lastSeq {
		s.cycles++
	} else if diff < 0 && seq > s.lastSeq {
		// a late packet from before a wrap
		return (s.cycles-1)<<16 | int64(seq)
	}
	if diff > 0 {
		s.lastSeq = seq
	}
	return s.cycles<<16 | int64(seq)
}

func (s *ssrcState) mark(ext int64) {
	i := ext - s.base
	if i < 0 {
		return
	}
	w := int(i / 64)
	for w >= len(s.bitmap) {
		s.bitmap = append(s.bitmap, 0)
	}
	s.bitmap[w] |= 1 << (uint(i) % 64)
}

// Counter counts what the peers on one socket receive, per stream (remote
// address × SSRC). The socket reader calls observe for every RTP packet;
// the peers' track readers call sample for the decrypted ones.
type Counter struct {
	mu      sync.Mutex
	ssrcs   map[streamKey]*ssrcState
	arrival [1 << 14]arrivalSlot
	lat     []LatencySample
	unknown int // decrypted packets without a trailer

	firstOnce sync.Once
	first     chan struct{}
}

// NewCounter returns an empty counter.
func NewCounter() *Counter {
	return &Counter{ssrcs: map[streamKey]*ssrcState{}, first: make(chan struct{})}
}

// FirstPacket is closed when the first RTP packet arrives.
func (c *Counter) FirstPacket() <-chan struct{} { return c.first }

type streamKey struct {
	addr uint64
	ssrc uint32
}

type arrivalSlot struct {
	ssrc  uint32
	seq   uint16
	ns    int64
	state *ssrcState
}

func slot(ssrc uint32, seq uint16) int { return int((ssrc*2654435761)^uint32(seq)*40503) & (1<<14 - 1) }

// LatencySample is one decrypted packet: its trailer and its arrival time.
type LatencySample struct {
	Trailer   media.Trailer
	ArrivalNs int64
}

func (c *Counter) state(addr uint64, ssrc uint32) *ssrcState {
	k := streamKey{addr, ssrc}
	s := c.ssrcs[k]
	if s == nil {
		s = &ssrcState{addr: addr, ssrc: ssrc}
		c.ssrcs[k] = s
	}
	return s
}

// observe records an RTP packet seen on the socket at nowNs and says
// whether to pass it up for decryption (the first 16 of each stream, then 1
// in sampleEvery).
func (c *Counter) observe(addr uint64, ssrc uint32, seq uint16, nowNs int64, sampleEvery int) bool {
	c.mu.Lock()
	s := c.state(addr, ssrc)
	ext := s.extend(seq)
	s.mark(ext)
	s.count++
	if s.count == 1 {
		c.firstOnce.Do(func() { close(c.first) })
	}
	pass := s.passed < 16 || s.count%sampleEvery == 0
	if pass {
		s.passed++
		c.arrival[slot(ssrc, seq)] = arrivalSlot{ssrc: ssrc, seq: seq, ns: nowNs, state: s}
	}
	c.mu.Unlock()
	return pass
}

// sample records a decrypted packet: it maps the stream's sequence numbers
// to publisher indexes and gives a latency sample.
func (c *Counter) sample(ssrc uint32, seq uint16, payload []byte, readNs int64) {
	t, ok := media.ParseTrailer(payload)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !ok {
		c.unknown++
		return
	}
	a := c.arrival[slot(ssrc, seq)]
	s, arr := a.state, a.ns
	if s == nil || a.ssrc != ssrc || a.seq != seq {
		// evicted from the ring: any stream with this SSRC
		s, arr = nil, readNs
		for k, st := range c.ssrcs {
			if k.ssrc == ssrc {
				s = st
				break
			}
		}
		if s == nil {
			return
		}
	}
	ext := s.extend(seq)
	off := ext - int64(t.Index)
	if n := len(s.segments); n == 0 || s.segments[n-1].Offset != off || s.segments[n-1].Stream != t.Stream {
		s.segments = append(s.segments, segment{From: ext, Offset: off, Stream: t.Stream})
	}
	c.lat = append(c.lat, LatencySample{Trailer: t, ArrivalNs: arr})
}

// Window is a measurement window: for each stream id, the publisher packet
// indexes [From, To) sent inside it, and the send-time bounds.
type Window struct {
	Streams      map[uint16][2]uint32
	FromNs, ToNs int64
}

// Result is what a peer received inside a window.
type Result struct {
	Received  int64   // distinct packets of the window's streams received
	Latencies []int64 // one-way latency samples (ns) of packets sent in the window
	Unmapped  int     // RTP streams seen without any decrypted sample (not counted)
}

// Count returns what arrived of the window's packets.
func (c *Counter) Count(w Window) Result {
	c.mu.Lock()
	defer c.mu.Unlock()
	var r Result
	for _, s := range c.ssrcs {
		if len(s.segments) == 0 {
			if s.count > 0 {
				r.Unmapped++
			}
			continue
		}
		for wi, word := range s.bitmap {
			for word != 0 {
				b := bits.TrailingZeros64(word)
				word &^= 1 << uint(b)
				ext := s.base + int64(wi*64+b)
				seg := s.segments[0]
				for _, g := range s.segments[1:] {
					if g.From > ext {
						break
					}
					seg = g
				}
				rng, ok := w.Streams[seg.Stream]
				if !ok {
					continue
				}
				idx := ext - seg.Offset
				if idx >= int64(rng[0]) && idx < int64(rng[1]) {
					r.Received++
				}
			}
		}
	}
	for _, l := range c.lat {
		if l.Trailer.SendNs >= w.FromNs && l.Trailer.SendNs < w.ToNs {
			if _, ok := w.Streams[l.Trailer.Stream]; ok {
				r.Latencies = append(r.Latencies, l.ArrivalNs-l.Trailer.SendNs)
			}
		}
	}
	return r
}

// Packets is the number of RTP packets seen on the socket so far.
func (c *Counter) Packets() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var n int64
	for _, s := range c.ssrcs {
		n += int64(s.count)
	}
	return n
}

// FirstSample reports whether any decrypted packet with a trailer arrived.
func (c *Counter) FirstSample() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.lat) > 0
}
