package kms_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// timedPackets converts file media for a test peer.
func timedPackets(ps []rtpmedia.Packet) []testpeer.TimedPacket {
	out := make([]testpeer.TimedPacket, len(ps))
	for i, p := range ps {
		out[i] = testpeer.TimedPacket{Video: p.Kind == media.Video, At: p.At, Packet: p.RTP}
	}
	return out
}

// recording is one recorder of a test and what it should produce.
type recording struct {
	profile      string
	ext          string
	video, audio string // codecs ffprobe should find
	rec          *kurento.RecorderEndpoint
	path         string
	stopped      chan struct{}
	started      chan struct{}
	events       *eventLog
}

// recordCall publishes spec's media (seconds long) from a Pion peer to a
// WebRtcEndpoint connected to one recorder per recording, and stops them
// after the media ends.
func recordCall(t *testing.T, s *server, spec containertest.Spec, videoMime string, recs []*recording) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	pkts := timedPackets(rtpmedia.Load(t, containertest.Make(t, dir, spec), rtpmedia.Options{}))
	c := dial(t, s.URL)
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.path = filepath.Join(dir, "out", strings.ToLower(r.profile)+"."+r.ext)
		r.rec, err = p.CreateRecorderEndpoint(ctx, "file://"+r.path, kurento.RecorderOptions{MediaProfile: r.profile})
		if err != nil {
			t.Fatal(err)
		}
		r.stopped, r.started, r.events = make(chan struct{}), make(chan struct{}), &eventLog{}
		once, onceStart := sync.Once{}, sync.Once{}
		for _, name := range []string{"Recording", "Paused", "Stopped", "UriEndpointStateChanged", "Error"} {
			if _, err := c.Subscribe(ctx, r.rec.ID(), name, func(data json.RawMessage) {
				r.events.add(name)
				if name == "Error" {
					t.Errorf("%s: Error event %s", r.profile, data)
				}
				if name == "Stopped" {
					once.Do(func() { close(r.stopped) })
				}
				if name == "Recording" {
					onceStart.Do(func() { close(r.started) })
				}
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ep.Connect(ctx, r.rec, kurento.ConnectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	peer := newPeer(t, testpeer.Options{SendAudio: true, SendVideo: true, VideoMime: videoMime})
	connectPeer(t, ctx, ep, peer, nil)
	for _, r := range recs {
		if err := r.rec.Record(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// As a recorder tutorial waits for the Recording event: transcoders
	// (if any) are ready then.
	for _, r := range recs {
		select {
		case <-r.started:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no Recording event", r.profile)
		}
	}
	<-peer.Play(pkts, false)
	for _, r := range recs {
		if err := r.rec.StopAndWait(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-r.stopped:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no Stopped event (events %v)", r.profile, r.events.list())
		}
		if st, err := r.rec.State(ctx); err != nil || st != "STOP" {
			t.Errorf("%s: state %q %v", r.profile, st, err)
		}
	}
	_ = p.Release(ctx)
}

// checkRecording probes a finished recording.
func checkRecording(t *testing.T, r *recording, seconds float64) {
	t.Helper()
	p := containertest.ProbeFile(t, r.path, true)
	name := r.profile
	if got := p.Codec("video"); got != r.video {
		t.Errorf("%s: video codec %q, want %q", name, got, r.video)
	}
	if got := p.Codec("audio"); got != r.audio {
		t.Errorf("%s: audio codec %q, want %q", name, got, r.audio)
	}
	if d := p.Duration(); math.Abs(d-seconds) > 0.5 {
		t.Errorf("%s: duration %.3f s, want %.1f ± 0.5", name, d, seconds)
	}
	if r.video != "" {
		if _, keys := p.FrameTimes("video"); len(keys) == 0 || !keys[0] {
			t.Errorf("%s: the first video frame is not a keyframe", name)
		}
	}
	if r.video != "" && r.audio != "" {
		if off := p.StartOffset(); off > 0.050 {
			t.Errorf("%s: audio/video start offset %.3f s", name, off)
		}
	}
	want := "UriEndpointStateChanged Recording UriEndpointStateChanged Stopped"
	if got := strings.Join(r.events.list(), " "); got != want {
		t.Errorf("%s: events %q, want %q", name, got, want)
	}
	t.Logf("%s: %s+%s %.2f s, a/v start offset %.3f s", name, p.Codec("video"), p.Codec("audio"), p.Duration(), p.StartOffset())
}

// TestRecorderPionPublisher records 10 s of a Pion peer's VP8+Opus and
// H.264+Opus into every container: without transcoding where the codecs
// fit the profile (or KeepCodecs keeps them), through the worker where
// KMS's profiles give other codecs (WebM: VP8+Opus, MKV and MP4: H.264+AAC).
func TestRecorderPionPublisher(t *testing.T) {
	leakCheck(t)
	// 10 s of media where nothing is transcoded; the transcoded variants
	// (CPU-heavy on a shared CI machine) record 4 s.
	vp8 := containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 10}
	h264 := containertest.Spec{Video: "h264", Audio: "opus", Container: "mkv", Seconds: 10}
	vp8Short, h264Short := vp8, h264
	vp8Short.Seconds, h264Short.Seconds = 4, 4
	cases := []struct {
		name   string
		keep   bool
		spec   containertest.Spec
		mime   string
		record []*recording
	}{
		{"vp8", false, vp8, webrtc.MimeTypeVP8, []*recording{
			{profile: "WEBM", ext: "webm", video: "vp8", audio: "opus"}}},
		{"h264 kept", true, h264, webrtc.MimeTypeH264, []*recording{
			{profile: "MP4", ext: "mp4", video: "h264", audio: "opus"},
			{profile: "MKV", ext: "mkv", video: "h264", audio: "opus"}}},
		{"vp8 transcoded", false, vp8Short, webrtc.MimeTypeVP8, []*recording{
			{profile: "MP4", ext: "mp4", video: "h264", audio: "aac"},
			{profile: "MKV", ext: "mkv", video: "h264", audio: "aac"}}},
		{"h264 transcoded", false, h264Short, webrtc.MimeTypeH264, []*recording{
			{profile: "WEBM", ext: "webm", video: "vp8", audio: "opus"},
			{profile: "MP4", ext: "mp4", video: "h264", audio: "aac"},
			{profile: "MKV", ext: "mkv", video: "h264", audio: "aac"}}},
	}
	worker := processtest.WorkerBin(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := loopbackConfig()
			cfg.Recorder.KeepCodecs = tc.keep
			cfg.Recorder.Logger = quietLogger()
			procs := process.NewManager(process.Config{WorkerPath: worker, Logger: quietLogger()})
			t.Cleanup(func() { _ = procs.Close() })
			cfg.Processing = procs
			s := startServer(t, cfg)
			recordCall(t, s, tc.spec, tc.mime, tc.record)
			for _, r := range tc.record {
				checkRecording(t, r, float64(tc.spec.Seconds))
			}
		})
	}
}

// TestRecorderProtocol: constructor checks, URI handling, refused
// transitions that are not errors, errors as events, stats.
func TestRecorderProtocol(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	cfg := loopbackConfig()
	cfg.URIDefaultPath = "file://" + dir + "/media/"
	cfg.Recorder.Logger = quietLogger()
	s := startServer(t, cfg)
	ctx := context.Background()
	c := dial(t, s.URL)
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for profile, code := range map[string]int{"KURENTO_SPLIT_RECORDER": wire.ErrIllegalParam, "FLV": wire.ErrIllegalParam, "AVI": wire.ErrMarshall} {
		if _, err := p.CreateRecorderEndpoint(ctx, "file:///tmp/x", kurento.RecorderOptions{MediaProfile: profile}); !kurento.IsCode(err, code) {
			t.Errorf("%s: %v, want %d", profile, err, code)
		}
	}
	// A relative URI lands under the default path; getUri answers it as given.
	r, err := p.CreateRecorderEndpoint(ctx, "sub%2Frel.webm", kurento.RecorderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if uri, err := r.URI(ctx); err != nil || uri != "sub/rel.webm" {
		t.Errorf("getUri = %q, %v", uri, err)
	}
	if err := r.Record(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Record(ctx); err != nil { // refused, logged only
		t.Errorf("second record: %v", err)
	}
	if err := r.StopAndWait(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "media", "sub", "rel.webm")); err != nil {
		t.Errorf("relative URI: %v", err)
	}
	if err := r.Record(ctx); err != nil { // a stopped recorder stays stopped
		t.Errorf("record after stop: %v", err)
	}
	if st, _ := r.State(ctx); st != "STOP" {
		t.Errorf("state %s after record on a stopped recorder", st)
	}
	stats, err := r.Stats(ctx, "")
	if err != nil || len(stats) != 1 || !strings.Contains(string(stats[r.ID()]), `"type":"endpoint"`) {
		t.Errorf("getStats = %v, %v", stats, err)
	}
	// An unwritable destination is an Error event of type RESOURCE_ERROR_OPEN.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad, err := p.CreateRecorderEndpoint(ctx, "file://"+blocker+"/x.webm", kurento.RecorderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan wire.ErrorEvent, 1)
	if _, err := bad.OnError(ctx, func(e wire.ErrorEvent) { got <- e }); err != nil {
		t.Fatal(err)
	}
	if err := bad.Record(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e.Type != "RESOURCE_ERROR_OPEN" || e.ErrorCode != 6 {
			t.Errorf("error event %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no Error event")
	}
}
