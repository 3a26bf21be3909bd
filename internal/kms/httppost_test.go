package kms_test

import (
	"bytes"
	"context"
	"image"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

func httpPostConfig() kms.Config {
	cfg := loopbackConfig()
	cfg.HTTPPost.Listen = "127.0.0.1:0"
	cfg.HTTPPost.MaxEndpoints = 2
	cfg.HTTPPost.Logger = quietLogger()
	return cfg
}

// TestHttpPostEndpointUpload: a WebM file (red VP8 + a 440 Hz Opus tone,
// made by ffmpeg) POSTed to getUrl() plays into the pipeline; a browser
// behind a WebRtcEndpoint decodes the red picture and hears the tone;
// MediaSessionStarted when the upload starts, EndOfStream when it ends,
// MediaSessionTerminated after disconnectionTimeout, then the URL is gone.
func TestHttpPostEndpointUpload(t *testing.T) {
	leakCheck(t)
	file := filepath.Join(t.TempDir(), "up.webm")
	if err := run(t, "ffmpeg", processtest.SplitArgs("-nostdin -loglevel error -f lavfi -i color=c=red:size=320x240:rate=30:duration=4 "+
		"-f lavfi -i sine=frequency=440:sample_rate=48000:duration=4,volume=2 -c:v libvpx -deadline realtime -g 15 -b:v 400k "+
		"-c:a libopus -ac 2 -f webm "+file)...)(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, httpPostConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	pipe, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	post, err := pipe.CreateHttpPostEndpoint(ctx, kurento.HttpPostOptions{DisconnectionTimeout: 1})
	if err != nil {
		t.Fatal(err)
	}
	web := webrtcEndpoint(t, pipe)
	var ends, started, terminated atomic.Int32
	if _, err := post.OnEndOfStream(ctx, func(wire.Plain) { ends.Add(1) }); err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]*atomic.Int32{"MediaSessionStarted": &started, "MediaSessionTerminated": &terminated} {
		if _, err := kurento.On(ctx, post, name, func(wire.Plain) { n.Add(1) }); err != nil {
			t.Fatal(err)
		}
	}
	url, err := post.URL(ctx)
	if err != nil || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("getUrl = %q, %v", url, err)
	}
	if err := post.Connect(ctx, web, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	peer := newPeer(t, testpeer.Options{RecvVideo: true, RecvAudio: true, KeepPackets: true})
	connectPeer(t, ctx, web, peer, nil)
	if resp, err := http.Get(url); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	body, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	resp, err := http.Post(url, "video/webm", body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST: %s", resp.Status)
	}
	testutil.Eventually(t, 15*time.Second, "EndOfStream", func() bool { return ends.Load() == 1 })
	if started.Load() != 1 {
		t.Fatalf("%d MediaSessionStarted", started.Load())
	}
	time.Sleep(300 * time.Millisecond)
	if v, a := peer.Received(webrtc.RTPCodecTypeVideo).Mime, peer.Received(webrtc.RTPCodecTypeAudio).Mime; v != webrtc.MimeTypeVP8 || a != webrtc.MimeTypeOpus {
		t.Fatalf("browser receives %q and %q", v, a)
	}
	frames := processtest.DecodeRTP(t, peer.VideoReceived(), processtest.VP8Caps, "rtpvp8depay wait-for-keyframe=true ! vp8dec", 320, 240)
	if len(frames) < 90 { // of 120
		t.Fatalf("only %d frames decoded", len(frames))
	}
	if got := processtest.Fraction(frames[len(frames)-1], 320, image.Rect(0, 0, 320, 240), redFrame); got < 0.9 {
		t.Fatalf("only %.0f%% red pixels", 100*got)
	}
	checkTone(t, processtest.DecodeAudio(t, peer.AudioReceived(), processtest.OpusCaps, "rtpopusdepay ! opusdec", 48000), 48000)
	testutil.Eventually(t, 10*time.Second, "MediaSessionTerminated after disconnectionTimeout", func() bool { return terminated.Load() == 1 })
	resp, err = http.Post(url, "video/webm", bytes.NewReader([]byte("late")))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST after the timeout: %s", resp.Status)
	}
}

// TestHttpPostEndpointErrors: what is not media gets 415 and an Error
// event INVALID_MEDIA; httpEndpoint.maxEndpoints is NOT_ENOUGH_RESOURCES;
// a released endpoint's URL is gone.
func TestHttpPostEndpointErrors(t *testing.T) {
	leakCheck(t)
	s := startServer(t, httpPostConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	pipe, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	post, err := pipe.CreateHttpPostEndpoint(ctx, kurento.HttpPostOptions{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan wire.ErrorEvent, 4)
	if _, err := kurento.On(ctx, post, "Error", func(e wire.ErrorEvent) { errs <- e }); err != nil {
		t.Fatal(err)
	}
	url, err := post.URL(ctx)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(url, "video/webm", strings.NewReader(strings.Repeat("not media ", 100)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("garbage POST: %s", resp.Status)
	}
	select {
	case e := <-errs:
		if e.Type != "INVALID_MEDIA" {
			t.Fatalf("Error %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Error event")
	}
	if _, err := pipe.CreateHttpPostEndpoint(ctx, kurento.HttpPostOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pipe.CreateHttpPostEndpoint(ctx, kurento.HttpPostOptions{}); !kurento.IsCode(err, wire.ErrNotEnoughResources) {
		t.Fatalf("third endpoint: %v", err)
	}
	if _, err := pipe.CreateHttpPostEndpoint(ctx, kurento.HttpPostOptions{DisconnectionTimeout: -1}); !kurento.IsCode(err, wire.ErrIllegalParam) {
		t.Fatalf("negative disconnectionTimeout: %v", err)
	}
	if err := post.Release(ctx); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Post(url, "video/webm", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST to a released endpoint: %s", resp.Status)
	}
}
