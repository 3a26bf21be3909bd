package player

import (
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/internal/media/player/sourcetest"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/media/rtpx"
	"github.com/gorento/gorento/internal/media/uriep"
	"github.com/gorento/gorento/internal/media/workerleg"
	"github.com/gorento/gorento/internal/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// files caches the generated media of the package's tests.
var files struct {
	sync.Mutex
	dir  string
	made map[containertest.Spec]string
}

func testFile(t *testing.T, spec containertest.Spec) string {
	t.Helper()
	files.Lock()
	defer files.Unlock()
	if files.made == nil {
		files.made = map[containertest.Spec]string{}
	}
	if p, ok := files.made[spec]; ok {
		return p
	}
	if files.dir == "" {
		dir, err := os.MkdirTemp("", "player-test-")
		if err != nil {
			t.Fatal(err)
		}
		files.dir = dir
	}
	p := containertest.Make(t, files.dir, spec)
	files.made[spec] = p
	return p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if files.dir != "" {
		_ = os.RemoveAll(files.dir)
	}
	processtest.Cleanup()
	os.Exit(code)
}

// rig is a pipeline with a player feeding a sink that keeps every packet.
type rig struct {
	t    *testing.T
	pipe *media.Pipeline
	pl   *Player
	sink *mediatest.Sink
	ev   *mediatest.Events
}

func newRig(t *testing.T, uri string, legs workerleg.Factory) *rig {
	t.Helper()
	pipe := media.NewPipeline()
	t.Cleanup(pipe.Release)
	ev := mediatest.NewEvents()
	pl, err := New(pipe, Options{URI: uri, Transcoders: legs}, Config{Logger: quiet, OpenTimeout: 3 * time.Second}, ev.Handler())
	if err != nil {
		t.Fatal(err)
	}
	sink, err := mediatest.NewSink(pipe, mediatest.SinkOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if err := media.Connect(pl, sink, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	return &rig{t: t, pipe: pipe, pl: pl, sink: sink, ev: ev}
}

func (r *rig) count(mt media.MediaType) int {
	n := 0
	for _, p := range r.sink.Received() {
		if p.MediaType == mt {
			n++
		}
	}
	return n
}

// decode muxes what the sink received and has ffprobe decode it.
func (r *rig) decode(video, audio frames.Codec) *containertest.Probe {
	r.t.Helper()
	tracks := []rtpmedia.Received{{Codec: video}, {Codec: audio}}
	for _, p := range r.sink.Received() {
		i := 0
		if p.MediaType == media.Audio {
			i = 1
		}
		tracks[i].Packets = append(tracks[i].Packets, &rtp.Packet{Header: p.Header, Payload: p.Payload})
	}
	path := filepath.Join(r.t.TempDir(), "received.mkv")
	rtpmedia.Mux(r.t, path, tracks...)
	return containertest.ProbeFile(r.t, path, true)
}

func (r *rig) endsOnce() {
	r.t.Helper()
	r.ev.WaitFor(r.t, EndOfStream{}, 30*time.Second)
	time.Sleep(100 * time.Millisecond)
	n := 0
	var states []uriep.State
	for _, e := range r.ev.All() {
		switch e := e.(type) {
		case EndOfStream:
			n++
		case uriep.StateChanged:
			states = append(states, e.State)
		}
	}
	if n != 1 || r.pl.State() != uriep.Stop || len(states) < 2 || states[len(states)-1] != uriep.Stop {
		r.t.Fatalf("%d EndOfStream, state %v, states %v", n, r.pl.State(), states)
	}
}

// leakCheck verifies, after the test's other cleanups, that it left no
// goroutine behind.
func leakCheck(t *testing.T) { testutil.LeakCheck(t) }

func worker(t *testing.T) workerleg.Factory {
	m := process.NewManager(process.Config{WorkerPath: processtest.WorkerBin(t), Logger: quiet})
	t.Cleanup(func() { _ = m.Close() })
	return workerleg.Worker(m, t.Name())
}

// TestPlayFiles plays generated files into a sink and decodes what it
// got: browser codecs as they are, AAC through the worker into Opus.
func TestPlayFiles(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct {
		name         string
		spec         containertest.Spec
		video, audio frames.Codec
		probe        string // ffprobe's audio codec
		worker       bool
	}{
		{"webm", containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm"}, frames.VP8, frames.Opus, "opus", false},
		{"mkv h264", containertest.Spec{Video: "h264", Audio: "opus", Container: "mkv"}, frames.H264, frames.Opus, "opus", false},
		{"mp4 aac", containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4"}, frames.H264, frames.Opus, "opus", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var legs workerleg.Factory
			if tc.worker {
				legs = worker(t)
			}
			r := newRig(t, "file://"+testFile(t, tc.spec), legs)
			if vc, ac := r.pipe.PreferredCodec(media.Video), r.pipe.PreferredCodec(media.Audio); vc == nil || (ac == nil) != (tc.spec.Audio == "aac") {
				t.Errorf("claimed codecs: video %v, audio %v", vc, ac)
			}
			info := r.pl.VideoInfo()
			if !info.Seekable || math.Abs(info.Duration.Seconds()-4) > 0.1 || info.SeekableEnd != info.Duration {
				t.Errorf("video info %+v", info)
			}
			start := time.Now()
			if !r.pl.Play() {
				t.Fatal("play refused")
			}
			r.endsOnce()
			if d := time.Since(start); d < 3500*time.Millisecond {
				t.Errorf("4 s played in %v: not paced", d)
			}
			p := r.decode(tc.video, tc.audio)
			vt, keys := p.FrameTimes("video")
			at, _ := p.FrameTimes("audio")
			if len(vt) < 110 || len(at) < 180 || !keys[0] || p.Codec("audio") != tc.probe {
				t.Fatalf("decoded %d video frames (first key %v), %d %s audio frames", len(vt), len(keys) > 0 && keys[0], len(at), p.Codec("audio"))
			}
			if last := vt[len(vt)-1] - vt[0]; math.Abs(last-3.97) > 0.2 {
				t.Errorf("video spans %.2f s", last)
			}
		})
	}
}

// frameSlack bounds how far ahead of the wall clock since play a paced
// position may be: the first frame's time stamp and one frame in flight.
const frameSlack = 50 * time.Millisecond

// TestPauseSeekStop: pause stops packets and holds the position, a seek
// moves it to the keyframe before, stop then play starts over. Positions
// are compared with the time measured since play, never with a window of
// the wall clock (a slow start or a late sleep only shifts them).
func TestPauseSeekStop(t *testing.T) {
	leakCheck(t)
	r := newRig(t, "file://"+testFile(t, containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm"}), nil)
	start := time.Now()
	r.pl.Play()
	testutil.Eventually(t, 10*time.Second, "1 s played", func() bool { return r.pl.Position() >= time.Second })
	if !r.pl.Pause() {
		t.Fatal("pause refused")
	}
	played := time.Since(start)
	n, pos := r.sink.Count(), r.pl.Position()
	if pos > played+frameSlack {
		t.Fatalf("position %v after %v of play: not paced", pos, played)
	}
	time.Sleep(500 * time.Millisecond)
	// Only the frame in flight when Pause returned may follow it.
	after := map[[2]uint32]bool{}
	for _, p := range r.sink.Received()[n:] {
		after[[2]uint32{uint32(p.MediaType), p.Header.Timestamp}] = true
	}
	if p := r.pl.Position(); len(after) > 1 || p < pos || p > pos+frameSlack {
		t.Fatalf("paused: %d frames sent after pause, position %v → %v", len(after), pos, p)
	}
	paused := r.pl.Position()
	if err := r.pl.SetPosition(2500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "the seek", func() bool { return r.pl.Position() != 2500*time.Millisecond })
	if p := r.pl.Position(); p < 1950*time.Millisecond || p > 2050*time.Millisecond {
		t.Fatalf("position %v after seeking to 2.5 s (keyframe at 2 s)", p)
	}
	resumed := time.Now()
	r.pl.Play()
	time.Sleep(300 * time.Millisecond)
	if p, since := r.pl.Position(), time.Since(resumed); p < 1950*time.Millisecond || p > 2*time.Second+since+frameSlack {
		t.Fatalf("position %v %v after playing from the keyframe at 2 s", p, since)
	}
	r.endsOnce()
	// What was played before the pause, then 2 s after the seek, not 4 s.
	p := r.decode(frames.VP8, frames.Opus)
	want := int(paused.Seconds()*30) + 1 + 60
	if vt, _ := p.FrameTimes("video"); len(vt) < want-6 || len(vt) > want+6 {
		t.Errorf("%d video frames decoded, want ~%d (%v, then 2 s after the seek)", len(vt), want, paused)
	}
	if err := r.pl.SetPosition(time.Second); !errors.Is(err, ErrSeek) {
		t.Errorf("seek while stopped: %v", err)
	}
	// stop, play: from the start again
	r.ev.Reset()
	again := time.Now()
	r.pl.Play()
	time.Sleep(500 * time.Millisecond)
	if p, since := r.pl.Position(), time.Since(again); p > since+frameSlack {
		t.Errorf("position %v %v after playing again", p, since)
	}
	r.pl.Stop()
	if r.pl.State() != uriep.Stop || r.pl.Position() != 0 {
		t.Errorf("state %v position %v after stop", r.pl.State(), r.pl.Position())
	}
}

// TestSources: HTTP (ranges, seeking) and RTSP (live, not seekable).
func TestSources(t *testing.T) {
	leakCheck(t)
	webm := testFile(t, containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 2})
	t.Run("http", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, webm) }))
		defer srv.Close()
		r := newRig(t, srv.URL+"/a.webm", nil)
		if info := r.pl.VideoInfo(); !info.Seekable || math.Abs(info.Duration.Seconds()-2) > 0.1 {
			t.Errorf("video info %+v", info)
		}
		r.pl.Play()
		r.endsOnce()
		if r.count(media.Video) < 50 || r.count(media.Audio) < 90 {
			t.Errorf("%d video, %d audio packets", r.count(media.Video), r.count(media.Audio))
		}
		r.pl.Release()
		srv.CloseClientConnections()
	})
	t.Run("rtsp", func(t *testing.T) {
		base := sourcetest.StartRTSP(t, testFile(t, containertest.Spec{Video: "h264", Audio: "opus", Container: "mp4", GOP: 15}))
		r := newRig(t, base+"/cam", nil)
		if vc := r.pipe.PreferredCodec(media.Video); vc == nil || vc.MimeType != "video/H264" {
			t.Errorf("claimed %v", vc)
		}
		if info := r.pl.VideoInfo(); info.Seekable || info.Duration != 0 {
			t.Errorf("live video info %+v", info)
		}
		r.pl.Play()
		testutil.Eventually(t, 15*time.Second, "RTSP media", func() bool { return r.count(media.Video) > 30 && r.count(media.Audio) > 50 })
		if err := r.pl.SetPosition(time.Second); !errors.Is(err, ErrSeek) {
			t.Errorf("seek on a live source: %v", err)
		}
		r.pl.Release()
		p := r.decode(frames.H264, frames.Opus)
		if vt, keys := p.FrameTimes("video"); len(vt) < 10 || !keys[0] {
			t.Errorf("decoded %d video frames", len(vt))
		}
	})
}

// TestErrors: sources that cannot be played are Error events after play,
// never failures of New or Play, and leave nothing behind.
func TestErrors(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a video at all, just text"), 0o644); err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]error{
		"file://" + filepath.Join(dir, "missing.webm"): source.ErrInvalidURI,
		"file://" + text:            source.ErrInvalidMedia,
		"http://127.0.0.1:1/x.webm": source.ErrInvalidURI,
		"ftp://127.0.0.1/x.webm":    source.ErrUnsupportedScheme,
	} {
		r := newRig(t, uri, nil)
		if !r.pl.Play() {
			t.Fatalf("%s: play refused", uri)
		}
		r.ev.Wait(t, 10*time.Second, func(evs []media.Event) bool {
			for _, e := range evs {
				if ee, ok := e.(media.ErrorEvent); ok {
					if !errors.Is(ee.Err, want) {
						t.Errorf("%s: %v, want %v", uri, ee.Err, want)
					}
					return true
				}
			}
			return false
		}, "an Error of %s", uri)
		r.pl.Release()
	}
}

// TestKeyframeRequest: a receiver asking for a keyframe of encoded video
// gets the stream again from the last keyframe (a player cannot encode
// one), at most once a second. Rewinds are counted as keyframes received
// and bounded by the time measured between the first request and the
// stop, not by sleeps.
func TestKeyframeRequest(t *testing.T) {
	leakCheck(t)
	r := newRig(t, "file://"+testFile(t, containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", GOP: 120}), nil)
	isKey := rtpx.KeyframeStart("video/VP8")
	keyframes := func() int {
		n := 0
		for _, p := range r.sink.Received() {
			if p.MediaType == media.Video && isKey(p.Payload) {
				n++
			}
		}
		return n
	}
	r.pl.Play()
	// Paced: the only keyframe, at 0, was sent more than a second ago.
	testutil.Eventually(t, 10*time.Second, "1.2 s played", func() bool { return r.pl.Position() >= 1200*time.Millisecond })
	if k := keyframes(); k != 1 {
		t.Fatalf("%d keyframes before any request", k)
	}
	first := time.Now()
	r.sink.Core().Sink(media.Video).RequestKeyframe()
	testutil.Eventually(t, 10*time.Second, "a rewind to the keyframe at 0", func() bool { return keyframes() == 2 })
	for range 3 { // too soon after a keyframe: ignored
		time.Sleep(100 * time.Millisecond)
		r.sink.Core().Sink(media.Video).RequestKeyframe()
	}
	time.Sleep(300 * time.Millisecond)
	r.pl.Stop()
	// Rewinds are a second apart at least, all between first and now.
	if rewinds, most := keyframes()-1, 1+int(time.Since(first)/time.Second); rewinds > most {
		t.Errorf("%d rewinds in %v", rewinds, time.Since(first))
	}
}
