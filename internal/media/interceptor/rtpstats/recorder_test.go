package rtpstats

import (
	"math"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/interceptor/interceptortest"
)

func marshalRTP(t testing.TB, seq uint16, ts uint32, payload int, pad byte) []byte {
	t.Helper()
	p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 5, SequenceNumber: seq, Timestamp: ts}, Payload: make([]byte, payload)}
	if pad > 0 {
		p.Padding, p.PaddingSize = true, pad
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newRecorder(t testing.TB) *Recorder {
	t.Helper()
	var got *Recorder
	f, err := NewRecorderFactory(OnNew(func(r *Recorder) { got = r }))
	if err != nil {
		t.Fatal(err)
	}
	i, err := f.NewInterceptor("")
	if err != nil || i != got {
		t.Fatalf("recorder %v not handed to OnNew: %v", i, err)
	}
	return got
}

func TestRecorderInboundLoss(t *testing.T) {
	tests := []struct {
		name       string
		seqs       []uint16
		lost       int64
		packets    uint64
		firstBytes uint64 // payload bytes of each packet
	}{
		{"in order", []uint16{1, 2, 3, 4}, 0, 4, 100},
		{"one gap", []uint16{1, 2, 4, 5}, 1, 4, 100},
		{"reordered", []uint16{1, 3, 2, 4}, 0, 4, 100},
		{"across the wrap", []uint16{65534, 65535, 0, 2}, 1, 4, 100},
		{"reordered across the wrap", []uint16{65535, 1, 0}, 0, 3, 100},
		{"late packet before the first", []uint16{10, 11, 9}, 0, 3, 100},
		{"duplicate", []uint16{1, 2, 2, 3}, -1, 4, 100},
		{"late packet from before a wrap", []uint16{1, 2, 65535}, 1, 3, 100},
		{"first packet just before a wrap", []uint16{0, 65534, 1}, 1, 3, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRecorder(t)
			feed := &interceptortest.Feed{}
			for _, s := range tc.seqs {
				feed.Datagrams = append(feed.Datagrams, marshalRTP(t, s, uint32(s)*3000, 100, 0))
			}
			rd := r.BindRemoteStream(&interceptor.StreamInfo{SSRC: 5, ClockRate: 90000}, feed)
			buf := make([]byte, 1500)
			for range tc.seqs {
				if _, _, err := rd.Read(buf, nil); err != nil {
					t.Fatal(err)
				}
			}
			st, ok := r.Inbound(5)
			if !ok || st.PacketsLost != tc.lost || st.Packets != tc.packets || st.Bytes != tc.packets*tc.firstBytes {
				t.Errorf("stats = %+v, want lost %d, packets %d", st, tc.lost, tc.packets)
			}
		})
	}
}

// TestRecorderSharesHeader: interceptors above the recorder find the
// packet already parsed, padding is not counted as payload, and jitter
// follows RFC 3550 for packets arriving off their timestamps' pace.
func TestRecorderSharesHeader(t *testing.T) {
	r := newRecorder(t)
	feed := &interceptortest.Feed{Datagrams: [][]byte{marshalRTP(t, 7, 1000, 200, 20)}}
	rd := r.BindRemoteStream(&interceptor.StreamInfo{SSRC: 5, ClockRate: 90000}, feed)
	buf := make([]byte, 1500)
	_, a, err := rd.Read(buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := a.GetRTPHeader(nil) // nil: it must not need to parse
	if err != nil || h.SequenceNumber != 7 || h.PaddingSize != 20 {
		t.Fatalf("shared header = %+v, %v", h, err)
	}
	if st, _ := r.Inbound(5); st.Bytes != 200 {
		t.Errorf("bytes = %d, want the 200 payload bytes without padding", st.Bytes)
	}

	c := r.in[5]
	c.record(&rtp.Header{SequenceNumber: 8, Timestamp: 0}, 1, 0)
	for i := 1; i <= 200; i++ {
		// 20 ms of media every 20 ms, arriving alternately 5 ms early/late.
		arrival := int64(i)*int64(20*time.Millisecond) + int64(i%2*2-1)*int64(5*time.Millisecond)
		c.record(&rtp.Header{SequenceNumber: uint16(8 + i), Timestamp: uint32(i * 1800)}, 1, arrival)
	}
	st, _ := r.Inbound(5)
	if want := 0.010; math.Abs(st.Jitter-want) > 0.002 { // |D| is 10 ms every packet
		t.Errorf("jitter = %.4f s, want ~%.3f", st.Jitter, want)
	}
}

// TestRecorderRebind: a stream bound again (same SSRC) keeps its counters.
func TestRecorderRebind(t *testing.T) {
	r := newRecorder(t)
	info := &interceptor.StreamInfo{SSRC: 5, ClockRate: 90000}
	buf := make([]byte, 1500)
	for round, seqs := range [][]uint16{{1, 2}, {3, 4, 5}} {
		feed := &interceptortest.Feed{}
		for _, s := range seqs {
			feed.Datagrams = append(feed.Datagrams, marshalRTP(t, s, uint32(s)*3000, 10, 0))
		}
		rd := r.BindRemoteStream(info, feed)
		for range seqs {
			if _, _, err := rd.Read(buf, nil); err != nil {
				t.Fatal(err)
			}
		}
		if st, _ := r.Inbound(5); round == 1 && (st.Packets != 5 || st.PacketsLost != 0) {
			t.Errorf("after a second bind: %+v", st)
		}
	}
}

func TestRecorderRTCP(t *testing.T) {
	r := newRecorder(t)
	_ = r.BindRemoteStream(&interceptor.StreamInfo{SSRC: 5, ClockRate: 90000}, &interceptortest.Feed{})
	w := r.BindLocalStream(&interceptor.StreamInfo{SSRC: 9, ClockRate: 90000}, interceptortest.Discard{})
	for i := 0; i < 3; i++ {
		if _, err := w.Write(&rtp.Header{SSRC: 9, SequenceNumber: uint16(i)}, make([]byte, 50), nil); err != nil {
			t.Fatal(err)
		}
	}
	// What we send about SSRC 5.
	rw := r.BindRTCPWriter(interceptor.RTCPWriterFunc(func(p []rtcp.Packet, _ interceptor.Attributes) (int, error) { return len(p), nil }))
	if _, err := rw.Write([]rtcp.Packet{
		&rtcp.PictureLossIndication{MediaSSRC: 5}, &rtcp.TransportLayerNack{MediaSSRC: 5},
		&rtcp.FullIntraRequest{FIR: []rtcp.FIREntry{{SSRC: 5}}}, &rtcp.PictureLossIndication{MediaSSRC: 5},
	}, nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Inbound(5); st.PLI != 2 || st.NACK != 1 || st.FIR != 1 {
		t.Errorf("inbound feedback sent = %+v", st)
	}
	// What the receiver of SSRC 9 sends: feedback and a report that echoes
	// a sender report we sent 30 ms before it held it for 10 ms.
	now := time.Now()
	lsr := ntpMiddle(now.Add(-40 * time.Millisecond))
	nack9 := &rtcp.TransportLayerNack{MediaSSRC: 9, Nacks: []rtcp.NackPair{{PacketID: 1}}}
	raw, err := rtcp.Marshal([]rtcp.Packet{
		&rtcp.ReceiverReport{Reports: []rtcp.ReceptionReport{{SSRC: 9, FractionLost: 64, TotalLost: 7, Jitter: 900, LastSenderReport: lsr, Delay: 10 * 65536 / 1000}}},
		&rtcp.PictureLossIndication{MediaSSRC: 9}, nack9, nack9,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.BindRTCPReader(&interceptortest.Feed{Datagrams: [][]byte{raw}}).Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	st, _ := r.Outbound(9)
	if st.Packets != 3 || st.Bytes != 150 || st.PLI != 1 || st.NACK != 2 || st.PacketsLost != 7 || st.FractionLost != 64 ||
		st.Reports != 1 || st.Jitter != 0.01 {
		t.Errorf("outbound = %+v", st)
	}
	if st.RoundTripTime < 25*time.Millisecond || st.RoundTripTime > 200*time.Millisecond {
		t.Errorf("round trip = %v, want ~30 ms", st.RoundTripTime)
	}
}

// FuzzRecorder feeds arbitrary received datagrams to the recorder as RTP
// and as RTCP: it must never panic, and counts only what parses.
func FuzzRecorder(f *testing.F) {
	f.Add(marshalRTP(f, 1, 1, 10, 3))
	f.Add([]byte{0x81, 0xc9, 0x00, 0x07, 0, 0, 0, 1, 0, 0, 0, 9, 0x40, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := newRecorder(t)
		_ = r.BindLocalStream(&interceptor.StreamInfo{SSRC: 9}, interceptortest.Discard{})
		rd := r.BindRemoteStream(&interceptor.StreamInfo{SSRC: 5, ClockRate: 90000}, &interceptortest.Feed{Datagrams: [][]byte{b}})
		_, _, err := rd.Read(make([]byte, 1500), nil)
		st, _ := r.Inbound(5)
		if (err == nil) != (st.Packets == 1) || st.Bytes > uint64(len(b)) {
			t.Fatalf("err %v, stats %+v", err, st)
		}
		_, _, _ = r.BindRTCPReader(&interceptortest.Feed{Datagrams: [][]byte{b}}).Read(make([]byte, 1500), nil)
		_, _ = r.Outbound(9)
	})
}
