package rtpstats

import (
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// Receiver reports.
//
// The recorder has what an RTCP receiver report says of a received stream
// (RFC 3550 §6.4.1): the extended highest sequence number, the packets
// lost, the jitter, and the last sender report. ReceptionReport builds it,
// so that the endpoint reports every received stream itself, whichever
// path its packets took (webrtcep's direct inbound path bypasses Pion's
// interceptors, so Pion's report interceptor would report stale counts).

// reportState is what the previous report said, and the last sender report.
type reportState struct {
	expectedPrior, receivedPrior uint64
	lastSR                       uint32 // middle 32 bits of its NTP time
	lastSRAt                     time.Time
}

// RecordInbound counts a received packet of ssrc that did not pass through
// the recorder's interceptor (webrtcep's direct inbound path); payload is
// its payload length without padding. clockRate is used when the stream is
// new to the recorder.
func (r *Recorder) RecordInbound(ssrc, clockRate uint32, h *rtp.Header, payload int) {
	r.mu.Lock()
	c := r.in[ssrc]
	if c == nil {
		c = &inboundCounters{clockRate: float64(clockRate)}
		r.in[ssrc] = c
	}
	r.mu.Unlock()
	c.record(h, payload, r.now())
}

// senderReport remembers a sender report for the receiver reports.
func (r *Recorder) senderReport(sr *rtcp.SenderReport, now time.Time) {
	r.mu.Lock()
	c := r.in[sr.SSRC]
	r.mu.Unlock()
	if c == nil {
		return
	}
	c.mu.Lock()
	c.report.lastSR = uint32(sr.NTPTime >> 16)
	c.report.lastSRAt = now
	c.mu.Unlock()
}

// ReceptionReport is the report block of a received SSRC since the previous
// call (RFC 3550 §6.4.1, Appendix A.3); false when nothing was received.
func (r *Recorder) ReceptionReport(ssrc uint32, now time.Time) (rtcp.ReceptionReport, bool) {
	r.mu.Lock()
	c := r.in[ssrc]
	r.mu.Unlock()
	if c == nil {
		return rtcp.ReceptionReport{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.started {
		return rtcp.ReceptionReport{}, false
	}
	rep := rtcp.ReceptionReport{SSRC: ssrc, LastSequenceNumber: uint32(c.maxSeq - 0x10000)}
	expected := c.maxSeq - c.baseSeq + 1
	received := c.st.Packets
	lost := int64(expected) - int64(received)
	rep.TotalLost = uint32(min(max(lost, -0x800000), 0x7fffff)) & 0xffffff
	st := &c.report
	dExpected, dReceived := int64(expected-st.expectedPrior), int64(received-st.receivedPrior)
	if dLost := dExpected - dReceived; dExpected > 0 && dLost > 0 {
		rep.FractionLost = uint8(min(dLost<<8/dExpected, 255))
	}
	st.expectedPrior, st.receivedPrior = expected, received
	rep.Jitter = uint32(c.jitter)
	if st.lastSR != 0 {
		rep.LastSenderReport = st.lastSR
		rep.Delay = uint32(now.Sub(st.lastSRAt) * (1 << 16) / time.Second)
	}
	return rep, true
}
