package webrtcep

import (
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/interceptor/interceptortest"
	"github.com/gorento/gorento/internal/media/interceptor/rtpstats"
)

// videoChain builds the interceptors every endpoint uses and the stream
// info of one VP8 stream with NACK, PLI and transport-cc negotiated.
func videoChain(tb testing.TB) (interceptor.Interceptor, *interceptor.StreamInfo) {
	tb.Helper()
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m); err != nil {
		tb.Fatal(err)
	}
	ir, err := interceptors(m, func(*rtpstats.Recorder) {}, nil, nil)
	if err != nil {
		tb.Fatal(err)
	}
	chain, err := ir.Build("bench")
	if err != nil {
		tb.Fatal(err)
	}
	info := &interceptor.StreamInfo{
		SSRC: 1234, ClockRate: 90000, MimeType: webrtc.MimeTypeVP8, PayloadType: 96,
		RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "transport-cc"}},
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", ID: 3}},
	}
	return chain, info
}

// outboundChain binds one outgoing video stream to the interceptors, as
// Pion does when a track starts sending.
func outboundChain(tb testing.TB) (interceptor.RTPWriter, func()) {
	chain, info := videoChain(tb)
	w := chain.BindLocalStream(info, interceptortest.Discard{})
	return w, func() { chain.UnbindLocalStream(info); _ = chain.Close() }
}

// BenchmarkOutboundInterceptors measures what the interceptors (our
// recorder, Pion's sender reports) cost per sent packet,
// before SRTP.
func BenchmarkOutboundInterceptors(b *testing.B) {
	w, done := outboundChain(b)
	defer done()
	h := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1234}
	payload := make([]byte, 1100)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.SequenceNumber++
		h.Timestamp += 3000
		if _, err := w.Write(&h, payload, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// rtpSource returns the same marshalled packet on every read, with the next
// sequence number.
type rtpSource struct {
	h       rtp.Header
	payload []byte
}

func (s *rtpSource) Read(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
	s.h.SequenceNumber++
	n, err := s.h.MarshalTo(b)
	if err != nil {
		return 0, nil, err
	}
	return n + copy(b[n:], s.payload), a, nil
}

// inboundChain binds one received video stream to the interceptors, as
// Pion does when a track arrives.
func inboundChain(tb testing.TB) (interceptor.RTPReader, func()) {
	chain, info := videoChain(tb)
	// The feedback generators start with the RTCP writer, as in Pion.
	chain.BindRTCPWriter(interceptor.RTCPWriterFunc(func(p []rtcp.Packet, _ interceptor.Attributes) (int, error) { return len(p), nil }))
	src := &rtpSource{h: rtp.Header{Version: 2, PayloadType: 96, SSRC: info.SSRC}, payload: make([]byte, 1100)}
	if err := src.h.SetExtension(3, []byte{0, 0}); err != nil {
		tb.Fatal(err)
	}
	r := chain.BindRemoteStream(info, src)
	return r, func() { chain.UnbindRemoteStream(info); _ = chain.Close() }
}

// BenchmarkInboundInterceptors measures what the interceptors (our
// recorder, Pion's NACK generator, receiver reports, TWCC feedback) cost
// per received packet, after SRTP.
func BenchmarkInboundInterceptors(b *testing.B) {
	r, done := inboundChain(b)
	defer done()
	buf := make([]byte, 1500)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := r.Read(buf, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestInboundAllocatesNothing holds every interceptor a received packet
// passes through to zero allocations.
func TestInboundAllocatesNothing(t *testing.T) {
	read, done := inboundChain(t)
	defer done()
	buf := make([]byte, 1500)
	for i := 0; i < 100; i++ {
		_, _, _ = read.Read(buf, nil)
	}
	if a := testing.AllocsPerRun(1000, func() { _, _, _ = read.Read(buf, nil) }); a != 0 {
		t.Errorf("a received packet allocates %.1f objects", a)
	}
}
