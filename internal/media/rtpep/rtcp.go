package rtpep

import (
	"crypto/rand"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/rtpx"
)

var randRead = rand.Read

// receiveStats are what reception reports say about the remote sender.
type receiveStats struct {
	mu         sync.Mutex // guards the fields below
	ssrc       uint32
	started    bool
	baseSeq    uint16
	maxSeq     uint16
	cycles     uint32
	count      uint32
	lastCount  uint32 // count at the previous report
	lastExpect uint32
	lastSR     uint32 // middle 32 bits of the last SR's NTP time
	lastSRAt   int64  // pipeline time it arrived
	haveSR     bool
}

// note records one received packet (the RTP reader's goroutine).
func (r *receiveStats) note(h *rtp.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started || h.SSRC != r.ssrc {
		r.ssrc, r.started, r.baseSeq, r.maxSeq, r.cycles, r.count = h.SSRC, true, h.SequenceNumber, h.SequenceNumber, 0, 1
		r.lastCount, r.lastExpect, r.haveSR = 0, 0, false
		return
	}
	r.count++
	if rtpx.SeqNewer(h.SequenceNumber, r.maxSeq) {
		if h.SequenceNumber < r.maxSeq {
			r.cycles += 1 << 16
		}
		r.maxSeq = h.SequenceNumber
	}
}

// lost returns the packets lost so far (expected − received).
func (r *receiveStats) lost() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return 0
	}
	return max(0, int64((r.cycles|uint32(r.maxSeq))-uint32(r.baseSeq)+1)-int64(r.count))
}

// remoteSSRC returns the sender's SSRC (false before any packet).
func (r *receiveStats) remoteSSRC() (uint32, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ssrc, r.started
}

func (r *receiveStats) noteSR(ssrc uint32, ntp uint64, now int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lastSR, r.lastSRAt, r.haveSR = uint32(ntp>>16), now, true
}

// report makes the reception report block (RFC 3550 §6.4.1).
func (r *receiveStats) report(now int64) (rtcp.ReceptionReport, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return rtcp.ReceptionReport{}, false
	}
	ext := r.cycles | uint32(r.maxSeq)
	expected := ext - uint32(r.baseSeq) + 1
	lost := int64(expected) - int64(r.count)
	lost = max(0, min(lost, 0x7fffff))
	expInt, recvInt := expected-r.lastExpect, r.count-r.lastCount
	r.lastExpect, r.lastCount = expected, r.count
	var frac uint8
	if expInt > 0 && expInt > recvInt {
		frac = uint8((expInt - recvInt) << 8 / expInt)
	}
	rr := rtcp.ReceptionReport{SSRC: r.ssrc, FractionLost: frac, TotalLost: uint32(lost), LastSequenceNumber: ext}
	if r.haveSR {
		rr.LastSenderReport = r.lastSR
		rr.Delay = uint32(time.Duration(now-r.lastSRAt).Seconds() * 65536)
	}
	return rr, true
}

// handleRTCP handles one compound RTCP packet from from.
func (s *stream) handleRTCP(data []byte, from netip.AddrPort) {
	s.rtcpMu.Lock()
	if s.decRTCP != nil {
		out, err := s.decRTCP.DecryptRTCP(s.rtcpIn[:0], data, nil)
		if err != nil {
			s.rtcpMu.Unlock()
			s.authFailed.Add(1)
			return
		}
		data = out
	}
	pkts, err := rtcp.Unmarshal(data)
	s.rtcpMu.Unlock()
	if err != nil {
		return
	}
	s.learn(from, true)
	now := s.ep.now()
	s.lastRTCP.Store(max(now, 1))
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
			s.plisIn.Add(1)
			s.ep.core.Sink(s.kind).RequestKeyframe()
		case *rtcp.SenderReport:
			s.recv.noteSR(p.SSRC, p.NTPTime, now)
		}
	}
	s.ep.checkMedia()
}

// sendReport sends a sender report (or a receiver report when nothing was
// sent yet) with the reception report and our CNAME.
func (s *stream) sendReport(now int64, wall time.Time) {
	dst := s.dstRTCP.Load()
	if dst == nil {
		return
	}
	var reports []rtcp.ReceptionReport
	if rr, ok := s.recv.report(now); ok && s.dir.recv {
		reports = append(reports, rr)
	}
	var first rtcp.Packet
	s.sendMu.Lock()
	if s.sent > 0 {
		ts := s.lastTS + uint32(uint64(max(now-s.lastTSAt, 0))*uint64(s.codec.ClockRate)/1e9)
		first = &rtcp.SenderReport{SSRC: s.ssrc, NTPTime: ntpTime(wall), RTPTime: ts, PacketCount: s.sent, OctetCount: s.octets, Reports: reports}
	} else {
		first = &rtcp.ReceiverReport{SSRC: s.ssrc, Reports: reports}
	}
	s.sendMu.Unlock()
	s.writeRTCP(*dst, first, rtcp.NewCNAMESourceDescription(s.ssrc, s.ep.cname))
}

// requestKeyframe sends a PLI to the remote sender (at most every
// keyframeInterval).
func (s *stream) requestKeyframe() {
	ssrc, ok := s.recv.remoteSSRC()
	dst := s.dstRTCP.Load()
	if !ok || dst == nil {
		return
	}
	now := s.ep.now()
	last := s.lastPLI.Load()
	if last != 0 && now-last < int64(keyframeInterval) || !s.lastPLI.CompareAndSwap(last, max(now, 1)) {
		return
	}
	s.plisOut.Add(1)
	s.writeRTCP(*dst, &rtcp.PictureLossIndication{SenderSSRC: s.ssrc, MediaSSRC: ssrc})
}

// keyframeInterval is the minimum time between two keyframe requests.
const keyframeInterval = 300 * time.Millisecond

func (s *stream) writeRTCP(dst netip.AddrPort, pkts ...rtcp.Packet) {
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		return
	}
	s.rtcpMu.Lock()
	defer s.rtcpMu.Unlock()
	if s.encRTCP != nil {
		if b, err = s.encRTCP.EncryptRTCP(s.rtcpOut[:0], b, nil); err != nil {
			return
		}
	}
	conn := s.rtcpConn
	if s.mux {
		conn = s.rtpConn
	}
	_, _ = conn.WriteToUDPAddrPort(b, dst)
}

// ntpTime is t as a 64-bit NTP timestamp.
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800
	sec := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return sec<<32 | frac
}
