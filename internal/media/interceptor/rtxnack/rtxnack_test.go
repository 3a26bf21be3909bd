package rtxnack

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"

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

// newNACKer is the interceptor under test around Pion's NACK generator
// ticking every interval, with a log of what it asks for; closed when the
// test ends.
func newNACKer(t *testing.T, interval time.Duration) (*Interceptor, *nackLog) {
	t.Helper()
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(interval))
	if err != nil {
		t.Fatal(err)
	}
	ii, err := Wrap(gen, nil).NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ii.Close() })
	i := ii.(*Interceptor)
	log := &nackLog{asked: map[uint16]int{}}
	i.BindRTCPWriter(log)
	return i, log
}

// nackFeedback is what a video stream that accepts NACKs declares.
var nackFeedback = []interceptor.RTCPFeedback{{Type: "nack"}}

// videoStream is a VP8 stream with NACK feedback.
func videoStream(ssrc uint32) *interceptor.StreamInfo {
	return &interceptor.StreamInfo{SSRC: ssrc, MimeType: "video/VP8", RTCPFeedback: nackFeedback}
}

// packets marshals one small packet per sequence number on ssrc.
func packets(t *testing.T, ssrc uint32, seqs ...uint16) [][]byte {
	t.Helper()
	var pkts [][]byte
	for _, seq := range seqs {
		pkts = append(pkts, marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq}, Payload: []byte{1}}))
	}
	return pkts
}

// readAll binds a remote stream that delivers datagrams and reads every one
// of them through the interceptor.
func readAll(t *testing.T, i *Interceptor, info *interceptor.StreamInfo, datagrams [][]byte) {
	t.Helper()
	r := i.BindRemoteStream(info, &interceptortest.Feed{Datagrams: datagrams})
	buf := make([]byte, 1500)
	for range datagrams {
		if _, _, err := r.Read(buf, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// settle returns once every NACK round that may have started before the
// call has been written: it waits for two more asks of seq, a loss that
// stays unrepaired (rounds run one after another, so the second ask comes
// from a round begun after this call). A fixed sleep here failed when the
// machine was loaded and a round was descheduled mid-write.
func settle(t *testing.T, log *nackLog, seq uint16) {
	t.Helper()
	n := log.count(seq)
	waitFor(t, func() bool { return log.count(seq) >= n+2 })
}

// TestRTXRepairStopsNACKs: a packet lost on the media SSRC is NACKed until
// its RTX repair is read on the RTX SSRC, then never again; a loss that
// is not repaired keeps being asked for.
func TestRTXRepairStopsNACKs(t *testing.T) {
	const media, rtx = 1111, 2222
	i, log := newNACKer(t, 5*time.Millisecond)
	info := videoStream(media)
	info.SSRCRetransmission = rtx
	readAll(t, i, info, packets(t, media, 10, 11, 13, 15, 16)) // 12 and 14 lost
	waitFor(t, func() bool { return log.count(12) > 0 && log.count(14) > 0 })
	// The repair of 12 arrives as RTX: OSN 12 before the original payload.
	repair := marshal(t, &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: rtx, SequenceNumber: 500, PayloadType: 97}, Payload: []byte{0, 12, 1}})
	readAll(t, i, &interceptor.StreamInfo{SSRC: rtx, MimeType: "video/rtx"}, [][]byte{repair})
	settle(t, log, 14)
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
	feed := &interceptortest.Feed{Datagrams: [][]byte{{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}}}
	i.BindRemoteStream(&interceptor.StreamInfo{SSRC: 1, MimeType: "audio/opus"}, feed) // no NACKs: not a candidate
	i.BindRemoteStream(videoStream(10), feed)
	if s := i.repaired(99); s == nil || s.ssrc != 10 {
		t.Errorf("lone video stream not assumed: %+v", s)
	}
	i.BindRemoteStream(videoStream(20), feed)
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

// TestSimulcastRepairs: rid simulcast declares no SSRCs; each layer's RTX
// stream is paired with its layer by the repaired-rid of its packets (or
// the rid a sender copied from the original), so a repair stops the NACKs
// of its own layer's packet and of no other.
func TestSimulcastRepairs(t *testing.T) {
	const ridID, rridID = 10, 11
	exts := []interceptor.RTPHeaderExtension{{URI: sdp.SDESRTPStreamIDURI, ID: ridID}, {URI: sdp.SDESRepairRTPStreamIDURI, ID: rridID}}
	i, log := newNACKer(t, 5*time.Millisecond)
	withExt := func(h rtp.Header, id uint8, v string, payload ...byte) []byte {
		h.Version = 2
		if id != 0 {
			_ = h.SetExtension(id, []byte(v))
		}
		return marshal(t, &rtp.Packet{Header: h, Payload: payload})
	}
	// Three layers, SSRCs 100, 200, 300; the first packet of each carries
	// its rid (later ones none, as Chrome stops once acknowledged); each
	// layer loses its packet 12 (layer q: also 14).
	layers := []string{"q", "h", "f"}
	for l, rid := range layers {
		ssrc := uint32(100 * (l + 1))
		var pkts [][]byte
		for k, seq := range []uint16{10, 11, 13, 15, 16} {
			id := uint8(0)
			if k == 0 {
				id = ridID
			}
			pkts = append(pkts, withExt(rtp.Header{SSRC: ssrc, SequenceNumber: seq + uint16(1000*l)}, id, rid, 1))
		}
		info := videoStream(ssrc)
		info.RTPHeaderExtensions = exts
		readAll(t, i, info, pkts)
	}
	waitFor(t, func() bool { return log.count(12) > 0 && log.count(1012) > 0 && log.count(2012) > 0 })
	// Layer h's repair of 1012 with a repaired-rid (Chrome), layer q's of 12
	// with the rid copied from the original (Pion's responder).
	repairs := []struct {
		ssrc uint32
		id   uint8
		rid  string
		osn  uint16
	}{{201, rridID, "h", 1012}, {101, ridID, "q", 12}}
	for _, rp := range repairs {
		readAll(t, i, &interceptor.StreamInfo{SSRC: rp.ssrc, MimeType: "video/rtx", RTPHeaderExtensions: exts},
			[][]byte{withExt(rtp.Header{SSRC: rp.ssrc, SequenceNumber: 7, PayloadType: 97}, rp.id, rp.rid, byte(rp.osn>>8), byte(rp.osn), 1)})
	}
	settle(t, log, 14)
	before := map[uint16]int{}
	for _, s := range []uint16{12, 14, 1012, 1014, 2012} {
		before[s] = log.count(s)
	}
	waitFor(t, func() bool { return log.count(2012) >= before[2012]+5 && log.count(14) >= before[14]+5 })
	for _, s := range []uint16{12, 1012} {
		if got := log.count(s); got != before[s] {
			t.Errorf("%d NACKed %d more times after its RTX repair", s, got-before[s])
		}
	}
	if log.count(1014) < before[1014]+5 {
		t.Errorf("layer h's unrepaired 1014 no longer NACKed")
	}
	i.UnbindRemoteStream(&interceptor.StreamInfo{SSRC: 200})
	if s := i.repaired(201); s != nil {
		t.Errorf("the RTX of a removed layer still repairs %d", s.ssrc)
	}
}

// TestWanted: NACKs for a stream the owner does not want repaired (a
// simulcast layer no viewer gets) are not sent; the others are.
func TestWanted(t *testing.T) {
	i, log := newNACKer(t, 5*time.Millisecond)
	i.SetWanted(func(ssrc uint32) bool { return ssrc != 200 })
	for _, ssrc := range []uint32{100, 200} {
		readAll(t, i, videoStream(ssrc), packets(t, ssrc, 10+uint16(ssrc), 12+uint16(ssrc))) // 11 lost
	}
	waitFor(t, func() bool { return log.count(111) >= 3 })
	if n := log.count(211); n != 0 {
		t.Errorf("the unwanted stream's loss was NACKed %d times", n)
	}
	i.SetWanted(nil)
	waitFor(t, func() bool { return log.count(211) > 0 })
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

// TestImmediateNACK: a gap is asked for as soon as the packet after it is
// read, not at the generator's next tick (here an hour away); a late
// (reordered) packet, a jump beyond maxImmediateGap and a stream nobody
// wants ask for nothing.
func TestImmediateNACK(t *testing.T) {
	i, log := newNACKer(t, time.Hour)
	i.SetWanted(func(ssrc uint32) bool { return ssrc != 200 })
	read := func(ssrc uint32, seqs ...uint16) {
		t.Helper()
		readAll(t, i, videoStream(ssrc), packets(t, ssrc, seqs...))
	}
	// 100: 65534, 65535, (0, 1 lost across the wrap), 2, 4 (3 lost), 3 late,
	// then a jump of 100 (not asked at once).
	read(100, 65534, 65535, 2, 4, 3, 104)
	for _, seq := range []uint16{0, 1, 3} {
		if n := log.count(seq); n != 1 {
			t.Errorf("seq %d asked %d times, want once at once", seq, n)
		}
	}
	for _, seq := range []uint16{5, 50, 103} {
		if n := log.count(seq); n != 0 {
			t.Errorf("seq %d of a jump asked %d times", seq, n)
		}
	}
	read(200, 10, 12)
	if n := log.count(11); n != 0 {
		t.Errorf("the unwanted stream's loss was asked for %d times", n)
	}
	// A congested stream (two packets in three lost): its gaps wait for the tick.
	var seqs []uint16
	for s := uint16(1000); s < 1600; s += 3 {
		seqs = append(seqs, s)
	}
	read(300, seqs...)
	if n := log.count(1598); n != 0 {
		t.Errorf("a gap of a stream losing 2/3 of its packets was asked for at once (%d)", n)
	}
}
