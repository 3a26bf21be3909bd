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

// srDue reports whether the track's sender report is due (on the worker).
func (d *Downtrack) srDue(now int64) bool {
	return d.sr.started && now >= d.sr.next && d.bind.Load() != nil
}

// appendSR appends the track's sender report to pkts (nothing before its
// first packet) and schedules the next one at next.
func (d *Downtrack) appendSR(now, next int64, pkts []rtcp.Packet) []rtcp.Packet {
	s := &d.sr
	b := d.bind.Load()
	if !s.started || b == nil {
		return pkts
	}
	s.next = next
	rtpTime := s.lastTS
	if s.clockRate > 0 && now > s.lastAt {
		rtpTime += uint32(uint64(now-s.lastAt) * uint64(s.clockRate) / 1e9)
	}
	return append(pkts, &rtcp.SenderReport{SSRC: b.SSRC, NTPTime: ntpTime(time.Now()),
		RTPTime: rtpTime, PacketCount: s.packets, OctetCount: s.octets})
}

// srRecheck bounds how long sendReports leaves a transport's tracks
// unlooked-at between reports (a track bound or added in between).
const srRecheck = 100 * time.Millisecond

// sendReports sends the sender reports of a transport's tracks when one is
// due, all in one compound RTCP packet: one SRTCP encryption and one
// datagram per transport instead of one per track (an RTCP write through
// Pion costs as much as several forwarded packets). The interval is
// jittered (±25 %) so that the reports of many transports do not fall due
// in the same tick. Between reports the tracks are looked at every
// srRecheck, not on every worker tick (a track's first packet asks for a
// look at once: Downtrack.forward).
func (t *Transport) sendReports(now int64) {
	if t.p.RTCP == nil || now < t.srCheck {
		return
	}
	t.srCheck = now + int64(srRecheck)
	t.mu.Lock()
	due := false
	for _, d := range t.tracks {
		due = due || d.srDue(now)
		if d.sr.started && d.sr.next > now && d.sr.next < t.srCheck {
			t.srCheck = d.sr.next
		}
	}
	pkts := t.srs[:0]
	if due {
		iv := int64(t.w.s.cfg.SenderReportInterval)
		next := now + iv*3/4 + rand.Int64N(iv/2+1)
		t.srCheck = min(t.srCheck, next)
		for _, d := range t.tracks {
			pkts = d.appendSR(now, next, pkts)
		}
	}
	t.mu.Unlock()
	if len(pkts) > 0 {
		_ = t.p.RTCP.WriteRTCP(pkts)
	}
	clear(pkts)
	t.srs = pkts[:0]
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
