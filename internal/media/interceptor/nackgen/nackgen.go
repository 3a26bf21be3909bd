// Package nackgen asks a sender for the packets of a received stream that
// did not arrive (RFC 4585 generic NACK). It replaces Pion's NACK
// generator interceptor where the endpoint reads packets outside Pion's
// interceptor chain (webrtcep's direct inbound path): the endpoint marks
// each packet it consumes, from whichever path, and a tick asks for the
// gaps. No goroutine, channel or allocation per packet.
//
// A packet is asked for again only after a round trip (the caller's
// retry interval), up to MaxTries times, as libwebrtc's NACK module does.
// A sender like libwebrtc ignores asks for a packet it resent less than a
// round trip ago, so asks on every tick would spend the tries inside one
// round trip: with a lost repair and a round trip of a few ticks, the
// packet was given up after a single real chance.
//
// The round trip that matters is the repairs': a NACK, the sender's queue
// and the retransmission's way back. On an uplink whose queue fills (a
// publisher's link falling to 600 kbit/s) it grows far beyond the caller's
// estimate from reports (100 ms by default, with no report at all for an
// endpoint that only receives): asked again every 100 ms while repairs took
// 300 ms and more, Chrome sent each lost packet three or four times, and
// those copies, sent before its media, took all of its uplink for seconds.
// So the Log measures how long repairs take (from the first ask), and asks
// again no sooner than that.
//
// The measured repair delay also stands in for a round trip the caller
// does not know: an endpoint that only receives (a publisher's) gets no
// reports and had only the 100 ms default. With 10 % loss both ways a NACK
// or its repair is lost ~19 % of the time, and the second ask, 100 ms after
// the first, always brought the repair after the viewer's jitter buffer
// (10–60 ms behind its own short path) had given up on the frame. Chromium
// answers a NACK in 0.3–4 ms on a short path (the ~35 ms measured before
// was Pion holding each repair of a simulcast layer until the layer's next
// packet: webrtcep/direct_rtx.go), so the second ask now comes MinRetry
// after the first.
// Asks after the second back off (the wait doubles per ask), so a queue
// that suddenly fills (the measured delay still short) costs no more asks
// than the 100 ms default did.
package nackgen

import (
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// Window is how many of the newest sequence numbers are tracked (as Pion's
// generator: 512, about 2 s of 2 Mb/s video).
const Window = 512

// MaxTries is how many times one packet is asked for (libwebrtc's
// kMaxNackRetries).
const MaxTries = 10

// Log records which of a stream's recent packets arrived. Safe for
// concurrent use (the reader marks, the endpoint's tick asks).
type Log struct {
	mu       sync.Mutex
	started  bool
	top      uint64              // highest extended sequence number received
	base     uint64              // first of the run (nothing before it is missing)
	got      [Window / 64]uint64 // bit per sequence number (mod Window) received
	tries    [Window]uint8       // NACKs sent per sequence number (mod Window)
	askedAt  [Window]int64       // when the last NACK for it was sent (ns)
	firstAt  [Window]int64       // when the first one was
	repair   int64               // how long repairs take (ns, moving average; 0: none seen)
	repairs  uint64              // repairs seen (packets received after an ask)
	clock    func() int64        // ns, on Missing's clock (nil: time.Now; tests set it)
	open     bool                // the newest packet ends no frame (tail.go)
	topAt    int64               // when the newest packet arrived (ns)
	tailSeq  uint64              // the number after the newest, asked for as a lost frame end (0: none)
	tailAt   int64               // when
	frameGap int64               // usual gap between two packets of a frame (ns, moving average)
	gaps     int                 // how many of those gaps were seen (up to tailGapsKnown)
}

// maxRepairWait bounds the measured repair delay used as retry interval,
// and the wait between two asks.
const maxRepairWait = int64(time.Second)

// DefaultRetry is the wait before a packet is asked for again while
// neither the caller's round trip nor a repair delay is known
// (libwebrtc's default round trip).
const DefaultRetry = 100 * time.Millisecond

// MinRetry is the shortest wait before a packet is asked for again (one
// of the endpoint's 20 ms NACK ticks): a repair measured at a few ms can
// take a few more (the sender's pacer) and is not asked for twice.
const MinRetry = 20 * time.Millisecond

// Received marks the packet with extended sequence number ext (16-bit
// sequence number unwrapped by the caller) as arrived, and reports whether
// it opened a gap (packets before it missing), which the caller may ask
// for at once instead of at its next tick.
func (l *Log) Received(ext uint64) (gap bool) {
	return l.ReceivedEnd(ext, true)
}

// ReceivedEnd is Received for a packet that ends a frame (end: the RTP
// marker of video) or not: a frame left open is asked for on (tail.go).
func (l *Log) ReceivedEnd(ext uint64, end bool) (gap bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	newest, next := !l.started || ext > l.top, l.started && ext == l.top+1
	switch {
	case !l.started:
		l.started, l.top, l.base = true, ext, ext
		clear(l.got[:])
	case ext > l.top:
		if ext-l.top >= Window { // a jump (a new run): what it skipped is not asked for
			clear(l.got[:])
			l.base = ext
		} else {
			for i := l.top + 1; i < ext; i++ { // the gap: not received, not asked yet
				l.got[i%Window/64] &^= 1 << (i % 64)
				l.tries[i%Window] = 0
			}
			l.tailShown(ext)
			gap = ext > l.top+1
		}
		l.top = ext
	case l.top-ext >= Window:
		return false // older than the window
	case ext < l.base:
		return false // before the run started: not tracked
	}
	if newest {
		l.frameEnd(ext, end, next)
	}
	l.got[ext%Window/64] |= 1 << (ext % 64)
	if t := l.tries[ext%Window]; t > 0 && t != abandoned { // a repair (or a late packet) of one asked for
		l.measureRepair(ext % Window)
	}
	l.tries[ext%Window] = 0
	return gap
}

// measureRepair folds the time since slot s was first asked for into the
// repair delay.
func (l *Log) measureRepair(s uint64) {
	now := l.clock
	if now == nil {
		now = func() int64 { return time.Now().UnixNano() }
	}
	d := min(max(now()-l.firstAt[s], 0), maxRepairWait)
	l.repairs++
	if l.repair == 0 {
		l.repair = d
		return
	}
	// One sample moves the delay at most to twice itself plus
	// repairOutlier: a repair that followed a lost one, or a copy of an
	// old packet (Chrome probes with RTX copies of what it sent), says
	// little about the round trip, and one of a second made every later
	// repair wait a quarter of it. A queue that really fills is learned
	// in a few repairs.
	d = min(d, 2*l.repair+repairOutlier)
	l.repair += (d - l.repair) / 4
}

// abandoned marks (in Log.tries) a packet given up without an ask.
const abandoned = 0xff

// repairOutlier bounds how far above the repair delay one sample counts.
const repairOutlier = int64(100 * time.Millisecond)

// Abandon gives up on every packet missing now: they are never asked for.
// For a simulcast layer no viewer gets: asked for once a viewer moves to
// it, they would be useless (a viewer moves to a layer at a keyframe), and
// Chrome answered such a burst (up to 2 s of a 720p layer's losses) with
// enough retransmissions at once to make the layer look congested.
func (l *Log) Abandon() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		return
	}
	for i := range l.holes(l.windowStart()) {
		l.tries[i%Window] = abandoned
	}
}

// RepairDelay is how long repairs take (0: none seen yet).
func (l *Log) RepairDelay() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Duration(l.repair)
}

// Repairs reports how many repairs arrived so far (packets received after
// they were asked for) and how long repairs take (RepairDelay).
func (l *Log) Repairs() (n uint64, delay time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.repairs, time.Duration(l.repair)
}

// Missing appends to dst the sequence numbers missing from the window that
// are due at now (ns, wall clock): never asked for, or asked for fewer
// than MaxTries times and last asked for at least the retry interval ago,
// doubled for every ask after the first. The interval is the longer of rtt
// (the caller's round trip, 0 if it knows none) and the repair delay,
// DefaultRetry if neither is known, and never under MinRetry. It counts
// this ask and returns dst. The newest packet is never missing; the one
// after it is asked for once when the newest ended no frame TailWait ago
// (tail.go).
func (l *Log) Missing(dst []uint16, now int64, rtt time.Duration) []uint16 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		return dst
	}
	retry := int64(max(rtt, time.Duration(l.repair)))
	if retry == 0 {
		retry = int64(DefaultRetry)
	}
	retry = max(retry, int64(MinRetry))
	for i := range l.holes(l.windowStart()) {
		s := i % Window
		if l.tries[s] >= MaxTries || l.tries[s] > 0 && now-l.askedAt[s] < min(retry<<(l.tries[s]-1), maxRepairWait) {
			continue
		}
		if l.tries[s] == 0 {
			l.firstAt[s] = now
		}
		l.tries[s]++
		l.askedAt[s] = now
		dst = append(dst, uint16(i))
	}
	return l.askTail(dst, now)
}

// NACK builds the feedback asking mediaSSRC's sender for seqs (nil when
// there are none).
func NACK(senderSSRC, mediaSSRC uint32, seqs []uint16) *rtcp.TransportLayerNack {
	if len(seqs) == 0 {
		return nil
	}
	return &rtcp.TransportLayerNack{SenderSSRC: senderSSRC, MediaSSRC: mediaSSRC, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)}
}

// RecentMissing counts the sequence numbers missing among the newest n
// below the newest packet received (span: how many of them the run
// covers). A drop-tail queue that overflows loses most of a stream in a
// burst, which random loss of 10 % never comes near over a few dozen.
func (l *Log) RecentMissing(n int) (missing, span int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started || n <= 0 {
		return 0, 0
	}
	lo := l.windowStart()
	if l.top >= uint64(n) {
		lo = max(lo, l.top-uint64(n))
	}
	for range l.holes(lo) {
		missing++
	}
	return missing, int(l.top - lo)
}

// windowStart is the oldest number the window still tells about (l.mu held).
func (l *Log) windowStart() uint64 {
	if l.top >= Window-1 {
		return max(l.base, l.top-(Window-1))
	}
	return l.base
}

// holes yields the numbers from lo below the newest that were not received,
// skipping words received whole (l.mu held).
func (l *Log) holes(lo uint64) func(yield func(uint64) bool) {
	return func(yield func(uint64) bool) {
		for i := lo; i < l.top; i++ {
			w := i % Window / 64
			if i%64 == 0 && i+64 <= l.top && l.got[w] == ^uint64(0) {
				i += 63 // a whole word received
				continue
			}
			if l.got[w]&(1<<(i%64)) == 0 && !yield(i) {
				return
			}
		}
	}
}
