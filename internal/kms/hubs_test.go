package kms_test

import (
	"context"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Hubs through the Kurento Protocol, with Pion peers sending real media
// and the received media decoded in the test.

// hubPipeline starts a server with the real worker and makes a pipeline.
func hubPipeline(t *testing.T) (*kurento.MediaPipeline, *workers) {
	t.Helper()
	leakCheck(t)
	s, w := processingServer(t)
	pipe, err := dial(t, s.URL).CreatePipeline(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return pipe, w
}

// newHub creates a hub of a type without constructor parameters.
func newHub(t *testing.T, pipe *kurento.MediaPipeline, typ string) *kurento.Hub {
	t.Helper()
	h, err := pipe.CreateHub(context.Background(), typ)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// participant is a peer, its endpoint and (for hubs) its port.
type participant struct {
	peer *testpeer.Peer
	ep   *kurento.WebRtcEndpoint
	port *kurento.HubPort
}

// newParticipant connects a peer (sending the media of o once plugged,
// keeping what it receives) to a new endpoint.
func newParticipant(t *testing.T, pipe *kurento.MediaPipeline, o testpeer.Options) *participant {
	t.Helper()
	o.KeepPackets = o.RecvVideo || o.RecvAudio
	p := &participant{peer: newPeer(t, o), ep: webrtcEndpoint(t, pipe)}
	connectPeer(t, context.Background(), p.ep, p.peer, nil)
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
	p.peer.StartMedia()
}

// lastPicture decodes the VP8 a peer received into w×h RGB.
func lastPicture(t *testing.T, peer *testpeer.Peer, w, h int) []byte {
	t.Helper()
	frames := processtest.DecodeRTP(t, peer.VideoReceived(), processtest.VP8Caps, "rtpvp8depay ! vp8dec", w, h)
	return frames[len(frames)-1]
}

// waitColours waits up to 10 s for the last picture peer received to
// have each rectangle in its colour (a keyframe must come first: a hub's
// encoder sends one every ~0.5 s), decoding every half second; it fails
// with what the last picture held.
func waitColours(t *testing.T, what string, peer *testpeer.Peer, w, h int, rs []image.Rectangle, rgbs []uint32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		frame := lastPicture(t, peer, w, h)
		var bad []string
		for i, r := range rs {
			if got := processtest.Fraction(frame, w, r, processtest.Near(rgbs[i], 70)); got < 0.85 {
				bad = append(bad, fmt.Sprintf("%.0f%% of %06x in %v", 100*got, rgbs[i], r))
			}
		}
		if len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: %s", what, strings.Join(bad, ", "))
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// sends is a participant sending recorded video (and receiving).
func sends(video [][]byte) testpeer.Options {
	return testpeer.Options{SendVideo: true, RecvVideo: true, VideoRTP: video, VideoFPS: 15}
}

var viewerOnly = testpeer.Options{RecvVideo: true}

// TestCompositeGrid: four publishers of solid colours; a fifth port's
// receiver sees them in the four quadrants of one picture.
func TestCompositeGrid(t *testing.T) {
	pipe, w := hubPipeline(t)
	ctx := context.Background()
	comp, err := pipe.CreateComposite(ctx, kurento.CompositeOptions{Width: 320, Height: 240, Framerate: 15})
	if err != nil {
		t.Fatal(err)
	}
	colours := []uint32{0xff0000, 0x00ff00, 0x0000ff, 0xffffff}
	var ps []*participant
	for _, c := range colours {
		p := newParticipant(t, pipe, sends(processtest.SolidVP8(t, c, 160, 120, 15, 30)))
		p.plug(t, comp)
		ps = append(ps, p)
	}
	viewer := newParticipant(t, pipe, viewerOnly)
	viewer.plug(t, comp)
	testutil.Eventually(t, 15*time.Second, "the composite picture", func() bool { return len(viewer.peer.VideoReceived()) > 40 })
	quadrants := []image.Rectangle{image.Rect(20, 20, 140, 100), image.Rect(180, 20, 300, 100), image.Rect(20, 140, 140, 220), image.Rect(180, 140, 300, 220)}
	waitColours(t, "every input in its quadrant", viewer.peer, 320, 240, quadrants, colours)
	// Five receivers of the picture, one encoder; none for audio (nobody
	// negotiated it). Ports leaving take their outputs with them.
	encoders := func() int { _, n := w.encoders(process.ProcComposite); return n }
	testutil.Eventually(t, 10*time.Second, "one encoder for five receivers", func() bool { return encoders() == 1 })
	for _, p := range append(ps, viewer) {
		if err := p.port.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 10*time.Second, "no encoder once every port left", func() bool { return encoders() == 0 })
	if err := comp.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestCompositeAudioMixMinus: four participants sending tones; each hears
// the three others and not itself.
func TestCompositeAudioMixMinus(t *testing.T) {
	pipe, _ := hubPipeline(t)
	ctx := context.Background()
	comp, err := pipe.CreateComposite(ctx, kurento.CompositeOptions{Width: 160, Height: 120, Framerate: 5})
	if err != nil {
		t.Fatal(err)
	}
	freqs := []float64{440, 700, 1100, 1700}
	var ps []*participant
	for _, f := range freqs {
		p := newParticipant(t, pipe, testpeer.Options{SendAudio: true, RecvAudio: true, AudioRTP: processtest.ToneOpus(t, f, 1000)})
		p.plug(t, comp)
		ps = append(ps, p)
	}
	testutil.Eventually(t, 15*time.Second, "mixes at every participant", func() bool {
		for _, p := range ps {
			if len(p.peer.AudioReceived()) < 100 {
				return false
			}
		}
		return true
	})
	time.Sleep(1500 * time.Millisecond)
	for i, p := range ps {
		pcm := processtest.DecodeAudio(t, p.peer.AudioReceived(), processtest.OpusCaps, "rtpopusdepay ! opusdec", 16000)
		processtest.CheckMixMinus(t, i, freqs, processtest.Spectrum(pcm[len(pcm)-2*16000:], 16000, freqs...))
	}
}

// TestDispatcherOneToManySwitch: every receiver's picture follows a source
// switch.
func TestDispatcherOneToManySwitch(t *testing.T) {
	pipe, _ := hubPipeline(t)
	ctx := context.Background()
	d := newHub(t, pipe, "DispatcherOneToMany")
	red := newParticipant(t, pipe, sends(processtest.SolidVP8(t, 0xff0000, 160, 120, 15, 30)))
	green := newParticipant(t, pipe, sends(processtest.SolidVP8(t, 0x00ff00, 160, 120, 15, 30)))
	red.plug(t, d)
	green.plug(t, d)
	var viewers []*participant
	for i := 0; i < 2; i++ {
		v := newParticipant(t, pipe, viewerOnly)
		v.plug(t, d)
		viewers = append(viewers, v)
	}
	if err := d.SetSource(ctx, red.port); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "red at the viewers", func() bool {
		return len(viewers[0].peer.VideoReceived()) > 20 && len(viewers[1].peer.VideoReceived()) > 20
	})
	whole := []image.Rectangle{image.Rect(10, 10, 150, 110)}
	for _, v := range append(viewers, red, green) {
		waitColours(t, "source red", v.peer, 160, 120, whole, []uint32{0xff0000})
	}
	if err := d.SetSource(ctx, green.port); err != nil {
		t.Fatal(err)
	}
	for _, v := range append(viewers, red, green) {
		waitColours(t, "after switching to green", v.peer, 160, 120, whole, []uint32{0x00ff00})
	}
}

// TestDispatcherRoutes: A→B and C→D independently.
func TestDispatcherRoutes(t *testing.T) {
	pipe, _ := hubPipeline(t)
	ctx := context.Background()
	d := newHub(t, pipe, "Dispatcher")
	var ps []*participant
	for _, c := range []uint32{0xff0000, 0, 0x0000ff, 0} {
		o := viewerOnly
		if c != 0 {
			o = sends(processtest.SolidVP8(t, c, 160, 120, 15, 30))
		}
		p := newParticipant(t, pipe, o)
		p.plug(t, d)
		ps = append(ps, p)
	}
	if err := d.ConnectPorts(ctx, ps[0].port, ps[1].port); err != nil {
		t.Fatal(err)
	}
	if err := d.ConnectPorts(ctx, ps[2].port, ps[3].port); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "B and D receiving", func() bool {
		return len(ps[1].peer.VideoReceived()) > 20 && len(ps[3].peer.VideoReceived()) > 20
	})
	whole := []image.Rectangle{image.Rect(10, 10, 150, 110)}
	waitColours(t, "B", ps[1].peer, 160, 120, whole, []uint32{0xff0000})
	waitColours(t, "D", ps[3].peer, 160, 120, whole, []uint32{0x0000ff})
	if n := len(ps[0].peer.VideoReceived()) + len(ps[2].peer.VideoReceived()); n != 0 {
		t.Errorf("sources received %d packets of video nobody routed to them", n)
	}
}

// TestAlphaBlendingPosition: the second input lands at its relative place
// on the master's picture.
func TestAlphaBlendingPosition(t *testing.T) {
	pipe, w := hubPipeline(t)
	ctx := context.Background()
	a := newHub(t, pipe, "AlphaBlending")
	master := newParticipant(t, pipe, sends(processtest.SolidVP8(t, 0x0000ff, 320, 240, 15, 30)))
	small := newParticipant(t, pipe, sends(processtest.SolidVP8(t, 0xff0000, 160, 120, 15, 30)))
	master.plug(t, a)
	small.plug(t, a)
	if err := a.SetMaster(ctx, master.port, 1); err != nil {
		t.Fatal(err)
	}
	if err := a.SetPortProperties(ctx, small.port, kurento.PortProperties{RelativeX: 0.5, RelativeY: 0.5, RelativeWidth: 0.25, RelativeHeight: 0.25, ZOrder: 2}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the blended picture", func() bool { return len(master.peer.VideoReceived()) > 30 })
	waitColours(t, "second input on the master", master.peer, 320, 240,
		[]image.Rectangle{image.Rect(170, 128, 230, 172), image.Rect(10, 10, 150, 110)}, []uint32{0xff0000, 0x0000ff})

	// Releasing the pipeline stops the hub's worker element.
	if err := pipe.Release(ctx); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "no worker left", func() bool { return w.m.Workers() == 0 })
}

// TestHubErrors: wrong ports and media types are refused as KMS does.
func TestHubErrors(t *testing.T) {
	pipe, _ := hubPipeline(t)
	ctx := context.Background()
	d1, d2, mixer := newHub(t, pipe, "Dispatcher"), newHub(t, pipe, "Dispatcher"), newHub(t, pipe, "Mixer")
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
	pipe, _ := hubPipeline(t)
	ctx := context.Background()
	mixer := newHub(t, pipe, "Mixer")
	freqs := []float64{500, 1300, 0}
	var ps []*participant
	for _, f := range freqs {
		o := testpeer.Options{RecvAudio: true}
		if f > 0 {
			o.SendAudio, o.AudioRTP = true, processtest.ToneOpus(t, f, 1000)
		}
		p := newParticipant(t, pipe, o)
		p.plug(t, mixer)
		ps = append(ps, p)
	}
	for _, src := range ps[:2] {
		if err := mixer.MixerConnect(ctx, wire.MediaAudio, src.port, ps[2].port); err != nil {
			t.Fatal(err)
		}
	}
	levels := func() []float64 {
		time.Sleep(2 * time.Second)
		pcm := processtest.DecodeAudio(t, ps[2].peer.AudioReceived(), processtest.OpusCaps, "rtpopusdepay ! opusdec", 16000)
		if len(pcm) < 16000 {
			t.Fatalf("%d samples", len(pcm))
		}
		return processtest.Spectrum(pcm[len(pcm)-16000:], 16000, freqs[:2]...)
	}
	// Relative levels: a loaded machine may thin a stream, not swap voices.
	if l := levels(); max(l[0], l[1]) < 0.01 || min(l[0], l[1]) < max(l[0], l[1])/4 {
		t.Errorf("hearing both: levels %.3f", l)
	}
	if err := mixer.MixerDisconnect(ctx, wire.MediaAudio, ps[0].port, ps[2].port); err != nil {
		t.Fatal(err)
	}
	if l := levels(); l[1] < 0.01 || l[0] > l[1]/8 {
		t.Errorf("after disconnecting the first: levels %.3f", l)
	}
	if n := len(ps[0].peer.AudioReceived()); n != 0 {
		t.Errorf("a port nobody is connected to received %d packets", n)
	}
}
