package recorder

import (
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
	"github.com/gorento/gorento/internal/testutil"
)

// sources caches the generated test files of the package's tests.
var sources struct {
	sync.Mutex
	dir   string
	files map[containertest.Spec][]rtpmedia.Packet
}

// media returns the RTP of a 5 s file made by ffmpeg.
func testMedia(t *testing.T, spec containertest.Spec, o rtpmedia.Options) []rtpmedia.Packet {
	t.Helper()
	sources.Lock()
	defer sources.Unlock()
	if spec.Seconds == 0 {
		spec.Seconds = 5
	}
	if o != (rtpmedia.Options{}) {
		return rtpmedia.Load(t, containertest.Make(t, t.TempDir(), spec), o)
	}
	if sources.files == nil {
		sources.files = map[containertest.Spec][]rtpmedia.Packet{}
	}
	if p, ok := sources.files[spec]; ok {
		return p
	}
	if sources.dir == "" {
		sources.dir = filepath.Join(tempRoot, "sources")
	}
	p := rtpmedia.Load(t, containertest.Make(t, mkdir(t, sources.dir), spec), o)
	sources.files[spec] = p
	return p
}

// rig is a pipeline on a hand-moved clock with a fake source connected to
// a recorder. Packets are pushed at the time a real sender would send them
// (the clock is moved there first), stamped as they enter the pipeline.
type rig struct {
	t     *testing.T
	clock *mediatest.Clock
	pipe  *media.Pipeline
	src   *mediatest.Source
	rec   *Recorder
	ev    *mediatest.Events
	t0    time.Duration // clock time of media time 0
}

func newRig(t *testing.T, opts Options, cfg Config) *rig {
	t.Helper()
	clock := mediatest.NewClock()
	pipe := media.NewPipeline(media.WithClock(clock))
	pipe.SetLatencyStats(true)
	src, err := mediatest.NewSource(pipe, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := mediatest.NewEvents()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Queue.Packets == 0 {
		cfg.Queue.Packets = 1024
	}
	rec, err := New(pipe, opts, cfg, ev.Handler())
	if err != nil {
		t.Fatal(err)
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if err := media.Connect(src, rec, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	r := &rig{t: t, clock: clock, pipe: pipe, src: src, rec: rec, ev: ev, t0: time.Duration(clock.Now())}
	t.Cleanup(pipe.Release)
	return r
}

// play pushes the packets due in [from, to) of media time, shifted by
// shift on the clock; skip drops some (loss).
func (r *rig) play(ps []rtpmedia.Packet, from, to, shift time.Duration, skip func(rtpmedia.Packet) bool) {
	n := 0
	for _, p := range ps {
		if p.At < from || p.At >= to || (skip != nil && skip(p)) {
			continue
		}
		if at := r.t0 + shift + p.At; time.Duration(r.clock.Now()) < at {
			r.clock.Advance(at - time.Duration(r.clock.Now()))
		}
		mp := p.MediaPacket()
		mp.EnteredAt = r.pipe.EntryTime()
		r.src.Push(p.Kind, mp)
		if n++; n%64 == 0 {
			r.drain()
		}
	}
	r.drain()
}

// drain waits until the recorder's queue is empty.
func (r *rig) drain() {
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ := r.rec.Core().QueueStats()
		if st.Queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("recorder queue not drained: %+v", st)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

func (r *rig) waitStopped() {
	r.t.Helper()
	r.ev.WaitFor(r.t, Stopped{}, 20*time.Second)
}

func leakCheck(t *testing.T) { testutil.LeakCheck(t) }

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// checkFile runs ffprobe on a recording: codecs, duration, first video
// frame a keyframe, audio/video start offset.
func checkFile(t *testing.T, path, video, audio string, duration float64) *containertest.Probe {
	t.Helper()
	p := containertest.ProbeFile(t, path, true)
	if got := p.Codec("video"); got != video {
		t.Errorf("%s: video codec %q, want %q", filepath.Base(path), got, video)
	}
	if got := p.Codec("audio"); got != audio {
		t.Errorf("%s: audio codec %q, want %q", filepath.Base(path), got, audio)
	}
	d := p.Duration()
	if d < 0 { // a stream (upload): no duration in the header, take the last frame's
		for _, kind := range []string{"video", "audio"} {
			if ts, _ := p.FrameTimes(kind); len(ts) > 0 {
				d = max(d, ts[len(ts)-1])
			}
		}
	}
	if !near(d, duration, 0.5) {
		t.Errorf("%s: duration %.3f s, want %.1f ± 0.5", filepath.Base(path), d, duration)
	}
	if video != "" {
		_, keys := p.FrameTimes("video")
		if len(keys) == 0 || !keys[0] {
			t.Errorf("%s: first video frame is not a keyframe", filepath.Base(path))
		}
	}
	if video != "" && audio != "" {
		if off := p.StartOffset(); off > 0.050 {
			t.Errorf("%s: audio/video start offset %.3f s", filepath.Base(path), off)
		}
	}
	return p
}
