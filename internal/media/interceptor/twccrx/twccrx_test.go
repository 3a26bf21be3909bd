package twccrx

import (
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

	"github.com/gorento/gorento/internal/media/interceptor/interceptortest"
)

// Packets recorded through the interceptor (Pion's path) and directly
// land in one feedback, gaps reported as not received.
func TestFeedbackFromBothPaths(t *testing.T) {
	var r *Recorder
	i, err := Factory{onNew: func(x *Recorder) { r = x }}.NewInterceptor("")
	if err != nil || i != r {
		t.Fatal("recorder not handed over", err)
	}
	const id = 3
	var feed interceptortest.Feed
	for _, seq := range []uint16{10, 11, 13} { // 12 comes directly, 14 is lost, 15 comes directly
		p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 7, SequenceNumber: seq}, Payload: []byte{1}}
		if err := p.SetExtension(id, []byte{byte(seq >> 8), byte(seq)}); err != nil {
			t.Fatal(err)
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		feed.Datagrams = append(feed.Datagrams, b)
	}
	rd := r.BindRemoteStream(&interceptor.StreamInfo{SSRC: 7, RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: id}}}, &feed)
	buf := make([]byte, 1500)
	for range 2 {
		if _, _, err := rd.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	r.Record(7, 12, time.Now())
	if _, _, err := rd.Read(buf, nil); err != nil {
		t.Fatal(err)
	}
	r.Record(7, 15, time.Now())
	pkts := r.Feedback()
	if len(pkts) != 1 {
		t.Fatalf("%d feedback packets", len(pkts))
	}
	cc, ok := pkts[0].(*rtcp.TransportLayerCC)
	if !ok || cc.BaseSequenceNumber != 10 || cc.PacketStatusCount != 6 || len(cc.RecvDeltas) != 5 {
		t.Fatalf("feedback %+v", pkts[0])
	}
	if len(r.Feedback()) != 0 {
		t.Error("feedback again with nothing new")
	}
	if _, ok := Sequence([]byte{1}); ok {
		t.Error("a one-byte extension read as a sequence number")
	}
}
