package egress

import (
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
	"github.com/gorento/gorento/internal/media/srtpx"
)

// RTPWriter writes one RTP packet through Pion's send path (its SRTP
// session and ICE connection): Pion's TrackLocalWriter. It is the fallback
// writer, used where the egress cannot write the socket itself.
type RTPWriter interface {
	WriteRTP(h *rtp.Header, payload []byte) (int, error)
}

// CodecPT is a codec the receiver negotiated and its payload types.
type CodecPT struct {
	Codec *media.Codec
	PT    uint8
	RTXPT uint8 // payload type of its RTX stream (RFC 4588; 0 = none)
}

// Binding is what a downtrack's negotiation decided: it sends once bound.
// Immutable: Bind replaces it as a whole.
type Binding struct {
	SSRC    uint32
	RTXSSRC uint32 // retransmissions go here, as RTX, when the codec has an RTXPT (0 = same stream)
	Codecs  []CodecPT
	Writer  RTPWriter // Pion's writer for the track
	// TWCCExtID is the id of the transport-cc header extension the
	// receiver negotiated (0: none): every packet then carries a
	// transport-wide sequence number (twcc.go).
	TWCCExtID uint8
	// PlayoutExtID is the id of the playout-delay header extension the
	// receiver negotiated (0: none; playout.go).
	PlayoutExtID uint8
}

// Downtrack is one track a transport sends: it maps whatever source feeds
// its sink pad onto one SSRC, one payload type and continuous sequence
// numbers and timestamps, remembers what it sent for NACKs, and sends
// sender reports. Enqueue is called by the pipeline's producers; the rest
// of its work runs on its transport's worker.
type Downtrack struct {
	t     *Transport
	kind  media.MediaType
	onGap func()
	bind  atomic.Pointer[Binding]
	gen   atomic.Uint32 // source generation: bumped by SourceChanged
	sel   atomic.Pointer[selectorBox]
	gap   atomic.Bool // a packet was lost before the worker: video waits for a keyframe

	// Worker-owned.
	wgen      uint32
	lastBind  *Binding
	lastCodec *media.Codec
	lastPT    CodecPT
	lastOK    bool
	kfCodec   *media.Codec
	kfStart   func([]byte) bool
	rw        rtpx.Rewriter
	vp8       vp8Path
	seq       Sequencer
	hdr       rtp.Header // scratch header of process
	rtxHdr    rtp.Header // scratch header of resends
	rtxExt    uint64     // RTX packet index (ROC<<16 | seq) of the next RTX packet
	rtxBuf    [media.PacketBufSize + 2]byte
	cc        twccStamp
	playout   playoutStamp
	paced     Paced // scratch of process: what a Pacer is asked about (it copies what it keeps)
	sr        senderReport
	replay    media.Replay // set by the selector: forward after the packet being processed (replay.go)
	frameOpen bool         // its last held packet is video without the marker (hold.go)
	gapAsked  int64        // when the keyframe the track waits for was last asked for again (0: not yet)
	gapRetry  int64        // the wait before asking again

	gapRing *media.SourceRing // the history of the packets passed over while waiting (replay.go)
	gapTop  uint64            // the newest of them

	kfSent    bool   // a keyframe start was sent (holes.go)
	kfOut     uint16 // the output number of the newest one
	holeAsked int64  // when a stuck hole last asked for a keyframe

	outStarted bool
	outTop     uint64 // highest SRTP packet index sent on SSRC (ROC<<16 | seq)
	streams    [2]*srtpx.Stream
	streamSess *srtpx.Session

	// Latency measures pipeline entry → send, for packets stamped with an
	// entry time (the pipeline's latency stats).
	Latency media.LatencyMeter

	stats downtrackCounters
}

type selectorBox struct{ s Selector }

type downtrackCounters struct {
	packets, bytes, resent, overflow, stale, noCodec, tooLarge, sendErrors, temporal, unselected atomic.Uint64
	replayed                                                                                     atomic.Uint64
}

// DowntrackStats are a downtrack's counters.
type DowntrackStats struct {
	SSRC     uint32
	Packets  uint64 // media packets sent (resends not included)
	Bytes    uint64 // their payload bytes
	Resent   uint64 // packets resent after NACKs
	Overflow uint64 // packets lost because the worker's queue was full
	Stale    uint64 // packets of a replaced source, or waiting for a keyframe, dropped
	NoCodec  uint64 // packets in a codec the receiver did not negotiate
	Errors   uint64 // packets that could not be encrypted or queued to send
	// TemporalDropped counts packets of VP8 temporal layers above the
	// viewer's target, not sent (their numbers are not skipped: the
	// receiver sees no loss).
	TemporalDropped uint64
	// Unselected counts packets its Selector did not forward (other
	// simulcast layers).
	Unselected uint64
	// Replayed counts packets forwarded from a layer's history after a
	// late keyframe start switched the track to it (replay.go).
	Replayed uint64
}

func newDowntrack(t *Transport, p TrackParams) *Downtrack {
	d := &Downtrack{t: t, kind: p.Kind, onGap: p.OnGap}
	d.rtxExt = uint64(randUint32() & 0x7fff) // RFC 3550: a random start, far from a wrap
	if s := t.w.s.cfg.TestInitialSeq; s != nil {
		d.rw.StartAt(*s)
		d.rtxExt = uint64(*s)
	}
	return d
}

// Kind is the track's media type.
func (d *Downtrack) Kind() media.MediaType { return d.kind }

// Transport is the downtrack's transport.
func (d *Downtrack) Transport() *Transport { return d.t }

// Bind sets what negotiation decided; the track sends from now on.
func (d *Downtrack) Bind(b Binding) { d.bind.Store(&b) }

// Unbind stops sending.
func (d *Downtrack) Unbind() { d.bind.Store(nil) }

// SSRC is the SSRC the track sends with (0 before it is bound).
func (d *Downtrack) SSRC() uint32 {
	if b := d.bind.Load(); b != nil {
		return b.SSRC
	}
	return 0
}

// SetSelector sets the downtrack's Selector (nil: forward everything).
func (d *Downtrack) SetSelector(s Selector) {
	if s == nil {
		d.sel.Store(nil)
		return
	}
	d.sel.Store(&selectorBox{s})
}

// SourceChanged tells the downtrack that its sink pad's source was
// connected, replaced or removed: packets of the old source still queued
// are dropped and the output stream continues after the last one sent.
func (d *Downtrack) SourceChanged() { d.gen.Add(1) }

// Enqueue hands a packet that reached the track's sink pad to its worker:
// it holds the packet's buffer (a copy for a packet without one) and never
// blocks. Called by the pipeline's producers.
func (d *Downtrack) Enqueue(pkt *media.Packet) {
	if d.bind.Load() == nil || d.t.closed.Load() {
		return
	}
	b := media.HoldPacket(pkt)
	if b == nil {
		d.stats.tooLarge.Add(1)
		return
	}
	if !d.t.w.enqueue(item{dt: d, buf: b, gen: d.gen.Load()}) {
		b.Release()
		d.stats.overflow.Add(1)
		if d.kind == media.Video && !d.gap.Swap(true) && d.onGap != nil {
			d.onGap()
		}
	}
}

// NACK resends, on the worker, what a receiver's NACK asks for.
func (d *Downtrack) NACK(n *rtcp.TransportLayerNack) {
	if d.t.closed.Load() {
		return
	}
	d.t.w.post(op{kind: opNACK, d: d, nack: n})
}

// Stats returns the downtrack's counters.
func (d *Downtrack) Stats() DowntrackStats {
	s := &d.stats
	return DowntrackStats{SSRC: d.SSRC(), Packets: s.packets.Load(), Bytes: s.bytes.Load(), Resent: s.resent.Load(),
		Overflow: s.overflow.Load(), Stale: s.stale.Load() + s.tooLarge.Load(), NoCodec: s.noCodec.Load(), Errors: s.sendErrors.Load(),
		TemporalDropped: s.temporal.Load(), Unselected: s.unselected.Load(), Replayed: s.replayed.Load()}
}

// process sends one queued packet (on the worker; the caller releases
// the item's buffer).
func (d *Downtrack) process(it item, now int64) {
	b := d.bind.Load()
	if d.t.detached || d.t.stopped || b == nil {
		return
	}
	if it.gen != d.gen.Load() {
		d.stats.stale.Add(1) // queued before a source change
		return
	}
	pkt := it.buf.Packet()
	if it.gen != d.wgen {
		d.wgen = it.gen
		d.rw.Reanchor()
		d.vp8.munger.Reanchor()
	}
	c, ok := d.codecPT(b, pkt.Codec)
	if !ok {
		d.stats.noCodec.Add(1)
		return
	}
	d.vp8.parse(pkt)
	// The selector sees every packet, also while the track waits for a
	// keyframe: its layers' activity and rates stay current, and only a
	// keyframe of the layer it forwards ends the wait (not one of a layer
	// it passes over).
	if sb := d.sel.Load(); sb != nil && !sb.s.Select(d, pkt, now) {
		d.stats.unselected.Add(1)
		return
	}
	if d.gap.Load() {
		if !d.keyframeStart(pkt) {
			d.stats.stale.Add(1)
			d.replay = media.Replay{}
			d.gapPassed(pkt)
			d.askKeyframeAgain(now)
			return
		}
		d.gap.Store(false)
		d.gapAsked = 0
		d.replayGap(pkt)
	}
	d.forward(b, c, it.buf, now)
	if d.replay.Ring != nil {
		d.forwardReplay(b, now)
	}
}

// forward sends a selected packet: temporal filter, rewrite, record, pace.
func (d *Downtrack) forward(b *Binding, c CodecPT, buf *media.PacketBuf, now int64) {
	pkt := buf.Packet()
	if d.rw.BeforeFirst(&pkt.Header) {
		d.stats.stale.Add(1)
		return
	}
	if !d.filterTemporal(pkt) {
		return
	}
	hdr := &d.hdr
	*hdr = pkt.Header
	// Header extension ids are negotiated per connection: the sender's ids
	// mean nothing to this receiver.
	hdr.Extension, hdr.Extensions, hdr.ExtensionProfile = false, nil, 0
	d.rw.Rewrite(hdr, pkt.Codec.ClockRate, now) // with the source's SSRC: a new one re-anchors
	hdr.SSRC, hdr.PayloadType = b.SSRC, c.PT
	d.noteKeyframe(pkt, hdr.SequenceNumber)
	ring, ext := pkt.History()
	d.updatePlayout(b, ring, now)
	d.seq.Record(hdr.SequenceNumber, ring, ext, hdr.Timestamp-pkt.Header.Timestamp)
	patch := d.munge(pkt, hdr.SequenceNumber)
	if !d.sr.started {
		d.t.srCheck = 0 // its first report is due now
	}
	d.sr.media(hdr.Timestamp, pkt.Codec.ClockRate, now, len(pkt.Payload))
	d.stats.packets.Add(1)
	d.stats.bytes.Add(uint64(len(pkt.Payload)))
	d.Latency.Observe(now, pkt.EnteredAt)
	if d.t.pacer != nil {
		p := &d.paced // not on the stack: it would escape through the interface
		*p = Paced{Downtrack: d, Header: *hdr, Buf: buf, VP8: patch}
		buf.Retain()
		if !d.t.pacer.Pace(p, now) {
			return // the pacer holds it
		}
		p.Buf = nil
		buf.Release()
	}
	d.send(b, hdr, pkt.Payload, &patch, now)
}

// send writes one media packet and tells the hooks.
func (d *Downtrack) send(b *Binding, hdr *rtp.Header, payload []byte, patch *rtpx.VP8Patch, now int64) {
	d.write(b, hdr, payload, patch, d.mediaIndex(hdr.SequenceNumber), now)
}

// Asking again for the keyframe a track waits for (after a drop): 500 ms,
// doubling to 2 s, as a layer switch does (media.LayerSwitch).
const (
	gapRetryStart = int64(500 * time.Millisecond)
	gapRetryMax   = int64(2 * time.Second)
)

// askKeyframeAgain asks again for the keyframe the track waits for: the
// request made when the wait began (OnGap) is made once, and a publisher's
// endpoint passes on one keyframe request per 300 ms from all its viewers;
// one swallowed there left the track waiting until its viewer's own PLI.
func (d *Downtrack) askKeyframeAgain(now int64) {
	switch {
	case d.gapAsked == 0:
		d.gapAsked, d.gapRetry = now, gapRetryStart
	case now-d.gapAsked >= d.gapRetry:
		d.gapAsked, d.gapRetry = now, min(2*d.gapRetry, gapRetryMax)
		if d.onGap != nil {
			d.onGap()
		}
	}
}

// keyframeStart reports whether pkt starts a keyframe (true when its
// codec's keyframes cannot be told: nothing better to wait for).
func (d *Downtrack) keyframeStart(pkt *media.Packet) bool {
	if pkt.Codec != d.kfCodec {
		d.kfCodec, d.kfStart = pkt.Codec, nil
		if pkt.Codec != nil {
			d.kfStart = rtpx.KeyframeStart(pkt.Codec.MimeType)
		}
	}
	return d.kfStart == nil || d.kfStart(pkt.Payload)
}

// codecPT maps the codec of a packet to what the receiver negotiated.
func (d *Downtrack) codecPT(b *Binding, c *media.Codec) (CodecPT, bool) {
	if c == d.lastCodec && b == d.lastBind {
		return d.lastPT, d.lastOK
	}
	d.lastCodec, d.lastBind, d.lastOK = c, b, false
	for _, n := range b.Codecs {
		if c.Matches(n.Codec) {
			d.lastPT, d.lastOK = n, true
			break
		}
	}
	return d.lastPT, d.lastOK
}

// write writes one packet with SRTP packet index index, its VP8
// descriptor patched (nil: as it is): into the worker's batch on the fast
// path, else through Pion's writer; then tells the hooks.
func (d *Downtrack) write(b *Binding, hdr *rtp.Header, payload []byte, patch *rtpx.VP8Patch, index uint64, now int64) {
	d.stampTWCC(b, hdr)
	d.stampPlayout(b, hdr)
	if fp := d.t.fast; fp != nil {
		d.sendFast(fp, hdr, payload, patch, index)
	} else {
		if patch != nil {
			payload = d.patched(payload, patch)
		}
		_, _ = b.Writer.WriteRTP(hdr, payload)
	}
	if h := d.t.p.Hooks; h != nil {
		h.OnSent(d, hdr, hdr.MarshalSize()+len(payload), now)
	}
}

// onNACK resends what a receiver's NACK asks for, from the source's
// history, with the header it was first sent with: on the same stream, or
// as RTX (RFC 4588: the original sequence number before the payload) on
// the RTX SSRC when negotiated for the codec.
func (d *Downtrack) onNACK(n *rtcp.TransportLayerNack, now int64) {
	b := d.bind.Load()
	if b == nil || n.MediaSSRC != b.SSRC {
		return
	}
	gap, budget := d.t.w.s.cfg.ResendGap, d.t.w.s.cfg.ResendBudget
	// A receiver asks again on its own clock (Chrome every 100 ms without
	// a round trip of its own), not knowing that the resend is still in a
	// full queue: answering each ask sent every loss two or three times
	// into that queue, which stayed full (a viewer moved up to a layer its
	// 600 kbit/s link could just carry lost 20-40 % for seconds). libwebrtc
	// resends a packet at most once per round trip.
	if q, ok := d.t.p.Hooks.(QueueReporter); ok {
		gap = max(gap, q.Queue())
	}
	for _, p := range n.Nacks {
		NACKed(p.PacketID, uint16(p.LostPackets), func(seq uint16) {
			r, ok := d.seq.Lookup(seq, now, gap, budget)
			if !ok {
				d.unanswered(seq, now)
				return
			}
			d.resend(b, seq, r, now)
			r.Buf.Release()
		})
	}
}

func (d *Downtrack) resend(b *Binding, seq uint16, r Resend, now int64) {
	src := r.Buf.Packet()
	c, ok := d.codecPT(b, src.Codec)
	if !ok {
		return
	}
	hdr := &d.rtxHdr
	*hdr = src.Header
	hdr.Extension, hdr.Extensions, hdr.ExtensionProfile = false, nil, 0
	hdr.SSRC, hdr.PayloadType, hdr.SequenceNumber = b.SSRC, c.PT, seq
	hdr.Timestamp += r.TSDelta
	payload := src.Payload
	patch := d.resendPatch(seq, src)
	pp := &patch
	index := nearestIndex(d.outTop, seq) // the index it was first sent with
	if c.RTXPT != 0 && b.RTXSSRC != 0 {
		binary.BigEndian.PutUint16(d.rtxBuf[:], seq)
		n := copy(d.rtxBuf[2:], src.Payload)
		patch.Apply(d.rtxBuf[2 : 2+n])
		payload, pp = d.rtxBuf[:2+n], nil
		index = d.rtxExt
		d.rtxExt++
		hdr.SSRC, hdr.PayloadType, hdr.SequenceNumber = b.RTXSSRC, c.RTXPT, uint16(index)
	}
	d.stats.resent.Add(1)
	d.write(b, hdr, payload, pp, index, now)
}
