package kms_test

import (
	"context"
	"image"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// workers is the processing back end of a test server: the real worker,
// with a count of the encoders each worker element reports running.
type workers struct {
	m *process.Manager

	mu      sync.Mutex
	kinds   map[int]string // worker element → its processing kind
	outputs map[int]int    // worker element → encoders in its last stats
	next    int
}

func newWorkers(t *testing.T) *workers {
	m := process.NewManager(process.Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 10 * time.Second, Logger: quietLogger()})
	t.Cleanup(func() { _ = m.Close() })
	return &workers{m: m, kinds: map[int]string{}, outputs: map[int]int{}}
}

func (w *workers) Create(ctx context.Context, key string, spec process.Spec, h process.Handler) (*process.Element, error) {
	w.mu.Lock()
	id := w.next
	w.next++
	w.kinds[id] = spec.Processing.Kind
	w.mu.Unlock()
	inner := h.OnEvent
	h.OnEvent = func(ev process.Event) {
		if ev.Kind == process.EventStats && ev.Stats != nil {
			w.mu.Lock()
			w.outputs[id] = ev.Stats.Outputs
			w.mu.Unlock()
		}
		if inner != nil {
			inner(ev)
		}
	}
	return w.m.Create(ctx, key, spec, h)
}

// encoders returns how many worker elements of a kind exist and the
// encoders they last reported.
func (w *workers) encoders(kind string) (elements, encoders int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, k := range w.kinds {
		if k == kind {
			elements++
			encoders += w.outputs[id]
		}
	}
	return elements, encoders
}

func processingServer(t *testing.T) (*server, *workers) {
	w := newWorkers(t)
	cfg := loopbackConfig()
	cfg.Processing = w
	return startServer(t, cfg), w
}

func webrtcEndpoint(t *testing.T, p *kurento.MediaPipeline) *kurento.WebRtcEndpoint {
	t.Helper()
	ep, err := p.CreateWebRtcEndpoint(context.Background(), kurento.WebRtcEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

// TestTranscodeVP8ToH264 is the phone case: a VP8 publisher, two
// subscribers that decode only H.264. Both decode the publisher's picture,
// from one encoder; the publisher's endpoint reports the transcoding.
func TestTranscodeVP8ToH264(t *testing.T) {
	leakCheck(t)
	s, w := processingServer(t)
	ctx := context.Background()
	c := dial(t, s.URL)
	pipe, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pubEP := webrtcEndpoint(t, pipe)
	states := make(chan wire.MediaTranscodingStateChanged, 8)
	if _, err := pubEP.OnMediaTranscodingStateChanged(ctx, func(e wire.MediaTranscodingStateChanged) { states <- e }); err != nil {
		t.Fatal(err)
	}
	pub := newPeer(t, testpeer.Options{SendVideo: true, VideoRTP: processtest.SolidVP8(t, 0x0000ff, 320, 240, 30, 30), VideoFPS: 30})
	connectPeer(t, ctx, pubEP, pub, nil)
	var subs []*testpeer.Peer
	for i := 0; i < 2; i++ {
		ep := webrtcEndpoint(t, pipe)
		sub := newPeer(t, testpeer.Options{VideoMime: webrtc.MimeTypeH264, RecvVideo: true, KeepPackets: true})
		connectPeer(t, ctx, ep, sub, nil)
		if err := pubEP.Connect(ctx, ep, kurento.ConnectOptions{MediaType: wire.MediaVideo}); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub)
	}
	pub.StartMedia()
	select {
	case e := <-states:
		if e.State != wire.Transcoding || e.MediaType != wire.MediaVideo || e.BinName != "default" {
			t.Errorf("MediaTranscodingStateChanged %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no MediaTranscodingStateChanged")
	}
	if on, err := pubEP.IsMediaTranscoding(ctx, wire.MediaVideo, ""); err != nil || !on {
		t.Errorf("isMediaTranscoding(VIDEO) = %v, %v", on, err)
	}
	testutil.Eventually(t, 15*time.Second, "H.264 at both subscribers", func() bool {
		return len(subs[0].VideoReceived()) > 60 && len(subs[1].VideoReceived()) > 60
	})
	for i, sub := range subs {
		if got := sub.Received(webrtc.RTPCodecTypeVideo).Mime; got != webrtc.MimeTypeH264 {
			t.Errorf("subscriber %d receives %s", i, got)
		}
		frames := processtest.DecodeRTP(t, sub.VideoReceived(), processtest.H264Caps, "rtph264depay ! avdec_h264", 320, 240)
		if got := processtest.Fraction(frames[len(frames)-1], 320, image.Rect(0, 0, 320, 240), processtest.Near(0x0000ff, 60)); got < 0.9 {
			t.Errorf("subscriber %d: %.0f%% blue", i, 100*got)
		}
	}
	testutil.Eventually(t, 10*time.Second, "the worker's encoder count", func() bool {
		n, enc := w.encoders(process.ProcTranscode)
		return n == 1 && enc == 1
	})
}

// TestTranscodeOpusToPCMU: a subscriber that offers only PCMU hears the
// Opus publisher's tone.
func TestTranscodeOpusToPCMU(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	ctx := context.Background()
	c := dial(t, s.URL)
	pipe, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pubEP, subEP := webrtcEndpoint(t, pipe), webrtcEndpoint(t, pipe)
	pub := newPeer(t, testpeer.Options{SendAudio: true, AudioRTP: processtest.ToneOpus(t, 440, 1000)})
	sub := newPeer(t, testpeer.Options{AudioMime: webrtc.MimeTypePCMU, RecvAudio: true, KeepPackets: true})
	connectPeer(t, ctx, pubEP, pub, nil)
	connectPeer(t, ctx, subEP, sub, nil)
	if err := pubEP.Connect(ctx, subEP, kurento.ConnectOptions{MediaType: wire.MediaAudio}); err != nil {
		t.Fatal(err)
	}
	pub.StartMedia()
	testutil.Eventually(t, 15*time.Second, "PCMU at the subscriber", func() bool { return len(sub.AudioReceived()) > 100 })
	if got := sub.Received(webrtc.RTPCodecTypeAudio).Mime; got != webrtc.MimeTypePCMU {
		t.Errorf("subscriber receives %s", got)
	}
	pcm := processtest.DecodeAudio(t, sub.AudioReceived(), processtest.PCMUCaps, "rtppcmudepay ! mulawdec", 8000)
	l := processtest.Spectrum(pcm[len(pcm)/2:], 8000, 440, 1000)
	if l[0] < 0.05 || l[1] > l[0]/10 {
		t.Errorf("440 Hz at %.3f, 1 kHz at %.3f", l[0], l[1])
	}
}
