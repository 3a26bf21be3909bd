package webrtcep

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/interceptor/nackgen"
	"github.com/gorento/gorento/internal/media/interceptor/twccrx"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/udpx"
)

// The direct inbound path (Config.DirectInbound).
//
// Pion hands every received RTP packet through four goroutines: the UDP
// mux's socket reader, the ICE candidate's reader, the DTLS/SRTP mux's
// reader and the SRTP session's reader, each a buffer copy and a wake-up,
// before the track reader (readRTP) gets it; the profile of an echo puts
// those hand-offs at about half of the server's time (docs/performance.md,
// "Why echo (G2) did not move"). For an endpoint on the egress fast path,
// whose SRTP keys the DTLS key tap proved (fastpath.go), we already hold
// the keys of what the peer sends. So the single port's socket (udpx.Conn)
// gives the endpoint's handler every datagram from the selected remote
// address first: SRTP media of a stream we already read (its SSRC is
// known from Pion's OnTrack) is unprotected in place with srtpx and pushed
// into the pipeline on the socket's reading goroutine, with no hand-off.
// Everything else goes on to Pion unchanged: STUN (ICE checks and
// consent), DTLS, SRTCP, RTX repair streams, and SSRCs before OnTrack, so
// ICE, DTLS, negotiation and OnTrack stay Pion's.
//
// What Pion's receive interceptors did for a stream now has to happen for
// packets it does not see, and to stay right for those it still sees, so
// with DirectInbound on the endpoint does it itself for every stream,
// whichever path: statistics (rtpstats.RecordInbound), NACKs (nackgen,
// marked where the packet enters the pipeline, so RTX repairs that Pion
// unwraps count as received) and receiver reports (rtpstats), on the
// feedback tick (feedback_rx.go), and transport-cc feedback (twccrx: one
// recorder must see every packet of the transport-wide sequence, so Pion's
// recorder cannot stay for the packets it still sees). Simulcast layers
// stay on Pion's path (their rid probing and SIM injection are Pion
// interceptors' work), all but their RTX SSRC once known (direct_rtx.go:
// Pion would hold each repair until the layer's next packet).
//
// The rollover counter carries over: Pion's reader and the direct path
// push through one rxStream, which keeps the SRTP index of the newest
// packet pushed; the srtpx stream starts from it (ContinueRx). Packets Pion
// still holds when the path switches arrive after some direct ones, a
// reordering the receivers handle. If the selected pair leaves the single
// port, the handler is removed and Pion's path resumes (with the same
// limit as the egress: after a rollover Pion's stale context would
// misjudge the ROC, which only an ICE restart can cause).

// rxStream is one received SSRC as the pipeline gets it, from Pion's track
// reader and, once taken over, from the socket's reader.
type rxStream struct {
	w         *Endpoint
	ssrc      uint32
	kind      media.MediaType
	clockRate uint32
	tag       *layerTag // simulcast layer (nil: none)
	nack      *nackgen.Log
	repaired  uint64                      // nack's repairs at the last report tick (playout.go; the rxTicker's)
	direct    bool                        // may be taken over (not a simulcast layer)
	twccID    uint8                       // transport-cc header extension ID (0: none)
	codecs    []webrtc.RTPCodecParameters // the receiver's, for the direct path's payload types

	mu      sync.Mutex // serializes pushes from both paths; guards below
	started bool
	ext     uint64 // SRTP packet index (ROC<<16 | seq) of the newest packet pushed
	pt      uint8
	codec   *media.Codec
	srtp    *srtpx.Stream // set while the direct path has the stream
	proven  bool          // srtp has unprotected a packet: the remote keys are right
	closed  bool
	dropped uint64    // direct packets refused (authentication, replay, payload type)
	rtx     *rtxState // the RTX SSRC (nil: none; direct_rtx.go)
}

// newRxStream makes the stream state of a received track.
func (w *Endpoint) newRxStream(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver, kind media.MediaType, tag *layerTag) *rxStream {
	s := &rxStream{w: w, ssrc: uint32(tr.SSRC()), kind: kind, clockRate: tr.Codec().ClockRate, tag: tag}
	params := rc.GetParameters()
	s.codecs = params.Codecs
	for _, e := range params.HeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			s.twccID = uint8(e.ID)
		}
	}
	s.rtx = rtxOf(tr, s.codecs)
	// A stream with RTX whose RTX SSRC is not known (RTX by
	// repaired-rid) stays on Pion's path: its repairs could not reach
	// the pipeline once the media is direct (direct_rtx.go).
	s.direct = tag == nil && (s.rtx != nil || !rtxNegotiated(s.codecs))
	if kind == media.Video {
		s.nack = &nackgen.Log{}
	}
	return s
}

// index extends seq to the SRTP packet index nearest the newest one
// (RFC 3711 §3.3.1); the caller holds mu.
func (s *rxStream) index(seq uint16) uint64 {
	if !s.started {
		s.started = true
		s.ext = uint64(seq)
		return s.ext
	}
	i := int64(s.ext) + int64(int16(seq-uint16(s.ext)))
	if i < 0 {
		i += 1 << 16
	}
	if uint64(i) > s.ext {
		s.ext = uint64(i)
	}
	return uint64(i)
}

// push hands a parsed packet of the stream to the pipeline; the caller
// holds mu and gives b away.
func (s *rxStream) push(b *media.PacketBuf, codec *media.Codec) {
	w := s.w
	pkt := b.Packet()
	ext := s.index(pkt.Header.SequenceNumber)
	if s.nack != nil {
		if s.nack.ReceivedEnd(ext, pkt.Header.Marker) {
			w.engine.rx.gap() // ask for it now, not at the next tick (feedback_rx.go)
		}
		if !pkt.Header.Marker { // a frame's end to come, or lost (nackgen/tail.go)
			w.engine.rx.wakeAt(time.Now().Add(nackgen.TailWait).UnixNano())
		}
	}
	if w.opts.SendOnly {
		b.Free()
		return
	}
	pkt.Codec = codec
	pkt.EnteredAt = w.core.Pipeline().EntryTime()
	src := w.core.Source(s.kind)
	if s.tag != nil {
		s.tag.push(src, b)
		return
	}
	src.PushBuf(b)
}

// fromPion pushes a packet read from Pion's track; a with Pion's
// attributes of the read (those of a repair give its RTX sequence number).
func (s *rxStream) fromPion(b *media.PacketBuf, codec *media.Codec, a interceptor.Attributes) {
	s.mu.Lock()
	learned := s.learnRTX(a)
	if s.rtx != nil {
		if seq, ok := a.Get(webrtc.AttributeRtxSequenceNumber).(uint16); ok {
			s.rtx.seen(seq)
		}
	}
	s.push(b, codec)
	s.mu.Unlock()
	if learned {
		s.w.direct.takeRTX(s) // direct_rtx.go
	}
}

// receive is the direct path of one SRTP datagram of the stream, on the
// socket's reading goroutine; false leaves the datagram to Pion.
func (s *rxStream) receive(d []byte) bool {
	b := media.GetPacketBuf()
	buf := b.Data()
	if len(d) > len(buf) {
		b.Free()
		return false
	}
	n := copy(buf, d)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srtp == nil || s.closed {
		b.Free()
		return false
	}
	out, err := s.srtp.Unprotect(buf[:n])
	if err != nil && !s.proven {
		// Until a packet proves the remote keys, Pion decides (our copy
		// was changed, not d).
		b.Free()
		return false
	}
	if err != nil || !b.ParseRTP(len(out)) {
		s.dropped++
		b.Free()
		return true
	}
	s.proven = true
	pkt := b.Packet()
	if pkt.Header.PayloadType != s.pt || s.codec == nil {
		c := s.codecOf(pkt.Header.PayloadType)
		if c == nil {
			s.dropped++
			b.Free()
			return true
		}
		s.pt, s.codec = pkt.Header.PayloadType, c
	}
	if g := s.w.stats.Load(); g != nil {
		g.RecordInbound(s.ssrc, s.clockRate, &pkt.Header, len(pkt.Payload))
	}
	if s.twccID != 0 {
		if seq, ok := twccrx.Sequence(pkt.Header.GetExtension(s.twccID)); ok {
			if r := s.w.twcc.Load(); r != nil {
				r.Record(s.ssrc, seq, time.Now())
			}
		}
	}
	s.push(b, s.codec)
	return true
}

// codecOf is the codec of a payload type the receiver negotiated (nil:
// none, or RTX, which Pion unwraps on its path).
func (s *rxStream) codecOf(pt uint8) *media.Codec {
	for _, c := range s.codecs {
		if uint8(c.PayloadType) == pt && !isRTX(c) {
			return codecOf(c)
		}
	}
	return nil
}

// take moves the stream to the direct path with the remote keys sess.
func (s *rxStream) take(sess *srtpx.Session) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.srtp != nil {
		return
	}
	st := sess.NewStream(s.ssrc)
	if s.started {
		st.ContinueRx(s.ext)
	}
	s.srtp = st
	if s.rtx != nil {
		s.rtx.take(sess)
	}
}

// giveBack returns the stream to Pion's path (the pair left the single port).
func (s *rxStream) giveBack() {
	s.mu.Lock()
	s.srtp = nil
	if s.rtx != nil {
		s.rtx.srtp = nil
	}
	s.mu.Unlock()
}

// close stops the direct path for good; it waits for a push in progress.
func (s *rxStream) close() {
	s.mu.Lock()
	s.closed, s.srtp = true, nil
	if s.rtx != nil {
		s.rtx.srtp = nil
	}
	s.mu.Unlock()
}

// directIn is an endpoint's inbound handler on the single port: the
// streams it reads directly and the remote address they come from.
type directIn struct {
	mu      sync.Mutex                  // guards everything but streams' reads
	sess    *srtpx.Session              // remote keys (nil: not proven yet)
	all     []*rxStream                 // every received stream
	streams atomic.Pointer[[]*rxStream] // taken over; read per datagram
	cancel  func()                      // removes the handler from its socket
	dest    *udpx.Dest                  // where the handler is installed
	closed  bool
	ticking bool // registered with the engine's feedback tick (feedback_rx.go)
}

// HandleInbound implements udpx.InboundHandler: SRTP of a taken stream is
// ours, everything else Pion's (RFC 7983: 128–191 is RTP or RTCP; RTCP
// packet types 192–223 per RFC 5761).
func (d *directIn) HandleInbound(b []byte) bool {
	if len(b) < 12 || b[0] < 128 || b[0] > 191 || (b[1] >= 192 && b[1] <= 223) {
		return false
	}
	list := d.streams.Load()
	if list == nil {
		return false
	}
	ssrc := binary.BigEndian.Uint32(b[8:])
	for _, s := range *list {
		switch {
		case s.ssrc == ssrc:
			return s.direct && s.receive(b) // else only its RTX is ours (direct_rtx.go)
		case s.rtx != nil && s.rtx.ssrc == ssrc:
			return s.receiveRTX(b)
		}
	}
	return false
}

// add records a new received stream and takes it over when it may be.
func (d *directIn) add(s *rxStream) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.all = append(d.all, s)
	if !d.ticking {
		// Feedback only where something is received: a viewer's
		// endpoint costs the engine's tick nothing.
		d.ticking = true
		s.w.engine.rx.register(s.w)
	}
	if d.sess != nil && d.cancel != nil {
		if s.direct {
			d.takeLocked(s)
		} else {
			d.takeRTXLocked(s)
		}
	}
}

func (d *directIn) takeLocked(s *rxStream) {
	s.take(d.sess)
	next := []*rxStream{s}
	if cur := d.streams.Load(); cur != nil {
		next = append(next, *cur...)
	}
	d.streams.Store(&next)
}

// route (re)installs the handler for dest with the remote keys sess, and
// takes over every stream that may be.
func (d *directIn) route(dest *udpx.Dest, sess *srtpx.Session) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.sess = sess
	if d.cancel == nil || d.dest.Conn() != dest.Conn() || d.dest.AddrPort() != dest.AddrPort() {
		// The new address first, then the old one out: no datagram
		// falls between them to Pion's stale contexts.
		cancel := dest.Conn().SetInbound(dest.AddrPort(), d)
		if d.cancel != nil {
			d.cancel()
		}
		d.cancel, d.dest = cancel, dest
	}
	for _, s := range d.all {
		switch {
		case s.direct && s.srtp == nil:
			d.takeLocked(s)
		case !s.direct:
			d.takeRTXLocked(s)
		}
	}
}

// unroute gives every stream back to Pion's path.
func (d *directIn) unroute() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		d.cancel()
		d.cancel = nil
	}
	d.streams.Store(nil)
	for _, s := range d.all {
		s.giveBack()
	}
}

// close removes the handler and stops every stream's direct path; after
// it returns no push of the direct path runs, and no feedback tick reads
// the streams.
func (d *directIn) close() {
	d.mu.Lock()
	d.closed = true
	if d.cancel != nil {
		d.cancel()
		d.cancel = nil
	}
	d.streams.Store(nil)
	for _, s := range d.all {
		s.close()
	}
	var ticked *Endpoint
	if d.ticking {
		ticked = d.all[0].w
	}
	d.mu.Unlock()
	// Outside d.mu: a tick holds the ticker's lock while it reads the
	// streams (received), so waiting for that lock under d.mu deadlocked.
	if ticked != nil {
		ticked.engine.rx.unregister(ticked)
	}
}

// received appends the streams to dst for the feedback tick.
func (d *directIn) received(dst []*rxStream) []*rxStream {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append(dst, d.all...)
}

// DirectInbound reports how many of the endpoint's received streams the
// direct path reads (0: all through Pion).
func (w *Endpoint) DirectInbound() int {
	if l := w.direct.streams.Load(); l != nil {
		return len(*l)
	}
	return 0
}
