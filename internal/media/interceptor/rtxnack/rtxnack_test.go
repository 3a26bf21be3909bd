package rtxnack

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/interceptor/interceptortest"
)

// nackLog records the sequence numbers the generator asks for.
type nackLog struct {
	mu     sync.Mutex
	asked  map[uint16]int
	rounds int
}

func (l *nackLog) Write(pkts []rtcp.Packet, _ interceptor.Attributes) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rounds++
	for _, p := range pkts {
		if n, ok := p.(*rtcp.TransportLayerNack); ok {
			for _, pair := range n.Nacks {
				for _, s := range pair.PacketList() {
					l.asked[s]++
				}
			}
		}
	}
	return 0, nil
}

func (l *nackLog) count(seq uint16) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.asked[seq]
}

func marshal(t *testing.T, p *rtp.Packet) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRTXRepairStopsNACKs: a packet lost on the media SSRC is NACKed until
// its RTX repair is read on the RTX SSRC, then never again; a loss that
// is not repaired keeps being asked for.
func TestRTXRepairStopsNACKs(t *testing.T) {
	const media, rtx = 1111, 2222
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(5 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	i, err := Wrap(gen, nil).NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	defer i.Close()
	log := &nackLog{asked: map[uint16]int{}}
	i.BindRTCPWriter(log)
	fb := []interceptor.RTCPFeedback{{Type: "nack"}}
	var pkts [][]byte
	for _, seq := range []uint16{10, 11, 13, 15, 16} { // 12 and 14 lost
		pkts = append(pkts, marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: media, SequenceNumber: seq}, Payload: []byte{1}}))
	}
	mr := i.BindRemoteStream(&interceptor.StreamInfo{SSRC: media, SSRCRetransmission: rtx, MimeType: "video/VP8", RTCPFeedback: fb},
		&interceptortest.Feed{Datagrams: pkts})
	buf := make([]byte, 1500)
	for range pkts {
		if _, _, err := mr.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return log.count(12) > 0 && log.count(14) > 0 })
	// The repair of 12 arrives as RTX: OSN 12 before the original payload.
	repair := marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: rtx, SequenceNumber: 500, PayloadType: 97}, Payload: []byte{0, 12, 1}})
	rr := i.BindRemoteStream(&interceptor.StreamInfo{SSRC: rtx, MimeType: "video/rtx"}, &interceptortest.Feed{Datagrams: [][]byte{repair}})
	if _, _, err := rr.Read(buf, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond) // a round that may have started before the repair
	after12, after14 := log.count(12), log.count(14)
	waitFor(t, func() bool { return log.count(14) >= after14+5 })
	if got := log.count(12); got != after12 {
		t.Errorf("12 NACKed %d more times after its RTX repair", got-after12)
	}
}

// TestPairs: Pion does not tell which media stream an inbound RTX stream
// repairs; the owner's pairs (from the remote description) say it, and
// without them only a lone media stream with NACKs is assumed.
func TestPairs(t *testing.T) {
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	var made *Interceptor
	f := Wrap(gen, func(i *Interceptor) { made = i })
	ii, err := f.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	defer ii.Close()
	i := ii.(*Interceptor)
	if made != i {
		t.Fatal("onNew not given the interceptor")
	}
	fb := []interceptor.RTCPFeedback{{Type: "nack"}}
	feed := &interceptortest.Feed{Datagrams: [][]byte{{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}}}
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "audio/opus"}, feed) // no NACKs: not a candidate
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 10, MimeType: "video/VP8", RTCPFeedback: fb}, feed)
	if s := i.repaired(99); s == nil || s.ssrc != 10 {
		t.Errorf("lone video stream not assumed: %+v", s)
	}
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 20, MimeType: "video/VP8", RTCPFeedback: fb}, feed)
	if s := i.repaired(99); s != nil {
		t.Errorf("an unpaired RTX stream among two media streams repairs %d", s.ssrc)
	}
	i.Pair(20, 99)
	if s := i.repaired(99); s == nil || s.ssrc != 20 {
		t.Errorf("pair ignored: %+v", s)
	}
	i.UnbindRemoteStream(&interceptor.StreamInfo{SSRC: 20})
	if s := i.repaired(99); s != nil {
		t.Errorf("a removed stream still repaired: %+v", s)
	}
}

func TestOriginalSeq(t *testing.T) {
	withExt := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 1, Extension: true, ExtensionProfile: 0xBEDE}, Payload: []byte{0x12, 0x34, 9}}
	_ = withExt.SetExtension(1, []byte{7})
	for _, tc := range []struct {
		name string
		b    []byte
		seq  uint16
		ok   bool
	}{
		{"plain", marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2}, Payload: []byte{0xab, 0xcd, 1}}), 0xabcd, true},
		{"extension", marshal(t, withExt), 0x1234, true},
		{"padding-only probe", marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, Padding: true, PaddingSize: 4}, Payload: []byte{}}), 0, false},
		{"short", []byte{0x80, 0, 0}, 0, false},
		{"extension beyond the end", []byte{0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xBE}, 0, false},
	} {
		seq, ok := originalSeq(tc.b)
		if seq != tc.seq || ok != tc.ok {
			t.Errorf("%s: %d %v, want %d %v", tc.name, seq, ok, tc.seq, tc.ok)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

// FuzzOriginalSeq: any datagram on an RTX SSRC is read without a panic.
func FuzzOriginalSeq(f *testing.F) {
	f.Add([]byte{0x80, 97, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 12, 1})
	f.Add([]byte{0xb0, 97, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 1, 2, 3, 4, 0, 12, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		if seq, ok := originalSeq(b); ok && len(b) < 14 {
			t.Fatalf("seq %d from %d bytes", seq, len(b))
		}
	})
}
