package webrtcep

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
)

// Simulcast end to end, in process: a Pion publisher sends three layers
// (RID simulcast, or SSRC-group SIM as kurento-utils munges it) to a
// WebRtcEndpoint, which feeds a second one whose Pion viewer records what
// it gets. Each layer's packets carry their layer in the payload, so the
// viewer can tell which layer every frame came from.

var simRIDs = []string{"q", "h", "f"}

// simLayerShape: packets per frame and payload size per layer (30 fps:
// ~48, ~144, ~360 kb/s of payload).
var simLayerShape = [3]struct{ packets, size int }{{1, 200}, {2, 300}, {3, 500}}

// simPublisher is a Pion peer sending three simulcast layers of VP8-like
// frames: a keyframe first, then every 2 s and when asked (PLI).
type simPublisher struct {
	pc       *webrtc.PeerConnection
	sender   *webrtc.RTPSender
	tracks   [3]*webrtc.TrackLocalStaticRTP
	midID    uint8
	ridID    uint8
	withRID  bool
	keyAsked [3]atomic.Bool
	plis     [3]atomic.Int64
	paused   [3]atomic.Bool
	stop     chan struct{}
	done     sync.WaitGroup
}

func newSimPublisher(t *testing.T, withRID bool) *simPublisher {
	t.Helper()
	return newSimPublisherWith(t, withRID, nil)
}

// newSimPublisherWith is newSimPublisher with more codecs and interceptors
// (extend, when set, adds them).
func newSimPublisherWith(t *testing.T, withRID bool, extend func(*webrtc.MediaEngine, *interceptor.Registry)) *simPublisher {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		t.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if extend != nil {
		extend(m, ir)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(testpeer.LoopbackSettings()))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &simPublisher{pc: pc, withRID: withRID, stop: make(chan struct{})}
	t.Cleanup(p.close)
	for i, rid := range simRIDs {
		tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
			"video", "simulcast", webrtc.WithRTPStreamID(rid))
		if err != nil {
			t.Fatal(err)
		}
		p.tracks[i] = tr
		if i == 0 {
			if p.sender, err = pc.AddTrack(tr); err != nil {
				t.Fatal(err)
			}
		} else if err := p.sender.AddEncoding(tr); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// offer returns the publisher's offer (with its candidates); SIM
// publishers munge it the way kurento-utils does: no rids, the layers'
// SSRCs in an a=ssrc-group:SIM, lowest first.
func (p *simPublisher) offer(t *testing.T) string {
	t.Helper()
	offer, err := p.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(p.pc)
	if err := p.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	s := p.pc.LocalDescription().SDP
	if p.withRID {
		return s
	}
	var out strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		v := strings.TrimSpace(l)
		if strings.HasPrefix(v, "a=rid:") || strings.HasPrefix(v, "a=simulcast:") || strings.Contains(v, sdp.SDESRTPStreamIDURI) ||
			strings.Contains(v, sdp.SDESRepairRTPStreamIDURI) {
			continue
		}
		out.WriteString(l)
		if strings.HasPrefix(v, "a=mid:") && strings.Contains(s, "m=video") {
			enc := p.sender.GetParameters().Encodings
			var ids []string
			for _, e := range enc {
				ids = append(ids, fmt.Sprint(e.SSRC))
			}
			fmt.Fprintf(&out, "a=x-google-flag:conference\r\na=ssrc-group:SIM %s\r\n", strings.Join(ids, " "))
			for _, id := range ids {
				fmt.Fprintf(&out, "a=ssrc:%s cname:localVideo\r\na=ssrc:%s msid:stream-sim track-sim\r\n", id, id)
			}
		}
	}
	return out.String()
}

// start applies the answer and sends frames at 30 fps until close.
func (p *simPublisher) start(t *testing.T, answer string) {
	t.Helper()
	if err := p.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	for _, e := range p.sender.GetParameters().HeaderExtensions {
		switch e.URI {
		case sdp.SDESMidURI:
			p.midID = uint8(e.ID)
		case sdp.SDESRTPStreamIDURI:
			p.ridID = uint8(e.ID)
		}
	}
	for i, rid := range simRIDs {
		p.done.Add(1)
		go func() {
			defer p.done.Done()
			for {
				pkts, _, err := p.sender.ReadSimulcastRTCP(rid)
				if err != nil {
					return
				}
				for _, pk := range pkts {
					if _, ok := pk.(*rtcp.PictureLossIndication); ok {
						p.plis[i].Add(1)
						p.keyAsked[i].Store(true)
					}
				}
			}
		}()
	}
	p.done.Add(1)
	go p.send()
}

func (p *simPublisher) send() {
	defer p.done.Done()
	tick := time.NewTicker(33 * time.Millisecond)
	defer tick.Stop()
	var seq [3]uint16
	for frame := 0; ; frame++ {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		ts := uint32(frame * 3000)
		for l := range simRIDs {
			if p.paused[l].Load() {
				continue
			}
			key := frame == 0 || (frame+20*l)%60 == 0 || p.keyAsked[l].Swap(false)
			shape := simLayerShape[l]
			for i := 0; i < shape.packets; i++ {
				payload := make([]byte, shape.size)
				if i == 0 {
					payload[0] = 0x10 // S: start of partition 0
					if !key {
						payload[1] = 0x01 // P: inter frame
					}
				}
				payload[2] = byte('0' + l)
				h := rtp.Header{Version: 2, SequenceNumber: seq[l], Timestamp: ts, Marker: i == shape.packets-1}
				seq[l]++
				if p.midID != 0 {
					_ = h.SetExtension(p.midID, []byte("0"))
				}
				if p.withRID && p.ridID != 0 {
					_ = h.SetExtension(p.ridID, []byte(simRIDs[l]))
				}
				_ = p.tracks[l].WriteRTP(&rtp.Packet{Header: h, Payload: payload})
			}
		}
	}
}

func (p *simPublisher) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	_ = p.pc.Close()
	p.done.Wait()
}

// simViewer is a Pion peer receiving video and recording every packet.
type simViewer struct {
	pc  *webrtc.PeerConnection
	mu  sync.Mutex
	got []viewerPacket
}

type viewerPacket struct {
	ssrc    uint32
	seq     uint16
	ts      uint32
	layer   byte
	keyHead bool // starts a keyframe
}

// newVP8Viewer is a Pion peer that receives one VP8 video stream and hands
// every packet to onPacket; its reader is joined when the test ends.
func newVP8Viewer(t *testing.T, onPacket func(*rtp.Packet)) *webrtc.PeerConnection {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(testpeer.LoopbackSettings()))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	var readers sync.WaitGroup
	t.Cleanup(func() { _ = pc.Close(); readers.Wait() })
	if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
		t.Fatal(err)
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		readers.Add(1)
		defer readers.Done()
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			onPacket(pkt)
		}
	})
	return pc
}

func newSimViewer(t *testing.T) *simViewer {
	t.Helper()
	v := &simViewer{}
	v.pc = newVP8Viewer(t, func(pkt *rtp.Packet) {
		if len(pkt.Payload) < 3 {
			return
		}
		v.mu.Lock()
		v.got = append(v.got, viewerPacket{ssrc: pkt.SSRC, seq: pkt.SequenceNumber, ts: pkt.Timestamp, layer: pkt.Payload[2] - '0',
			keyHead: pkt.Payload[0]&0x10 != 0 && pkt.Payload[1]&0x01 == 0})
		v.mu.Unlock()
	})
	return v
}

func (v *simViewer) packets() []viewerPacket {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]viewerPacket(nil), v.got...)
}

// lastLayer is the layer of the last packet received (-1: none).
func (v *simViewer) lastLayer() int {
	got := v.packets()
	if len(got) == 0 {
		return -1
	}
	return int(got[len(got)-1].layer)
}

func (v *simViewer) sendREMB(t *testing.T, bps float32) {
	t.Helper()
	for _, tr := range v.pc.GetTransceivers() {
		if r := tr.Receiver(); r != nil && r.Track() != nil {
			if err := v.pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: bps, SSRCs: []uint32{uint32(r.Track().SSRC())}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkNoMixing checks what a viewer got: one SSRC, consecutive sequence
// numbers across every layer switch, timestamps that never go back, every
// frame (timestamp) from one layer, and a layer change only where a
// keyframe starts. Two breaks are allowed, both kept as gaps as an SFU
// must: a short forward jump within a layer is a packet lost on the way
// (UDP on a loaded machine drops some; the peers here do not repair; only
// a few may be lost), and packets the pacer dropped after waiting too long
// leave a gap after which the track resumes on a keyframe.
func checkNoMixing(t *testing.T, got []viewerPacket) (switches int) {
	t.Helper()
	const maxGap = 8 // packets lost in a row within one layer
	lost := 0
	frameLayer := map[uint32]byte{}
	for i, p := range got {
		if l, ok := frameLayer[p.ts]; ok && l != p.layer {
			t.Fatalf("packet %d: frame ts %d has packets of layers %d and %d", i, p.ts, l, p.layer)
		}
		frameLayer[p.ts] = p.layer
		if i == 0 {
			if !p.keyHead {
				t.Fatalf("the first packet is not a keyframe's")
			}
			continue
		}
		q := got[i-1]
		if p.ssrc != q.ssrc {
			t.Fatalf("packet %d: SSRC changed %d → %d", i, q.ssrc, p.ssrc)
		}
		switch d := p.seq - q.seq; {
		case d == 1:
		case d > 1 && d < 0x8000 && p.keyHead:
			t.Logf("packet %d: sequence %d after %d, resumed on a keyframe (a pacer drop)", i, p.seq, q.seq)
		case d > 1 && d <= maxGap && p.layer == q.layer:
			lost += int(d - 1)
		default:
			t.Fatalf("packet %d: sequence %d after %d (layers %d → %d)", i, p.seq, q.seq, q.layer, p.layer)
		}
		if int32(p.ts-q.ts) < 0 {
			t.Fatalf("packet %d: timestamp %d after %d", i, p.ts, q.ts)
		}
		if p.layer != q.layer {
			if !p.keyHead {
				t.Fatalf("packet %d: layer %d → %d on a packet that does not start a keyframe", i, q.layer, p.layer)
			}
			switches++
		}
	}
	if lost*50 > len(got) {
		t.Errorf("%d packets missing of %d: more than loopback loses", lost, len(got)+lost)
	}
	return switches
}

// simulcastCall connects publisher → endpoint A → endpoint B → viewer.
func simulcastCall(t *testing.T, withRID bool) (*simPublisher, *Endpoint, *Endpoint, *simViewer) {
	t.Helper()
	return simulcastCallWith(t, newEngine(t), newSimPublisher(t, withRID))
}

// simulcastCallWith is simulcastCall on eng with the publisher pub.
func simulcastCallWith(t *testing.T, eng *Engine, pub *simPublisher) (*simPublisher, *Endpoint, *Endpoint, *simViewer) {
	t.Helper()
	withRID := pub.withRID
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	a := newTrickled(t, p, eng)
	answer, err := a.ep.ProcessOffer(pub.offer(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"a=rid:", "a=simulcast:"} {
		if !withRID && strings.Contains(answer, bad) {
			t.Errorf("the answer to a SIM offer has %q", bad)
		}
	}
	if withRID && !strings.Contains(answer, "a=simulcast:recv q;h;f") {
		t.Errorf("the answer to a RID offer has no a=simulcast:recv:\n%s", answer)
	}
	pub.start(t, answer)
	a.connect(t, pub.pc)

	viewer := newSimViewer(t)
	b := newTrickled(t, p, eng)
	offer, err := viewer.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(viewer.pc)
	if err := viewer.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	answer, err = b.ep.ProcessOffer(viewer.pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := viewer.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	b.connect(t, viewer.pc)
	if err := media.Connect(a.ep, b.ep, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	return pub, a.ep, b.ep, viewer
}

// trickled is an endpoint whose candidates go to its Pion peer once set.
type trickled struct {
	ep    *Endpoint
	mu    sync.Mutex
	peer  *webrtc.PeerConnection
	early []IceCandidateFound
}

func newTrickled(t *testing.T, p *media.Pipeline, eng *Engine) *trickled {
	t.Helper()
	tr := &trickled{}
	ep, err := New(p, eng, Options{}, func(e media.Event) {
		c, ok := e.(IceCandidateFound)
		if !ok {
			return
		}
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if tr.peer == nil {
			tr.early = append(tr.early, c)
			return
		}
		tr.add(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	tr.ep = ep
	return tr
}

func (tr *trickled) add(c IceCandidateFound) {
	mid, idx := c.SdpMid, uint16(c.SdpMLineIndex)
	_ = tr.peer.AddICECandidate(webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: &mid, SDPMLineIndex: &idx})
}

// connect gathers the endpoint's candidates into pc and waits until the
// peer is connected.
func (tr *trickled) connect(t *testing.T, pc *webrtc.PeerConnection) {
	t.Helper()
	tr.mu.Lock()
	tr.peer = pc
	for _, c := range tr.early {
		tr.add(c)
	}
	tr.mu.Unlock()
	if err := tr.ep.GatherCandidates(); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the peer connected", func() bool {
		return pc.ConnectionState() == webrtc.PeerConnectionStateConnected
	})
}

// TestSimulcastLayerPerViewer: a viewer gets the best layer its budget
// allows and moves down and up only at keyframes of the new layer, with
// one continuous stream; both offer forms.
func TestSimulcastLayerPerViewer(t *testing.T) {
	for _, tc := range []struct {
		name    string
		withRID bool
	}{{"rid", true}, {"ssrc-group SIM", false}} {
		t.Run(tc.name, func(t *testing.T) {
			pub, a, b, viewer := simulcastCall(t, tc.withRID)
			// The default budget (maxVideoSendBandwidth 500 kb/s) fits the top layer.
			testutil.Eventually(t, 15*time.Second, "the top layer", func() bool { return viewer.lastLayer() == 2 })
			if got := len(a.inboundLayers()); got != 3 {
				t.Errorf("publisher endpoint receives %d layers, want 3", got)
			}
			// A lower send limit: the middle layer.
			bw := b.Bandwidths()
			bw.MaxVideoSend = 250
			b.SetBandwidths(bw)
			testutil.Eventually(t, 10*time.Second, "the middle layer under 250 kb/s", func() bool { return viewer.lastLayer() == 1 })
			// The viewer's REMB (clamped to minVideoSendBandwidth 100 kb/s): the lowest layer.
			testutil.Eventually(t, 10*time.Second, "the lowest layer under a 60 kb/s REMB", func() bool {
				viewer.sendREMB(t, 60_000)
				return viewer.lastLayer() == 0
			})
			// The viewer adapts by layer: its low REMB does not cap the publisher.
			if e := b.BitrateEstimate(b.core.Sink(media.Video)); e != 0 {
				t.Errorf("a simulcast viewer's estimate upstream = %d, want 0 (none)", e)
			}
			// A better estimate again: up to what the send limit allows.
			testutil.Eventually(t, 10*time.Second, "back up to the middle layer", func() bool {
				viewer.sendREMB(t, 5_000_000)
				return viewer.lastLayer() == 1
			})
			st := b.VideoLayer()
			if st.Current != 1 || st.Layers != 3 || st.Bitrate == 0 {
				t.Errorf("viewer's layer state = %+v, want current 1 of 3 with a bitrate", st)
			}
			checkLayerStats(t, a, b)
			pub.close()
			if n := checkNoMixing(t, viewer.packets()); n < 3 {
				t.Errorf("%d layer switches, want at least 3", n)
			}
			for l := range simRIDs {
				if pub.plis[l].Load() == 0 {
					t.Errorf("no keyframe asked of layer %d", l)
				}
			}
		})
	}
}

// checkLayerStats: the publisher's endpoint reports each layer it
// receives, the viewer's the layer it sends (the middle one).
func checkLayerStats(t *testing.T, pub, view *Endpoint) {
	t.Helper()
	video := media.Video
	seen := map[int]bool{}
	for _, r := range pub.Stats(&video).RTP {
		if r.Inbound && r.Layers == 3 && r.Packets > 0 {
			seen[r.Layer] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("publisher's inbound layers in stats = %v, want 0, 1, 2", seen)
	}
	var out []RTPStats
	for _, r := range view.Stats(&video).RTP {
		if !r.Inbound {
			out = append(out, r)
		}
	}
	if len(out) != 1 || out[0].Layers != 3 || out[0].Layer != 1 || out[0].LayerBitrate == 0 || out[0].LayerSwitches < 3 {
		t.Errorf("viewer's outbound stats = %+v, want layer 1 of 3 with a bitrate and switches", out)
	}
}

// TestSimulcastPausedLayer: when the publisher stops sending the layer a
// viewer gets (its own uplink got worse), the viewer moves to the best
// layer still sent, at its keyframe.
func TestSimulcastPausedLayer(t *testing.T) {
	pub, _, _, viewer := simulcastCall(t, true)
	testutil.Eventually(t, 15*time.Second, "the top layer", func() bool { return viewer.lastLayer() == 2 })
	pub.paused[2].Store(true)
	testutil.Eventually(t, 10*time.Second, "the middle layer once the top one paused", func() bool { return viewer.lastLayer() == 1 })
	pub.close()
	checkNoMixing(t, viewer.packets())
}

// TestNoSimulcastNoChange: an offer without simulcast (a browser offers
// the rid extensions anyway) gets the answer it got before simulcast
// support: no rid extensions, no a=simulcast.
func TestNoSimulcastNoChange(t *testing.T) {
	eng := newEngine(t)
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	tr, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "plain")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.AddTrack(tr); err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(offer.SDP, sdp.SDESRTPStreamIDURI) {
		t.Fatal("the offer does not offer the rid extension: the test proves nothing")
	}
	ep, err := New(p, eng, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := ep.ProcessOffer(offer.SDP)
	if err != nil {
		t.Fatal(err)
	}
	for _, unwanted := range []string{sdp.SDESRTPStreamIDURI, sdp.SDESRepairRTPStreamIDURI, "a=simulcast", "a=rid:"} {
		if strings.Contains(answer, unwanted) {
			t.Errorf("the answer to an offer without simulcast has %q", unwanted)
		}
	}
}
