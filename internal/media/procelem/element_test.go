package procelem

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/media/rtpx"
)

func TestMain(m *testing.M) {
	processtest.RunFakeWorker()
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		processtest.Cleanup()
		os.Exit(code)
	}))
}

// fakeManager runs the test binary as an echoing fake worker.
func fakeManager(t *testing.T) *process.Manager {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m := process.NewManager(process.Config{WorkerPath: exe, Env: processtest.FakeWorkerEnv("echo"),
		HeartbeatInterval: 50 * time.Millisecond, HangTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// workerEvents records the worker events an element passes on.
type workerEvents struct {
	mu   sync.Mutex
	list []process.Event
}

func (w *workerEvents) add(ev process.Event) {
	w.mu.Lock()
	w.list = append(w.list, ev)
	w.mu.Unlock()
}

func (w *workerEvents) named(name string) []process.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []process.Event
	for _, ev := range w.list {
		if ev.Name == name {
			out = append(out, ev)
		}
	}
	return out
}

type rig struct {
	pipe   *media.Pipeline
	src    *mediatest.Source
	el     *Element
	sink   *mediatest.Sink
	events *mediatest.Events
	worker *workerEvents
}

func newRig(t *testing.T, m *process.Manager, estimate uint64, edit func(*Config)) *rig {
	t.Helper()
	r := &rig{pipe: media.NewPipeline(), events: mediatest.NewEvents(), worker: &workerEvents{}}
	t.Cleanup(r.pipe.Release)
	var err error
	if r.src, err = mediatest.NewSource(r.pipe, nil); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Backend: m, Key: "pipe-1", Media: media.Video, ForwardOthers: true, Events: r.events.Handler(), OnEvent: func(_ *Element, ev process.Event) { r.worker.add(ev) }}
	if edit != nil {
		edit(&cfg)
	}
	if r.el, err = New(context.Background(), r.pipe, cfg); err != nil {
		t.Fatal(err)
	}
	if r.sink, err = mediatest.NewSink(r.pipe, mediatest.SinkOptions{Estimate: estimate}, nil); err != nil {
		t.Fatal(err)
	}
	for _, mt := range media.AllMediaTypes {
		if err := media.Connect(r.src, r.el, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
		if err := media.Connect(r.el, r.sink, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// send pushes n packets of s until the sink counted want of mt, or fails.
func (r *rig) sendUntil(t *testing.T, s *mediatest.Stream, mt media.MediaType, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for count(r.sink, mt) < want {
		if time.Now().After(deadline) {
			t.Fatalf("sink got %d %v packets, want %d (element stats %+v)", count(r.sink, mt), mt, want, r.el.Stats())
		}
		r.src.Push(mt, s.Next(mediatest.VP8Payload(true, 100)))
		time.Sleep(2 * time.Millisecond)
	}
}

func count(s *mediatest.Sink, mt media.MediaType) int {
	n := 0
	for _, p := range s.Received() {
		if p.MediaType == mt {
			n++
		}
	}
	return n
}

func TestProcessedVideoHasOwnContinuousStream(t *testing.T) {
	r := newRig(t, fakeManager(t), 0, nil)
	vp8 := &mediatest.Stream{SSRC: 1111, Seq: 60000, Timestamp: 1, Step: 3000, Codec: mediatest.VP8}
	r.sendUntil(t, vp8, media.Video, 20)
	opus := &mediatest.Stream{SSRC: 2222, Step: 960, Codec: mediatest.Opus}
	r.sendUntil(t, opus, media.Audio, 5)

	// Another source with another SSRC and sequence numbers far away.
	vp8b := &mediatest.Stream{SSRC: 3333, Seq: 5, Timestamp: 777777, Step: 3000, Codec: mediatest.VP8}
	r.sendUntil(t, vp8b, media.Video, 40)

	var video []mediatest.Received
	for _, p := range r.sink.Received() {
		switch p.MediaType {
		case media.Video:
			video = append(video, p)
		case media.Audio:
			if p.Header.SSRC != 2222 {
				t.Fatalf("audio passed through with SSRC %d, want the source's", p.Header.SSRC)
			}
		}
	}
	ssrc := video[0].Header.SSRC
	for i, p := range video {
		if p.Header.SSRC != ssrc || p.Header.SSRC == 1111 || p.Header.SSRC == 3333 {
			t.Fatalf("packet %d: SSRC %d, want the element's own %d", i, p.Header.SSRC, ssrc)
		}
		if i > 0 && !rtpx.SeqNewer(p.Header.SequenceNumber, video[i-1].Header.SequenceNumber) {
			t.Fatalf("packet %d: sequence %d after %d", i, p.Header.SequenceNumber, video[i-1].Header.SequenceNumber)
		}
		if i > 0 && p.Header.SequenceNumber-video[i-1].Header.SequenceNumber > 50 {
			t.Fatalf("packet %d: sequence jumps from %d to %d", i, video[i-1].Header.SequenceNumber, p.Header.SequenceNumber)
		}
		if i > 0 && p.Header.Timestamp-video[i-1].Header.Timestamp > 90000*5 {
			t.Fatalf("packet %d: timestamp jumps from %d to %d", i, video[i-1].Header.Timestamp, p.Header.Timestamp)
		}
	}
	if st := r.el.Stats(); st.PacketsIn == 0 || st.PacketsOut == 0 || st.WorkerPID == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCodecChangeRecreatesWorkerElement(t *testing.T) {
	r := newRig(t, fakeManager(t), 0, nil)
	var applied atomic.Int32
	if err := r.el.Apply(context.Background(), "prop", func(ctx context.Context, w *process.Element) error {
		applied.Add(1)
		return w.SetProperty(ctx, "known", "p", "v")
	}); err != nil {
		t.Fatal(err)
	}
	vp8 := &mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	r.sendUntil(t, vp8, media.Video, 10)
	h264 := &media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"}
	s2 := &mediatest.Stream{SSRC: 2, Step: 3000, Codec: h264}
	r.sendUntil(t, s2, media.Video, 20)
	if n := r.el.Stats().Recreations; n != 1 {
		t.Fatalf("recreations = %d, want 1", n)
	}
	if n := applied.Load(); n != 2 {
		t.Fatalf("setting applied %d times, want 2 (set, then again on re-creation)", n)
	}
	rec := r.sink.Received()
	last := rec[len(rec)-1]
	if last.MediaType != media.Video {
		t.Fatal("last packet not video")
	}
}

func TestKeyframesBothWays(t *testing.T) {
	r := newRig(t, fakeManager(t), 0, nil)
	vp8 := &mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	r.sendUntil(t, vp8, media.Video, 5)
	// Downstream asks: the worker's encoder is asked.
	r.sink.Core().Sink(media.Video).RequestKeyframe()
	waitFor(t, func() bool { return len(r.worker.named("keyframe")) > 0 }, "keyframe request reaching the worker")
	// The worker's decoder needs one: the source is asked.
	before := r.src.KeyframeRequests(media.Video)
	r.src.Push(media.Video, vp8.Next([]byte("keywait")))
	waitFor(t, func() bool { return r.src.KeyframeRequests(media.Video) > before }, "keyframe request reaching the source")
}

func TestBitrateFollowsDownstreamWithinBounds(t *testing.T) {
	r := newRig(t, fakeManager(t), 5_000_000, func(c *Config) { c.Bitrates = &Bitrates{Target: 300_000, Min: 100_000, Max: 1_500_000} })
	vp8 := &mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	r.sendUntil(t, vp8, media.Video, 5)
	waitFor(t, func() bool { return len(r.worker.named("bitrate")) > 0 }, "bitrate change")
	if got := r.worker.named("bitrate")[0].Fields["target"]; got != float64(1_500_000) {
		t.Fatalf("target %v, want the maximum 1500000 (downstream takes 5 Mbps)", got)
	}
	r.el.SetBitrates(Bitrates{Target: 300_000, Min: 100_000, Max: 800_000})
	waitFor(t, func() bool { return len(r.worker.named("bitrate")) > 1 }, "bitrate change after new bounds")
	if got := r.worker.named("bitrate")[1].Fields["target"]; got != float64(800_000) {
		t.Fatalf("target %v, want 800000", got)
	}
}

func TestWorkerCrashIsAnErrorEvent(t *testing.T) {
	r := newRig(t, fakeManager(t), 0, nil)
	vp8 := &mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	r.sendUntil(t, vp8, media.Video, 5)
	r.src.Push(media.Video, vp8.Next([]byte("crash")))
	r.events.Wait(t, 10*time.Second, func(list []media.Event) bool {
		for _, ev := range list {
			if e, ok := ev.(media.ErrorEvent); ok && errors.Is(e.Err, ErrProcessing) && errors.Is(e.Err, process.ErrWorkerCrashed) {
				return true
			}
		}
		return false
	}, "ErrorEvent wrapping ErrProcessing and ErrWorkerCrashed")
	if !errors.Is(r.el.Err(), process.ErrWorkerCrashed) {
		t.Fatalf("Err() = %v", r.el.Err())
	}
	// Nothing comes out any more; settings fail with the reason.
	n := count(r.sink, media.Video)
	for i := 0; i < 20; i++ {
		r.src.Push(media.Video, vp8.Next(mediatest.VP8Payload(true, 100)))
	}
	time.Sleep(100 * time.Millisecond)
	if count(r.sink, media.Video) != n {
		t.Fatal("a failed element still produces")
	}
	if err := r.el.Apply(context.Background(), "", func(context.Context, *process.Element) error { return nil }); !errors.Is(err, process.ErrWorkerCrashed) {
		t.Fatalf("Apply after crash: %v", err)
	}
}

func TestMissingWorkerFailsNew(t *testing.T) {
	m := process.NewManager(process.Config{WorkerPath: "/nonexistent/gorento-worker"})
	defer m.Close()
	pipe := media.NewPipeline()
	defer pipe.Release()
	_, err := New(context.Background(), pipe, Config{Backend: m, Key: "k", Media: media.Video})
	if !errors.Is(err, process.ErrWorkerNotFound) {
		t.Fatalf("err = %v, want ErrWorkerNotFound", err)
	}
	if pipe.Elements() != 0 {
		t.Fatal("a failed New left an element in the pipeline")
	}
	if _, err := New(context.Background(), pipe, Config{Media: media.Video}); !errors.Is(err, ErrNoBackend) {
		t.Fatalf("err = %v, want ErrNoBackend", err)
	}
}

func TestReleaseStopsWorker(t *testing.T) {
	m := fakeManager(t)
	r := newRig(t, m, 0, nil)
	vp8 := &mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	r.sendUntil(t, vp8, media.Video, 5)
	r.el.Release()
	r.el.Release()
	if n := m.Workers(); n != 0 {
		t.Fatalf("%d workers after release", n)
	}
}

func TestSeveralInputsAndOutputs(t *testing.T) {
	m := fakeManager(t)
	pipe := media.NewPipeline()
	defer pipe.Release()
	h264 := &media.Codec{MimeType: "video/H264", ClockRate: 90000}
	el, err := New(context.Background(), pipe, Config{Backend: m, Key: "k", Media: media.Video,
		Outputs: []string{"vp8", "h264"},
		OutputCodecs: func(in []*media.Codec) ([]*media.Codec, bool) {
			return []*media.Codec{in[0], h264}, in[0] != nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	src, _ := mediatest.NewSource(pipe, nil)
	a, _ := mediatest.NewSink(pipe, mediatest.SinkOptions{}, nil)
	b, _ := mediatest.NewSink(pipe, mediatest.SinkOptions{}, nil)
	for _, c := range []error{
		media.Connect(src, el, media.Video, media.DefaultPad, media.DefaultPad),
		media.Connect(el, a, media.Video, "vp8", media.DefaultPad),
		media.Connect(el, b, media.Video, "h264", media.DefaultPad),
	} {
		if c != nil {
			t.Fatal(c)
		}
	}
	s := &mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	waitFor(t, func() bool {
		src.Push(media.Video, s.Next(mediatest.VP8Payload(true, 50)))
		return a.Count() > 3 && b.Count() > 3
	}, "both outputs")
	if a.Received()[0].Header.SSRC == b.Received()[0].Header.SSRC {
		t.Fatal("outputs share an SSRC")
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
