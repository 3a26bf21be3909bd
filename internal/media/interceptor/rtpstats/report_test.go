package rtpstats

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/interceptor/interceptortest"
)

// Packets recorded directly count like the interceptor's; a receiver
// report gives the loss since the previous one and echoes the last sender
// report.
func TestReceptionReport(t *testing.T) {
	r := newRecorder(t)
	now := time.Now()
	if _, ok := r.ReceptionReport(5, now); ok {
		t.Fatal("report of a stream never received")
	}
	for _, seq := range []uint16{65534, 65535, 1, 2} { // 0 lost across the wrap
		r.RecordInbound(5, 90000, &rtp.Header{SSRC: 5, SequenceNumber: seq, Timestamp: uint32(seq) * 3000}, 100)
	}
	st, _ := r.Inbound(5)
	if st.Packets != 4 || st.PacketsLost != 1 || st.Bytes != 400 {
		t.Fatalf("inbound = %+v", st)
	}
	sr, err := rtcp.Marshal([]rtcp.Packet{&rtcp.SenderReport{SSRC: 5, NTPTime: 0x1234_5678_9abc_def0}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.BindRTCPReader(&interceptortest.Feed{Datagrams: [][]byte{sr}}).Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	rep, ok := r.ReceptionReport(5, time.Now().Add(500*time.Millisecond))
	if !ok || rep.SSRC != 5 || rep.LastSequenceNumber != 1<<16|2 || rep.TotalLost != 1 || rep.FractionLost != 256/5 ||
		rep.LastSenderReport != 0x5678_9abc {
		t.Fatalf("report = %+v", rep)
	}
	if d := time.Duration(rep.Delay) * time.Second >> 16; d < 450*time.Millisecond || d > 2*time.Second {
		t.Errorf("delay since the sender report %v, want ~500 ms", d)
	}
	for _, seq := range []uint16{3, 4} {
		r.RecordInbound(5, 90000, &rtp.Header{SSRC: 5, SequenceNumber: seq}, 100)
	}
	if rep, _ := r.ReceptionReport(5, now); rep.FractionLost != 0 || rep.TotalLost != 1 || rep.LastSequenceNumber != 1<<16|4 {
		t.Fatalf("second report = %+v", rep)
	}
	// The interceptor and direct recording share the stream's counters.
	rd := r.BindRemoteStream(&interceptor.StreamInfo{SSRC: 5, ClockRate: 90000}, &interceptortest.Feed{Datagrams: [][]byte{marshalRTP(t, 6, 0, 10, 0)}})
	if _, _, err := rd.Read(make([]byte, 1500), nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := r.Inbound(5); st.Packets != 7 || st.PacketsLost != 2 {
		t.Fatalf("after an interceptor read: %+v", st)
	}
}
