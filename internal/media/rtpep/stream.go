package rtpep

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// stream is one negotiated m-line: its sockets, codec, keys and the
// destination of what the endpoint sends.
type stream struct {
	ep       *Endpoint
	kind     media.MediaType
	rtpConn  *net.UDPConn
	rtcpConn *net.UDPConn
	port     int // local RTP port (RTCP: port+1)

	// Set before start, read-only afterwards.
	codec  *media.Codec
	pt     uint8
	dir    direction // ours
	mux    bool      // RTCP on the RTP port both ways
	latch  bool      // destination learnt from the first packets
	ssrc   uint32
	local  *keying // nil: plain RTP
	remote *keying

	dstRTP  atomic.Pointer[netip.AddrPort] // nil until known
	dstRTCP atomic.Pointer[netip.AddrPort]

	sendMu    sync.Mutex // guards the egress state below
	rw        rtpx.Rewriter
	hdr       rtp.Header
	out       []byte
	sealed    []byte
	enc       *srtp.Context
	sent      uint32 // packets
	octets    uint32
	lastTS    uint32
	lastTSAt  int64
	encCount  uint64
	mismatch  atomic.Uint64 // packets of another codec dropped
	sentTotal atomic.Uint64
	sentBytes atomic.Uint64

	dec      *srtp.Context // the RTP reader's
	decHdr   rtp.Header
	decCount atomic.Uint64

	rtcpMu   sync.Mutex // guards decRTCP, rtcpIn, encRTCP, rtcpOut
	decRTCP  *srtp.Context
	rtcpIn   []byte
	encRTCP  *srtp.Context
	rtcpOut  []byte
	recv     receiveStats
	lastRTCP atomic.Int64 // pipeline time of the last RTCP received (0: none)
	lastPLI  atomic.Int64

	received   atomic.Uint64
	recvBytes  atomic.Uint64
	plisIn     atomic.Uint64 // PLI/FIR from the remote receiver
	plisOut    atomic.Uint64 // PLIs sent to the remote sender
	authFailed atomic.Uint64
	softFired  atomic.Bool
}

// newStream opens the sockets of one m-line.
func newStream(ep *Endpoint, kind media.MediaType) (*stream, error) {
	bind, _ := ep.engine.localAddr(ep.opts.IPv6)
	a, b, err := ep.engine.listenPair(bind)
	if err != nil {
		return nil, err
	}
	s := &stream{ep: ep, kind: kind, rtpConn: a, rtcpConn: b, port: a.LocalAddr().(*net.UDPAddr).Port,
		ssrc: randomSSRC(), out: make([]byte, media.PacketBufSize+64), sealed: make([]byte, media.PacketBufSize+128),
		rtcpIn: make([]byte, 0, media.PacketBufSize), rtcpOut: make([]byte, 0, media.PacketBufSize)}
	s.local = ep.local
	return s, nil
}

// setKeys makes the SRTP contexts: the local key protects what is sent,
// the remote one authenticates and decrypts what arrives.
func (s *stream) setKeys(remote *keying) error {
	if s.local == nil {
		return nil
	}
	s.remote = remote
	var err error
	if s.enc, err = s.local.context(); err != nil {
		return err
	}
	if s.encRTCP, err = s.local.context(); err != nil {
		return err
	}
	if s.dec, err = remote.context(srtp.SRTPReplayProtection(256)); err != nil {
		return err
	}
	s.decRTCP, err = remote.context(srtp.SRTCPReplayProtection(256))
	return err
}

// setDestination sets where media and RTCP go; an unspecified address
// (0.0.0.0, ::) or port 0 leaves them to be learnt from what arrives.
func (s *stream) setDestination(m *remoteMedia) {
	if !m.addr.IsValid() || m.addr.IsUnspecified() {
		s.latch = true
		return
	}
	rtpDst := netip.AddrPortFrom(m.addr, uint16(m.port))
	s.dstRTP.Store(&rtpDst)
	if m.rtcp.Addr().IsValid() && !m.rtcp.Addr().IsUnspecified() {
		rtcpDst := m.rtcp
		s.dstRTCP.Store(&rtcpDst)
	}
}

// learn takes the source of an authenticated packet as the destination
// when the remote description gave none (symmetric RTP).
func (s *stream) learn(from netip.AddrPort, isRTCP bool) {
	if !s.latch {
		return
	}
	if !isRTCP && s.dstRTP.Load() == nil {
		if s.dstRTP.CompareAndSwap(nil, unmapped(from)) {
			s.ep.log.Debug("rtp destination learnt", "kind", s.kind, "addr", from)
		}
	}
	if (isRTCP || s.mux) && s.dstRTCP.Load() == nil {
		s.dstRTCP.CompareAndSwap(nil, unmapped(from))
	}
}

// unmapped returns a new copy of a with an IPv4-mapped address unmapped
// (allocated only when a destination is learnt, not per packet).
func unmapped(a netip.AddrPort) *netip.AddrPort {
	p := new(netip.AddrPort)
	*p = netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
	return p
}

// start runs the socket readers.
func (s *stream) start() {
	s.ep.spawn(s.readRTP)
	s.ep.spawn(s.readRTCP)
}

// close closes the sockets; the readers end.
func (s *stream) close() {
	_ = s.rtpConn.Close()
	_ = s.rtcpConn.Close()
}

// readRTP is the ingress: each datagram is read into a pooled buffer,
// authenticated and decrypted in place when SRTP is on, and pushed into
// the pipeline by reference (no allocation per packet).
func (s *stream) readRTP() {
	src := s.ep.core.Source(s.kind)
	pipe := s.ep.core.Pipeline()
	b := media.GetPacketBuf()
	defer func() { b.Free() }()
	errs := 0
	for {
		n, from, err := s.rtpConn.ReadFromUDPAddrPort(b.Data())
		if err != nil {
			if errs++; errors.Is(err, net.ErrClosed) || errs >= maxReadErrors {
				return
			}
			continue
		}
		errs = 0
		data := b.Data()[:n]
		if isRTCP(data) {
			s.handleRTCP(data, from)
			continue
		}
		if s.dec != nil {
			out, err := s.dec.DecryptRTP(data[:0], data, &s.decHdr)
			if err != nil {
				s.authFailed.Add(1)
				continue
			}
			n = len(out)
			s.countKey(s.decCount.Add(1))
		}
		if !b.ParseRTP(n) {
			continue
		}
		pkt := b.Packet()
		if pkt.Header.PayloadType != s.pt {
			continue // another payload type (comfort noise, RTX…) is not forwarded
		}
		s.learn(from, false)
		s.received.Add(1)
		s.recvBytes.Add(uint64(len(pkt.Payload)))
		s.recv.note(&pkt.Header)
		if !s.dir.recv {
			continue
		}
		pkt.Codec = s.codec
		pkt.EnteredAt = pipe.EntryTime()
		src.PushBuf(b)
		b = media.GetPacketBuf()
	}
}

// readRTCP reads the RTCP port.
func (s *stream) readRTCP() {
	buf := make([]byte, media.PacketBufSize)
	errs := 0
	for {
		n, from, err := s.rtcpConn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errs++; errors.Is(err, net.ErrClosed) || errs >= maxReadErrors {
				return
			}
			continue
		}
		errs = 0
		if isRTCP(buf[:n]) {
			s.handleRTCP(buf[:n], from)
		}
	}
}

// maxReadErrors ends a reader whose socket fails this many reads in a row
// without saying it is closed.
const maxReadErrors = 1000

// isRTCP tells RTCP from RTP on a shared port (RFC 5761 §4: packet types
// 192–223 in the second byte).
func isRTCP(b []byte) bool { return len(b) >= 8 && b[0]>>6 == 2 && b[1] >= 192 && b[1] <= 223 }

// write sends one packet that reached the kind's sink pad.
func (s *stream) write(pkt *media.Packet) {
	if !s.dir.send {
		return
	}
	dst := s.dstRTP.Load()
	if dst == nil {
		return
	}
	if pkt.Codec != nil && !s.codec.Matches(pkt.Codec) {
		s.mismatch.Add(1)
		return
	}
	now := s.ep.now()
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	h := &s.hdr
	ext, csrc := h.Extensions[:0], h.CSRC[:0]
	*h = pkt.Header
	h.Extensions, h.CSRC = ext, csrc
	h.Extension, h.ExtensionProfile = false, 0
	h.Padding, h.PaddingSize = false, 0
	h.SSRC, h.PayloadType = s.ssrc, s.pt
	s.rw.Rewrite(h, s.codec.ClockRate, now)
	hl, err := h.MarshalTo(s.out)
	if err != nil || hl+len(pkt.Payload) > len(s.out) {
		return
	}
	n := hl + copy(s.out[hl:], pkt.Payload)
	wire := s.out[:n]
	if s.enc != nil {
		if wire, err = s.enc.EncryptRTP(s.sealed[:0], wire, h); err != nil {
			return
		}
		s.encCount++
		s.countKey(s.encCount)
	}
	if _, err := s.rtpConn.WriteToUDPAddrPort(wire, *dst); err != nil {
		return
	}
	s.sent++
	s.octets += uint32(len(pkt.Payload))
	s.lastTS, s.lastTSAt = h.Timestamp, now
	s.sentTotal.Add(1)
	s.sentBytes.Add(uint64(len(pkt.Payload)))
}

// sourceChanged continues the output stream after the sink's source changed.
func (s *stream) sourceChanged() {
	s.sendMu.Lock()
	s.rw.Reanchor()
	s.sendMu.Unlock()
}

// countKey reports OnKeySoftLimit once when a key has protected or
// verified the configured number of packets.
func (s *stream) countKey(n uint64) {
	if n >= s.ep.engine.cfg.KeySoftLimit && s.softFired.CompareAndSwap(false, true) {
		s.ep.spawn(func() { s.ep.core.Emit(KeySoftLimit{MediaType: s.kind}) })
	}
}

func randomSSRC() uint32 {
	var b [4]byte
	for b == [4]byte{} {
		_, _ = randRead(b[:])
	}
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
