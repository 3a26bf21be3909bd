package kms_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// TestPlayerPionSubscriber replays the Kurento player tutorial: player
// created first (it announces its file's codecs), WebRtcEndpoint answering
// a Pion peer that offers VP8 and H.264, connect, play; the peer decodes
// the whole file; EndOfStream arrives once; a recorder with
// stopOnEndOfStream connected to the player stops with it.
func TestPlayerPionSubscriber(t *testing.T) {
	leakCheck(t)
	worker := processtest.WorkerBin(t)
	for _, tc := range []struct {
		name       string
		spec       containertest.Spec
		video      frames.Codec
		videoMime  string
		audioProbe string
	}{
		{"webm", containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 4}, frames.VP8, webrtc.MimeTypeVP8, "opus"},
		{"mp4 h264 aac", containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4", Seconds: 4}, frames.H264, webrtc.MimeTypeH264, "opus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := containertest.Make(t, dir, tc.spec)
			cfg := loopbackConfig()
			cfg.Player.Logger, cfg.Recorder.Logger = quietLogger(), quietLogger()
			procs := process.NewManager(process.Config{WorkerPath: worker, Logger: quietLogger()})
			t.Cleanup(func() { _ = procs.Close() })
			cfg.Processing = procs
			s := startServer(t, cfg)
			ctx := context.Background()
			c := dial(t, s.URL)
			p, err := c.CreatePipeline(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pl, err := p.CreatePlayerEndpoint(ctx, "file://"+file, kurento.PlayerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var ends atomic.Int32
			if _, err := pl.OnEndOfStream(ctx, func(wire.Plain) { ends.Add(1) }); err != nil {
				t.Fatal(err)
			}
			peer := newPeer(t, testpeer.Options{RecvAudio: true, RecvVideo: true, KeepPackets: true,
				VideoMime: webrtc.MimeTypeVP8, MoreVideoMimes: []string{webrtc.MimeTypeH264}})
			connectPeer(t, ctx, ep, peer, nil)
			if err := pl.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
				t.Fatal(err)
			}
			recPath := filepath.Join(dir, "copy.webm")
			rec, err := p.CreateRecorderEndpoint(ctx, "file://"+recPath, kurento.RecorderOptions{StopOnEndOfStream: true,
				MediaProfile: map[frames.Codec]string{frames.VP8: "WEBM", frames.H264: "MKV"}[tc.video]})
			if err != nil {
				t.Fatal(err)
			}
			stopped := make(chan struct{})
			if _, err := rec.OnStopped(ctx, func(wire.Plain) { close(stopped) }); err != nil {
				t.Fatal(err)
			}
			if err := pl.Connect(ctx, rec, kurento.ConnectOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := rec.Record(ctx); err != nil {
				t.Fatal(err)
			}
			info, err := pl.VideoInfo(ctx)
			if err != nil || !info.IsSeekable || math.Abs(float64(info.Duration)-4000) > 100 || info.SeekableEnd != info.Duration {
				t.Fatalf("videoInfo %+v %v", info, err)
			}
			if err := pl.Play(ctx); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 30*time.Second, "EndOfStream", func() bool { return ends.Load() > 0 })
			select {
			case <-stopped:
			case <-time.After(15 * time.Second):
				t.Fatal("the recorder with stopOnEndOfStream did not stop")
			}
			time.Sleep(300 * time.Millisecond)
			if n := ends.Load(); n != 1 {
				t.Errorf("%d EndOfStream events", n)
			}
			if st, _ := pl.State(ctx); st != "STOP" {
				t.Errorf("state %s after the end", st)
			}
			rv, ra := peer.Received(webrtc.RTPCodecTypeVideo), peer.Received(webrtc.RTPCodecTypeAudio)
			if !strings.EqualFold(rv.Mime, tc.videoMime) {
				t.Errorf("negotiated %s, the player's file is %s", rv.Mime, tc.videoMime)
			}
			path := filepath.Join(dir, "received.mkv")
			start := rv.At[0]
			if len(ra.At) > 0 && ra.At[0].Before(start) {
				start = ra.At[0]
			}
			rtpmedia.Mux(t, path, rtpmedia.Received{Codec: tc.video, Packets: rv.All, At: since(rv.At, start)},
				rtpmedia.Received{Codec: frames.Opus, Packets: ra.All, At: since(ra.At, start)})
			probe := containertest.ProbeFile(t, path, true)
			vt, keys := probe.FrameTimes("video")
			at, _ := probe.FrameTimes("audio")
			if len(vt) < 105 || !keys[0] || len(at) < 170 || probe.Codec("audio") != tc.audioProbe {
				t.Fatalf("the peer decoded %d video frames (first a keyframe: %v) and %d %s audio frames", len(vt), len(keys) > 0 && keys[0], len(at), probe.Codec("audio"))
			}
			if span := vt[len(vt)-1] - vt[0]; math.Abs(span-3.97) > 0.25 {
				t.Errorf("video spans %.2f s at the peer", span)
			}
			t.Logf("peer decoded %d video (%s) and %d audio frames over %.2f s", len(vt), rv.Mime, len(at), vt[len(vt)-1]-vt[0])
			rp := containertest.ProbeFile(t, recPath, false)
			if d := rp.Duration(); math.Abs(d-4) > 0.5 {
				t.Errorf("recording of the player: %.2f s", d)
			}
		})
	}
}

func since(ts []time.Time, start time.Time) []time.Duration {
	out := make([]time.Duration, len(ts))
	for i, t := range ts {
		out[i] = t.Sub(start)
	}
	return out
}

// TestPlayerProtocol: seeks, errors as events, HTTP sources.
func TestPlayerProtocol(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	file := containertest.Make(t, dir, containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 3})
	cfg := loopbackConfig()
	cfg.Player.Logger = quietLogger()
	s := startServer(t, cfg)
	ctx := context.Background()
	c := dial(t, s.URL)
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Unreadable sources: Error events after play, fixed descriptions, code 0.
	for uri, typ := range map[string]string{"file://" + dir + "/missing.webm": "INVALID_URI", "http://127.0.0.1:1/x.webm": "INVALID_URI",
		"file://" + filepath.Join(dir, "..", filepath.Base(dir)) + "/nothing": "INVALID_URI"} {
		pl, err := p.CreatePlayerEndpoint(ctx, uri, kurento.PlayerOptions{})
		if err != nil {
			t.Fatalf("%s: create failed: %v", uri, err)
		}
		got := make(chan wire.ErrorEvent, 1)
		if _, err := pl.OnError(ctx, func(e wire.ErrorEvent) { got <- e }); err != nil {
			t.Fatal(err)
		}
		if err := pl.Play(ctx); err != nil {
			t.Fatalf("%s: play: %v", uri, err)
		}
		select {
		case e := <-got:
			if e.Type != typ || e.ErrorCode != 0 || e.Description != "Invalid URI" {
				t.Errorf("%s: %+v", uri, e)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no Error", uri)
		}
	}
	// A seek while stopped fails with 40700; while playing it moves.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, file) }))
	defer srv.Close()
	pl, err := p.CreatePlayerEndpoint(ctx, srv.URL+"/v.webm", kurento.PlayerOptions{NetworkCache: 500})
	if err != nil {
		t.Fatal(err)
	}
	if err := pl.SetPosition(ctx, 1000); !kurento.IsCode(err, wire.ErrPlayerSeekFail) {
		t.Errorf("seek while stopped: %v", err)
	}
	if err := pl.Play(ctx); err != nil {
		t.Fatal(err)
	}
	// The clip lasts 3 s: seek to 1 s, so that on a loaded machine the
	// pause below still comes before the end of the stream.
	if err := pl.SetPosition(ctx, 1000); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "position past 1 s", func() bool {
		pos, err := pl.Position(ctx)
		return err == nil && pos >= 1000
	})
	if err := pl.Pause(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := pl.State(ctx); st != "PAUSE" {
		t.Errorf("state %s", st)
	}
	dot, err := playerDot(ctx, pl)
	if err != nil || !strings.Contains(dot, "video/VP8") {
		t.Errorf("elementGstreamerDot = %q, %v", dot, err)
	}
	if err := pl.Release(ctx); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
}

func playerDot(ctx context.Context, pl *kurento.PlayerEndpoint) (string, error) {
	var s string
	return s, pl.Invoke(ctx, "getElementGstreamerDot", nil, &s)
}
