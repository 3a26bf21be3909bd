package egress

import (
	"math/rand/v2"
	"time"

	"github.com/pion/rtcp"
)

// senderReport is a downtrack's RTCP sender report state (RFC 3550 §6.4.1).
// Pion's report interceptor cannot make them for us: it extrapolates from
// the packets that pass through Pion's writer, and the egress writes most
// of them itself.
type senderReport struct {
	started   bool
	lastTS    uint32 // RTP timestamp of the last media packet sent
	lastAt    int64  // monotonic ns when it was sent
	clockRate uint32
	packets   uint32
	octets    uint32
	next      int64 // when the next report is due
}

// media records a media packet sent.
func (s *senderReport) media(ts, clockRate uint32, now int64, payload int) {
	s.started = true
	s.lastTS, s.lastAt, s.clockRate = ts, now, clockRate
	s.packets++
	s.octets += uint32(payload)
}

// tickSR sends the track's sender report when due (on the worker).
func (d *Downtrack) tickSR(now int64) {
	s := &d.sr
	b := d.bind.Load()
	w := d.t.p.RTCP
	if !s.started || b == nil || w == nil || now < s.next {
		return
	}
	// The interval is jittered (±25 %) so the reports of many tracks do
	// not fall due in the same tick.
	iv := int64(d.t.w.s.cfg.SenderReportInterval)
	s.next = now + iv*3/4 + rand.Int64N(iv/2+1)
	rtpTime := s.lastTS
	if s.clockRate > 0 && now > s.lastAt {
		rtpTime += uint32(uint64(now-s.lastAt) * uint64(s.clockRate) / 1e9)
	}
	_ = w.WriteRTCP([]rtcp.Packet{&rtcp.SenderReport{SSRC: b.SSRC, NTPTime: ntpTime(time.Now()),
		RTPTime: rtpTime, PacketCount: s.packets, OctetCount: s.octets}})
}

// ntpTime is t in NTP's 64-bit format (seconds since 1900, 32.32 fixed point).
func ntpTime(t time.Time) uint64 {
	const ntpEpochOffset = 2208988800 // 1970 − 1900 in seconds
	secs := uint64(t.Unix()) + ntpEpochOffset
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// randUint32 is a random 32-bit number (initial RTX sequence numbers).
func randUint32() uint32 { return rand.Uint32() }
