package webrtcep

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
)

// VP8 temporal layers end to end, in process: a Pion publisher sends one
// VP8 stream (no simulcast) with three temporal layers in libwebrtc's
// L1T3 pattern (TIDs 0, 2, 1, 2; crafted payload descriptors: 15-bit
// PictureID, TL0PICIDX, TID and Y) to a WebRtcEndpoint feeding a second
// one, whose Pion viewer records the descriptors it gets.

// tlShape: payload bytes of each of the 2 packets of a frame, per TID:
// at 30 fps ~120 (TID 0), ~72 (TID 1) and ~96 (TID 2) kb/s.
var tlShape = [3]int{1000, 600, 400}

type tlPublisher struct {
	pc       *webrtc.PeerConnection
	track    *webrtc.TrackLocalStaticRTP
	sender   *webrtc.RTPSender
	keyAsked atomic.Bool
	frames   atomic.Int64
	stop     chan struct{}
	done     sync.WaitGroup
}

func newTLPublisher(t *testing.T) *tlPublisher {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: videoFeedback}}, webrtc.RTPCodecTypeVideo); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(testpeer.LoopbackSettings())).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	p := &tlPublisher{pc: pc, stop: make(chan struct{})}
	t.Cleanup(p.close)
	if p.track, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "l1t3"); err != nil {
		t.Fatal(err)
	}
	if p.sender, err = pc.AddTrack(p.track); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *tlPublisher) start() {
	p.done.Add(2)
	go func() {
		defer p.done.Done()
		for {
			pkts, _, err := p.sender.ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				if _, ok := pk.(*rtcp.PictureLossIndication); ok {
					p.keyAsked.Store(true)
				}
			}
		}
	}()
	go p.send()
}

// send sends 30 fps of L1T3 frames: a keyframe first, every 4 s and when
// asked; PictureIDs from near the 15-bit wrap. A late tick sends the
// frames due since (a ticker drops ticks on a loaded machine): the rate,
// which the viewers' layer choice follows, stays 30 fps.
func (p *tlPublisher) send() {
	defer p.done.Done()
	const interval = 33 * time.Millisecond
	tick := time.NewTicker(interval)
	defer tick.Stop()
	seq, pic, tl0 := uint16(0), uint16(0x7f00), uint8(250)
	idx := 0 // position in the L1T3 pattern
	start := time.Now()
	for frame := 0; ; frame++ {
		if frame >= int(time.Since(start)/interval) {
			select {
			case <-p.stop:
				return
			case <-tick.C:
			}
		}
		key := frame == 0 || frame%120 == 0 || p.keyAsked.Swap(false)
		if key {
			idx = 0
		}
		tid, sync := [4]uint8{0, 2, 1, 2}[idx%4], idx%4 == 1 || idx%4 == 2
		idx++
		if tid == 0 && frame > 0 {
			tl0++
		}
		pic = (pic + 1) & 0x7fff
		for part := 0; part < 2; part++ {
			payload := make([]byte, tlShape[tid])
			payload[0] = 0x80 // X
			if part == 0 {
				payload[0] |= 0x10 // S, partition 0
			}
			payload[1] = 0xe0 // I, L, T
			payload[2], payload[3] = 0x80|byte(pic>>8), byte(pic)
			payload[4] = tl0
			payload[5] = tid << 6
			if sync {
				payload[5] |= 0x20
			}
			if !key {
				payload[6] = 0x01 // P: inter frame
			}
			payload[7] = tid // the viewer checks the TID it decodes against this
			_ = p.track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(frame * 3000),
				Marker: part == 1}, Payload: payload})
			seq++
		}
		p.frames.Add(1)
	}
}

func (p *tlPublisher) close() {
	select {
	case <-p.stop:
		return
	default:
	}
	close(p.stop)
	_ = p.pc.Close()
	p.done.Wait()
}

// tlPacket is what the viewer got: header and payload descriptor.
type tlPacket struct {
	seq    uint16
	ts     uint32
	desc   rtpx.VP8Descriptor
	srcTID byte
	key    bool // the first packet of a keyframe
	at     time.Time
}

type tlViewer struct {
	pc  *webrtc.PeerConnection
	mu  sync.Mutex
	got []tlPacket
}

func newTLViewer(t *testing.T) *tlViewer {
	t.Helper()
	v := &tlViewer{}
	v.pc = newVP8Viewer(t, func(pkt *rtp.Packet) {
		d, err := rtpx.ParseVP8(pkt.Payload)
		if err != nil || len(pkt.Payload) < 8 {
			return
		}
		v.mu.Lock()
		key := d.FrameStart() && pkt.Payload[6]&0x01 == 0
		v.got = append(v.got, tlPacket{seq: pkt.SequenceNumber, ts: pkt.Timestamp, desc: d, srcTID: pkt.Payload[7], key: key, at: time.Now()})
		v.mu.Unlock()
	})
	return v
}

func (v *tlViewer) packets() []tlPacket {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]tlPacket(nil), v.got...)
}

// frames counts the frames (first packets) received since i and their TIDs.
func (v *tlViewer) framesSince(i int) (n int, tids map[uint8]int) {
	tids = map[uint8]int{}
	for _, p := range v.packets()[i:] {
		if p.desc.FrameStart() {
			n++
			tids[p.desc.TID]++
		}
	}
	return n, tids
}

// checkTLStream: continuous sequence numbers, PictureID one up per frame,
// TL0PICIDX one up per TID 0 frame, each frame whole (2 packets) and of
// one TID, the descriptor's TID the one the publisher sent. Two breaks are
// allowed, both kept as gaps (the frames cut by one may be partial): a
// short jump is packets lost on the way (UDP on a loaded machine drops
// some; the peers here do not repair; only a few may be lost), PictureID
// and TL0PICIDX moving up by no more than the frames lost; and packets the
// server's pacer dropped after waiting too long (a stalled machine) leave a
// gap after which the track resumes on a keyframe.
func checkTLStream(t *testing.T, got []tlPacket) {
	t.Helper()
	const maxGap = 8 // packets lost in a row
	lost := 0
	perFrame := map[uint32]int{}
	cut := map[uint32]bool{} // frames cut by a gap
	for i, p := range got {
		perFrame[p.ts]++
		if p.desc.TID != p.srcTID {
			t.Fatalf("packet %d: TID %d, the publisher sent %d", i, p.desc.TID, p.srcTID)
		}
		if i == 0 {
			continue
		}
		q := got[i-1]
		if d := p.seq - q.seq; d != 1 {
			switch pic, tl0 := (p.desc.PictureID-q.desc.PictureID)&0x7fff, p.desc.TL0PICIDX-q.desc.TL0PICIDX; {
			case d > 1 && d < 0x8000 && p.key:
				t.Logf("packet %d: sequence %d after %d, resumed on a keyframe (a pacer drop)", i, p.seq, q.seq)
			case d > 1 && d <= maxGap && pic <= d && uint16(tl0) <= pic:
				lost += int(d - 1)
			default:
				t.Fatalf("packet %d: sequence %d after %d (PictureID %d after %d), not resuming on a keyframe", i, p.seq, q.seq,
					p.desc.PictureID, q.desc.PictureID)
			}
			cut[q.ts], cut[p.ts] = true, true
			continue
		}
		newFrame := p.ts != q.ts
		if !newFrame && p.desc.TID != q.desc.TID {
			t.Fatalf("packet %d: a frame of TIDs %d and %d", i, q.desc.TID, p.desc.TID)
		}
		wantPic, wantTL0 := q.desc.PictureID, q.desc.TL0PICIDX
		if newFrame {
			wantPic = (wantPic + 1) & 0x7fff
			if p.desc.TID == 0 {
				wantTL0++
			}
		}
		if p.desc.PictureID != wantPic || p.desc.TL0PICIDX != wantTL0 {
			t.Fatalf("packet %d (TID %d): PictureID %d TL0PICIDX %d after %d %d", i, p.desc.TID, p.desc.PictureID, p.desc.TL0PICIDX,
				q.desc.PictureID, q.desc.TL0PICIDX)
		}
	}
	last := got[len(got)-1].ts
	for ts, n := range perFrame {
		if n != 2 && ts != last && !cut[ts] {
			t.Fatalf("frame ts %d: %d packets of 2", ts, n)
		}
	}
	if lost*50 > len(got) {
		t.Errorf("%d packets missing of %d: more than loopback loses", lost, len(got)+lost)
	}
}

// TestTemporalLayersPerViewer: a viewer with a low budget gets the base
// temporal layer only (about a quarter of the frames, ~7.5 fps), one
// with more gets TID ≤ 1, then all of them again; the stream it sees
// stays continuous throughout, and its stats report the temporal layer.
func TestTemporalLayersPerViewer(t *testing.T) {
	eng := newEngine(t)
	pp := media.NewPipeline()
	t.Cleanup(pp.Release)
	pub := newTLPublisher(t)
	a := newTrickled(t, pp, eng)
	offer, err := pub.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pub.pc)
	if err := pub.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	answer, err := a.ep.ProcessOffer(pub.pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	pub.start()
	a.connect(t, pub.pc)

	viewer := newTLViewer(t)
	b := newTrickled(t, pp, eng)
	voffer, err := viewer.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(viewer.pc)
	if err := viewer.pc.SetLocalDescription(voffer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if answer, err = b.ep.ProcessOffer(viewer.pc.LocalDescription().SDP); err != nil {
		t.Fatal(err)
	}
	if err := viewer.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	b.connect(t, viewer.pc)
	bw := b.ep.Bandwidths()
	bw.MaxVideoSend = 1000
	b.ep.SetBandwidths(bw)
	if err := media.Connect(a.ep, b.ep, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}

	video := media.Video
	temporal := func() RTPStats {
		for _, r := range b.ep.Stats(&video).RTP {
			if !r.Inbound {
				return r
			}
		}
		return RTPStats{}
	}
	// window measures the frames the viewer gets in 2 s against those sent.
	window := func() (got, sent int, tids map[uint8]int) {
		from, sent0 := len(viewer.packets()), pub.frames.Load()
		time.Sleep(2 * time.Second)
		got, tids = viewer.framesSince(from)
		return got, int(pub.frames.Load() - sent0), tids
	}
	testutil.Eventually(t, 15*time.Second, "all three temporal layers", func() bool {
		s := temporal()
		return s.TemporalLayers == 3 && s.TemporalLayer == 2
	})
	if got, sent, tids := window(); got < sent*3/4 || tids[2] == 0 {
		t.Errorf("1 Mb/s: %d frames of %d sent (TIDs %v), want all", got, sent, tids)
	}

	bw.MaxVideoSend = 150 // TID 0 fits (~120 kb/s), TID ≤ 1 (~190) does not
	b.ep.SetBandwidths(bw)
	testutil.Eventually(t, 10*time.Second, "the base temporal layer under 150 kb/s", func() bool { return temporal().TemporalLayer == 0 })
	got, sent, tids := window()
	t.Logf("150 kb/s: %d frames of %d sent, TIDs %v", got, sent, tids)
	if tids[1] != 0 || tids[2] != 0 || got < sent/6 || got > sent/3 {
		t.Errorf("150 kb/s: %d frames of %d sent (TIDs %v), want TID 0 only, about a quarter", got, sent, tids)
	}

	bw.MaxVideoSend = 250 // TID ≤ 1 (~190 kb/s + 10 %) fits, all (~290) does not
	b.ep.SetBandwidths(bw)
	testutil.Eventually(t, 10*time.Second, "temporal layers 0 and 1 under 250 kb/s", func() bool { return temporal().TemporalLayer == 1 })
	if got, sent, tids := window(); tids[2] != 0 || tids[1] == 0 || got < sent/3 || got > sent*2/3 {
		t.Errorf("250 kb/s: %d frames of %d sent (TIDs %v), want TIDs 0 and 1, about half", got, sent, tids)
	}

	bw.MaxVideoSend = 1000
	b.ep.SetBandwidths(bw)
	testutil.Eventually(t, 10*time.Second, "every temporal layer again", func() bool { return temporal().TemporalLayer == 2 })
	pub.close()
	time.Sleep(100 * time.Millisecond)
	all := viewer.packets()
	if len(all) == 0 {
		t.Fatal("the viewer got nothing")
	}
	checkTLStream(t, all)
	if s := temporal(); s.Layers != 0 {
		t.Errorf("a single-layer publisher's viewer reports simulcast layers: %+v", s)
	}
}
