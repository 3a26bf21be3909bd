// Package interceptortest has the fake readers and writers that tests of
// interceptors bind streams to.
package interceptortest

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// Discard is an RTP stream writer that drops every packet.
type Discard struct{}

// Write implements interceptor.RTPWriter.
func (Discard) Write(_ *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
	return len(payload), nil
}

// SentLog is an RTP stream writer that records what reaches the wire, marshalled.
type SentLog struct{ Packets [][]byte }

// Write implements interceptor.RTPWriter.
func (l *SentLog) Write(h *rtp.Header, payload []byte, _ interceptor.Attributes) (int, error) {
	b, err := (&rtp.Packet{Header: *h, Payload: payload}).Marshal()
	if err != nil {
		return 0, err
	}
	l.Packets = append(l.Packets, b)
	return len(payload), nil
}

// Feed is an RTP or RTCP reader that returns the given datagrams, one per
// read; the last one again once they run out.
type Feed struct{ Datagrams [][]byte }

// Read implements interceptor.RTPReader and interceptor.RTCPReader.
func (f *Feed) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	p := f.Datagrams[0]
	if len(f.Datagrams) > 1 {
		f.Datagrams = f.Datagrams[1:]
	}
	return copy(b, p), a, nil
}
