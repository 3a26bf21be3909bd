package kms_test

import (
	"context"
	"image"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testmedia"
	"github.com/gorento/gorento/internal/testpeer/mediapeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Hubs through the Kurento Protocol, with Pion peers sending real media
// and the received media decoded in the test.

// participant is a peer, its endpoint and (for hubs) its port.
type participant struct {
	peer *mediapeer.Peer
	ep   *kurento.WebRtcEndpoint
	port *kurento.HubPort
}

func newParticipant(t *testing.T, pipe *kurento.MediaPipeline, o mediapeer.Options) *participant {
	t.Helper()
	p := &participant{peer: mediaPeer(t, o), ep: webrtcEndpoint(t, pipe)}
	join(t, p.ep, p.peer)
	return p
}

// plug gives p a port of h: what p sends goes in, what h makes for the port
// comes back to p.
func (p *participant) plug(t *testing.T, h *kurento.Hub) {
	t.Helper()
	ctx := context.Background()
	port, err := h.CreatePort(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.ep.Connect(ctx, port, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := port.Connect(ctx, p.ep, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	p.port = port
}

// lastPicture decodes the VP8 a peer received into w×h RGB.
func lastPicture(t *testing.T, peer *mediapeer.Peer, w, h int) []byte {
	t.Helper()
	frames := testmedia.DecodeVideo(t, peer.Received(webrtc.RTPCodecTypeVideo), testmedia.VP8Caps, "rtpvp8depay ! vp8dec", w, h)
	return frames[len(frames)-1]
}

func checkColour(t *testing.T, what string, frame []byte, w int, r image.Rectangle, rgb uint32) {
	t.Helper()
	if got := testmedia.Fraction(frame, w, r, testmedia.Near(rgb, 70)); got < 0.85 {
		t.Errorf("%s: %.0f%% of %06x in %v", what, 100*got, rgb, r)
	}
}

var videoOnly = mediapeer.Options{Video: []webrtc.RTPCodecParameters{mediapeer.VP8}, SendVideo: true, RecvVideo: true}

// TestCompositeGrid: four publishers of solid colours; a fifth port's
// receiver sees them in the four quadrants of one picture.
func TestCompositeGrid(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	ctx := context.Background()
	pipe, err := dial(t, s.URL).CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := pipe.CreateComposite(ctx, kurento.CompositeOptions{Width: 320, Height: 240, Framerate: 15})
	if err != nil {
		t.Fatal(err)
	}
	colours := []uint32{0xff0000, 0x00ff00, 0x0000ff, 0xffffff}
	for _, c := range colours {
		p := newParticipant(t, pipe, videoOnly)
		p.plug(t, comp)
		p.peer.Play(webrtc.RTPCodecTypeVideo, 90000, testmedia.SolidVP8(t, c, 160, 120, 15, 30))
	}
	viewer := newParticipant(t, pipe, mediapeer.Options{Video: []webrtc.RTPCodecParameters{mediapeer.VP8}, RecvVideo: true})
	viewer.plug(t, comp)
	testutil.Eventually(t, 15*time.Second, "the composite picture", func() bool { return len(viewer.peer.Received(webrtc.RTPCodecTypeVideo)) > 40 })
	time.Sleep(time.Second) // every input placed
	frame := lastPicture(t, viewer.peer, 320, 240)
	for i, q := range []image.Rectangle{image.Rect(20, 20, 140, 100), image.Rect(180, 20, 300, 100), image.Rect(20, 140, 140, 220), image.Rect(180, 140, 300, 220)} {
		checkColour(t, "quadrant", frame, 320, q, colours[i])
	}
	if err := comp.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCompositeAudioMixMinus: four participants sending tones; each hears
// the three others and not itself.
func TestCompositeAudioMixMinus(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	ctx := context.Background()
	pipe, err := dial(t, s.URL).CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := pipe.CreateComposite(ctx, kurento.CompositeOptions{Width: 160, Height: 120, Framerate: 5})
	if err != nil {
		t.Fatal(err)
	}
	freqs := []float64{440, 700, 1100, 1700}
	var ps []*participant
	for _, f := range freqs {
		p := newParticipant(t, pipe, mediapeer.Options{Audio: []webrtc.RTPCodecParameters{mediapeer.Opus}, SendAudio: true, RecvAudio: true})
		p.plug(t, comp)
		p.peer.Play(webrtc.RTPCodecTypeAudio, 48000, testmedia.ToneOpus(t, f, 1000))
		ps = append(ps, p)
	}
	testutil.Eventually(t, 15*time.Second, "mixes at every participant", func() bool {
		for _, p := range ps {
			if len(p.peer.Received(webrtc.RTPCodecTypeAudio)) < 100 {
				return false
			}
		}
		return true
	})
	time.Sleep(500 * time.Millisecond)
	for i, p := range ps {
		pcm := testmedia.DecodeAudio(t, p.peer.Received(webrtc.RTPCodecTypeAudio), testmedia.OpusCaps, "rtpopusdepay ! opusdec", 16000)
		levels := testmedia.Spectrum(pcm[len(pcm)-16000:], 16000, freqs...)
		for j, l := range levels {
			if j == i && l > 0.01 {
				t.Errorf("participant %d hears itself (%.0f Hz at %.3f)", i, freqs[j], l)
			}
			if j != i && l < 0.02 {
				t.Errorf("participant %d does not hear participant %d (%.0f Hz at %.3f)", i, j, freqs[j], l)
			}
		}
	}
}

// TestDispatcherOneToManySwitch: every receiver's picture follows a source
// switch within a second.
func TestDispatcherOneToManySwitch(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	ctx := context.Background()
	pipe, err := dial(t, s.URL).CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pipe.CreateHub(ctx, "DispatcherOneToMany")
	if err != nil {
		t.Fatal(err)
	}
	red, green := newParticipant(t, pipe, videoOnly), newParticipant(t, pipe, videoOnly)
	red.plug(t, d)
	green.plug(t, d)
	red.peer.Play(webrtc.RTPCodecTypeVideo, 90000, testmedia.SolidVP8(t, 0xff0000, 160, 120, 15, 30))
	green.peer.Play(webrtc.RTPCodecTypeVideo, 90000, testmedia.SolidVP8(t, 0x00ff00, 160, 120, 15, 30))
	var viewers []*participant
	for i := 0; i < 2; i++ {
		v := newParticipant(t, pipe, mediapeer.Options{Video: []webrtc.RTPCodecParameters{mediapeer.VP8}, RecvVideo: true})
		v.plug(t, d)
		viewers = append(viewers, v)
	}
	if err := d.SetSource(ctx, red.port); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "red at the viewers", func() bool {
		return len(viewers[0].peer.Received(webrtc.RTPCodecTypeVideo)) > 20 && len(viewers[1].peer.Received(webrtc.RTPCodecTypeVideo)) > 20
	})
	time.Sleep(500 * time.Millisecond)
	for _, v := range append(viewers, red, green) {
		checkColour(t, "source red", lastPicture(t, v.peer, 160, 120), 160, image.Rect(10, 10, 150, 110), 0xff0000)
	}
	if err := d.SetSource(ctx, green.port); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	for _, v := range append(viewers, red, green) {
		checkColour(t, "a second after switching to green", lastPicture(t, v.peer, 160, 120), 160, image.Rect(10, 10, 150, 110), 0x00ff00)
	}
}

// TestDispatcherRoutes: A→B and C→D independently.
func TestDispatcherRoutes(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	ctx := context.Background()
	pipe, err := dial(t, s.URL).CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pipe.CreateHub(ctx, "Dispatcher")
	if err != nil {
		t.Fatal(err)
	}
	var ps []*participant
	for _, c := range []uint32{0xff0000, 0, 0x0000ff, 0} {
		p := newParticipant(t, pipe, videoOnly)
		p.plug(t, d)
		if c != 0 {
			p.peer.Play(webrtc.RTPCodecTypeVideo, 90000, testmedia.SolidVP8(t, c, 160, 120, 15, 30))
		}
		ps = append(ps, p)
	}
	if err := d.ConnectPorts(ctx, ps[0].port, ps[1].port); err != nil {
		t.Fatal(err)
	}
	if err := d.ConnectPorts(ctx, ps[2].port, ps[3].port); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "B and D receiving", func() bool {
		return len(ps[1].peer.Received(webrtc.RTPCodecTypeVideo)) > 20 && len(ps[3].peer.Received(webrtc.RTPCodecTypeVideo)) > 20
	})
	time.Sleep(500 * time.Millisecond)
	checkColour(t, "B", lastPicture(t, ps[1].peer, 160, 120), 160, image.Rect(10, 10, 150, 110), 0xff0000)
	checkColour(t, "D", lastPicture(t, ps[3].peer, 160, 120), 160, image.Rect(10, 10, 150, 110), 0x0000ff)
	if n := len(ps[0].peer.Received(webrtc.RTPCodecTypeVideo)) + len(ps[2].peer.Received(webrtc.RTPCodecTypeVideo)); n != 0 {
		t.Errorf("sources received %d packets of video nobody routed to them", n)
	}
}

// TestAlphaBlendingPosition: the second input lands at its relative place
// on the master's picture.
func TestAlphaBlendingPosition(t *testing.T) {
	leakCheck(t)
	s, w := processingServer(t)
	ctx := context.Background()
	pipe, err := dial(t, s.URL).CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a, err := pipe.CreateHub(ctx, "AlphaBlending")
	if err != nil {
		t.Fatal(err)
	}
	master, small := newParticipant(t, pipe, videoOnly), newParticipant(t, pipe, videoOnly)
	master.plug(t, a)
	small.plug(t, a)
	if err := a.SetMaster(ctx, master.port, 1); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPortProperties(ctx, small.port, kurento.PortProperties{RelativeX: 0.5, RelativeY: 0.5, RelativeWidth: 0.25, RelativeHeight: 0.25, ZOrder: 2}); err != nil {
		t.Fatal(err)
	}
	master.peer.Play(webrtc.RTPCodecTypeVideo, 90000, testmedia.SolidVP8(t, 0x0000ff, 320, 240, 15, 30))
	small.peer.Play(webrtc.RTPCodecTypeVideo, 90000, testmedia.SolidVP8(t, 0xff0000, 160, 120, 15, 30))
	testutil.Eventually(t, 10*time.Second, "the blended picture", func() bool { return len(master.peer.Received(webrtc.RTPCodecTypeVideo)) > 30 })
	time.Sleep(time.Second)
	frame := lastPicture(t, master.peer, 320, 240)
	checkColour(t, "second input", frame, 320, image.Rect(170, 128, 230, 172), 0xff0000)
	checkColour(t, "master", frame, 320, image.Rect(10, 10, 150, 110), 0x0000ff)

	// Releasing the pipeline stops the hub's worker element.
	if err := pipe.Release(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "no worker left", func() bool { return w.m.Workers() == 0 })
}

// TestHubErrors: wrong ports and media types are refused as KMS does.
func TestHubErrors(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	ctx := context.Background()
	pipe, err := dial(t, s.URL).CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := pipe.CreateHub(ctx, "Dispatcher")
	d2, _ := pipe.CreateHub(ctx, "Dispatcher")
	mixer, err := pipe.CreateHub(ctx, "Mixer")
	if err != nil {
		t.Fatal(err)
	}
	p1, _ := d1.CreatePort(ctx)
	p2, _ := d2.CreatePort(ctx)
	if err := d1.ConnectPorts(ctx, p1, p2); !kurento.IsCode(err, wire.ErrIllegalParam) {
		t.Errorf("connecting another hub's port: %v", err)
	}
	m1, _ := mixer.CreatePort(ctx)
	m2, _ := mixer.CreatePort(ctx)
	if err := mixer.MixerDisconnect(ctx, wire.MediaVideo, m1, m2); !kurento.IsCode(err, wire.ErrUnsupportedMediaType) {
		t.Errorf("mixer video disconnect: %v", err)
	}
	if err := mixer.MixerConnect(ctx, wire.MediaData, m1, m2); !kurento.IsCode(err, wire.ErrUnsupportedMediaType) {
		t.Errorf("mixer data connect: %v", err)
	}
	if _, err := pipe.CreateComposite(ctx, kurento.CompositeOptions{Width: -5}); !kurento.IsCode(err, wire.ErrIllegalParam) {
		t.Errorf("composite of negative width: %v", err)
	}
	// Released with its hub.
	if err := d1.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p1.Name(ctx); !kurento.IsCode(err, wire.ErrObjectNotFound) {
		t.Errorf("port of a released hub: %v", err)
	}
}

// TestMixerAudio: a Mixer sink port hears the audio of the ports connected
// to it, and stops hearing one disconnected.
func TestMixerAudio(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	ctx := context.Background()
	pipe, err := dial(t, s.URL).CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mixer, err := pipe.CreateHub(ctx, "Mixer")
	if err != nil {
		t.Fatal(err)
	}
	audio := mediapeer.Options{Audio: []webrtc.RTPCodecParameters{mediapeer.Opus}, SendAudio: true, RecvAudio: true}
	freqs := []float64{500, 1300, 0}
	var ps []*participant
	for _, f := range freqs {
		p := newParticipant(t, pipe, audio)
		p.plug(t, mixer)
		if f > 0 {
			p.peer.Play(webrtc.RTPCodecTypeAudio, 48000, testmedia.ToneOpus(t, f, 1000))
		}
		ps = append(ps, p)
	}
	for _, src := range ps[:2] {
		if err := mixer.MixerConnect(ctx, wire.MediaAudio, src.port, ps[2].port); err != nil {
			t.Fatal(err)
		}
	}
	levels := func() []float64 {
		time.Sleep(1500 * time.Millisecond)
		pcm := testmedia.DecodeAudio(t, ps[2].peer.Received(webrtc.RTPCodecTypeAudio), testmedia.OpusCaps, "rtpopusdepay ! opusdec", 16000)
		if len(pcm) < 16000 {
			t.Fatalf("%d samples", len(pcm))
		}
		return testmedia.Spectrum(pcm[len(pcm)-8000:], 16000, freqs[:2]...)
	}
	if l := levels(); l[0] < 0.02 || l[1] < 0.02 {
		t.Errorf("hearing both: levels %.3f", l)
	}
	if err := mixer.MixerDisconnect(ctx, wire.MediaAudio, ps[0].port, ps[2].port); err != nil {
		t.Fatal(err)
	}
	if l := levels(); l[0] > 0.01 || l[1] < 0.02 {
		t.Errorf("after disconnecting the first: levels %.3f", l)
	}
	if n := len(ps[0].peer.Received(webrtc.RTPCodecTypeAudio)); n != 0 {
		t.Errorf("a port nobody is connected to received %d packets", n)
	}
}
