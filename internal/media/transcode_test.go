package media_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

var (
	h264 = &media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"}
	vp9  = &media.Codec{MimeType: "video/VP9", ClockRate: 90000}
	pcmu = &media.Codec{MimeType: "audio/PCMU", ClockRate: 8000}
)

// newTranscodingGraph is a graph whose pipeline transcodes with fakes.
func newTranscodingGraph(t *testing.T, f *mediatest.Transcoders) *graph {
	g := &graph{t: t, clock: mediatest.NewClock(), events: map[media.Element]*mediatest.Events{}}
	g.p = media.NewPipeline(media.WithClock(g.clock), media.WithTranscoders(f))
	t.Cleanup(g.p.Release)
	return g
}

func (g *graph) codecSink(codecs ...*media.Codec) *mediatest.Sink {
	return g.sink(mediatest.SinkOptions{Codecs: codecs})
}

// lastCodec is the codec of what feeds s (nil: unknown).
func lastCodec(t *testing.T, _ *graph, s *mediatest.Sink) *media.Codec {
	t.Helper()
	feed := s.Core().Sink(media.Video).Feed()
	if feed == nil {
		return nil
	}
	if cs, ok := feed.Owner().(media.CodecSource); ok {
		if c := cs.SourceCodec(feed); c != nil {
			return c
		}
	}
	return nil
}

func TestNoTranscodingWhenCodecsMatch(t *testing.T) {
	f := &mediatest.Transcoders{}
	g := newTranscodingGraph(t, f)
	src := g.source()
	src.SetCodec(media.Video, mediatest.VP8)
	sink := g.codecSink(h264, mediatest.VP8)
	g.connect(src, sink, media.Video, def, def)
	g.events[src].WaitFor(t, media.MediaTranscodingStateChanged{MediaType: media.Video, Transcoding: false, BinName: def}, 10*time.Second)
	s := mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	pkt := s.Next([]byte{1})
	src.Push(media.Video, pkt)
	if sink.Count() != 1 || f.Made() != 0 {
		t.Fatalf("received %d, transcoders %d", sink.Count(), f.Made())
	}
	if sink.Core().Sink(media.Video).Feed() != src.Core().Source(media.Video) {
		t.Error("not fed directly by its source")
	}
	if src.Core().IsTranscoding(media.Video, def) {
		t.Error("IsTranscoding without a transcoder")
	}
}

// TestTranscoderSharedPerFormat: one transcoder per source pad, one output
// per distinct target, shared; sinks that take the source's codec stay on
// the direct path; outputs and the transcoder go away with their sinks.
func TestTranscoderSharedPerFormat(t *testing.T) {
	f := &mediatest.Transcoders{}
	g := newTranscodingGraph(t, f)
	src := g.source()
	src.SetCodec(media.Video, mediatest.VP8)
	a, b, c, d := g.codecSink(h264), g.codecSink(h264), g.codecSink(vp9, h264), g.codecSink(mediatest.VP8, h264)
	for _, s := range []*mediatest.Sink{a, b, c, d} {
		g.connect(src, s, media.Video, def, def)
	}
	g.events[src].WaitFor(t, media.MediaTranscodingStateChanged{MediaType: media.Video, Transcoding: true, BinName: def}, 10*time.Second)
	if f.Made() != 1 {
		t.Fatalf("%d transcoders, want 1", f.Made())
	}
	tr := f.All()[0]
	if got := len(tr.Outputs()); got != 2 {
		t.Fatalf("%d outputs, want 2 (H.264 shared by two sinks, VP9)", got)
	}
	s := mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	src.Push(media.Video, s.Next([]byte{1}))
	for i, tc := range []struct {
		sink *mediatest.Sink
		want *media.Codec
	}{{a, h264}, {b, h264}, {c, vp9}, {d, mediatest.VP8}} {
		if tc.sink.Count() != 1 {
			t.Errorf("sink %d received %d packets", i, tc.sink.Count())
		}
		feed := tc.sink.Core().Sink(media.Video).Feed()
		if tc.want == mediatest.VP8 {
			if feed != src.Core().Source(media.Video) {
				t.Errorf("sink %d: not on the direct path", i)
			}
			continue
		}
		if got := lastCodec(t, g, tc.sink); got != tc.want {
			t.Errorf("sink %d fed %v, want %v", i, got, tc.want)
		}
		// Connections are what the application made.
		if got := tc.sink.Core().SourceConnections(media.ConnectionFilter{}); len(got) != 1 || got[0].Source != src {
			t.Errorf("sink %d source connections %v", i, got)
		}
	}
	if !src.Core().IsTranscoding(media.Video, def) {
		t.Error("IsTranscoding false")
	}
	if n := len(src.Core().SinkConnections(media.ConnectionFilter{})); n != 4 {
		t.Errorf("%d sink connections, want 4", n)
	}

	// A keyframe request of a transcoded sink goes to the encoder, not
	// to the source; one of a direct sink to the source.
	before := src.KeyframeRequests(media.Video)
	a.Core().Sink(media.Video).RequestKeyframe()
	if tr.Keyframes() != 1 || src.KeyframeRequests(media.Video) != before {
		t.Errorf("transcoded sink's keyframe request: encoder %d, source %d", tr.Keyframes(), src.KeyframeRequests(media.Video)-before)
	}
	d.Core().Sink(media.Video).RequestKeyframe()
	if src.KeyframeRequests(media.Video) != before+1 {
		t.Error("direct sink's keyframe request did not reach the source")
	}

	// The VP9 sink leaves: its output stops; the H.264 ones leave: the
	// transcoder goes.
	if err := media.Disconnect(src, c, media.Video, def, def); err != nil {
		t.Fatal(err)
	}
	if got := len(tr.Outputs()); got != 1 {
		t.Errorf("%d outputs after the VP9 sink left, want 1", got)
	}
	a.Release()
	if f.Live() != 1 {
		t.Error("transcoder released while a sink needs it")
	}
	if err := media.Disconnect(src, b, media.Video, def, def); err != nil {
		t.Fatal(err)
	}
	if f.Live() != 0 {
		t.Errorf("%d transcoders live after their sinks left", f.Live())
	}
	g.events[src].WaitFor(t, media.MediaTranscodingStateChanged{MediaType: media.Video, Transcoding: false, BinName: def}, 10*time.Second)
	if src.Core().IsTranscoding(media.Video, def) {
		t.Error("IsTranscoding after the transcoder left")
	}
	src.Push(media.Video, s.Next([]byte{2}))
	if d.Count() != 2 {
		t.Errorf("direct sink got %d packets, want 2", d.Count())
	}
}

// TestCodecsLearnedAfterConnect: endpoints negotiate after being connected;
// the plan follows what they learn, in both directions.
func TestCodecsLearnedAfterConnect(t *testing.T) {
	f := &mediatest.Transcoders{}
	g := newTranscodingGraph(t, f)
	src, sink := g.source(), g.sink(mediatest.SinkOptions{})
	g.connect(src, sink, media.Video, def, def)
	src.SetCodec(media.Video, mediatest.VP8)
	if f.Made() != 0 {
		t.Fatal("transcoder for a sink that takes anything")
	}
	changes := sink.SourceChanges()
	sink.SetCodecs([]*media.Codec{h264})
	if f.Live() != 1 || lastCodec(t, g, sink) != h264 {
		t.Fatalf("after the sink negotiated H.264: %d transcoders, fed %v", f.Live(), lastCodec(t, g, sink))
	}
	if sink.SourceChanges() != changes+1 {
		t.Errorf("sink told of %d feed changes, want 1", sink.SourceChanges()-changes)
	}
	// The source switches to H.264: no transcoding any more.
	src.SetCodec(media.Video, h264)
	if f.Live() != 0 || sink.Core().Sink(media.Video).Feed() != src.Core().Source(media.Video) {
		t.Errorf("source now H.264: %d transcoders live", f.Live())
	}
	// And to VP9: a transcoder from VP9.
	src.SetCodec(media.Video, vp9)
	if f.Live() != 1 || f.All()[f.Made()-1].From() != vp9 {
		t.Errorf("source now VP9: %d transcoders live", f.Live())
	}
	src.Release()
	if f.Live() != 0 {
		t.Error("transcoder outlived its source element")
	}
}

// TestTranscodingThroughForwarders: a PassThrough emits the codec that
// reaches it; a format forced on it makes its input transcoded.
func TestTranscodingThroughForwarders(t *testing.T) {
	f := &mediatest.Transcoders{}
	g := newTranscodingGraph(t, f)
	src, pt := g.source(), g.passThrough()
	src.SetCodec(media.Video, mediatest.VP8)
	vp8Sink, h264Sink := g.codecSink(mediatest.VP8), g.codecSink(h264)
	g.connect(src, pt, media.Video, def, def)
	g.connect(pt, vp8Sink, media.Video, def, def)
	g.connect(pt, h264Sink, media.Video, def, def)
	if f.Live() != 1 || f.All()[0].Input().Feed() != pt.Core().Source(media.Video) {
		t.Fatal("the PassThrough's output is not what is transcoded")
	}
	s := mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	src.Push(media.Video, s.Next([]byte{1}))
	if vp8Sink.Count() != 1 || h264Sink.Count() != 1 {
		t.Fatalf("received %d/%d", vp8Sink.Count(), h264Sink.Count())
	}

	// Forcing H.264 on the PassThrough: its input is transcoded, its
	// output is H.264, the H.264 sink is fed directly, the VP8 one through
	// a second transcoder (H.264 → VP8).
	pt.Core().SetFormat(media.Video, &media.Format{Codec: h264})
	if h264Sink.Core().Sink(media.Video).Feed() != pt.Core().Source(media.Video) {
		t.Error("H.264 sink not fed directly by the PassThrough")
	}
	if got := lastCodec(t, g, vp8Sink); got != mediatest.VP8 {
		t.Errorf("VP8 sink fed %v", got)
	}
	if f.Live() != 2 {
		t.Errorf("%d transcoders, want 2 (VP8 → H.264 at the PassThrough's input, H.264 → VP8 at its output)", f.Live())
	}
	src.Push(media.Video, s.Next([]byte{2}))
	if vp8Sink.Count() != 2 || h264Sink.Count() != 2 {
		t.Errorf("received %d/%d", vp8Sink.Count(), h264Sink.Count())
	}
	pt.Core().SetFormat(media.Video, nil)
	if f.Live() != 1 {
		t.Errorf("%d transcoders after the format was lifted, want 1", f.Live())
	}
}

func TestNoTranscoderAvailable(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    *mediatest.Transcoders
	}{
		{"codec not encodable", &mediatest.Transcoders{Refuse: []string{"audio/PCMU"}}},
		{"transcoder fails to start", &mediatest.Transcoders{Fail: true}},
		{"no factory", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g *graph
			if tc.f != nil {
				g = newTranscodingGraph(t, tc.f)
			} else {
				g = newGraph(t)
			}
			src := g.source()
			src.SetCodec(media.Audio, mediatest.Opus)
			sink := g.sink(mediatest.SinkOptions{Codecs: []*media.Codec{pcmu}})
			g.connect(src, sink, media.Audio, def, def)
			g.events[src].Wait(t, 10*time.Second, func(evs []media.Event) bool {
				for _, e := range evs {
					if ee, ok := e.(media.ErrorEvent); ok && (errors.Is(ee.Err, media.ErrNoTranscoder) || tc.f != nil && tc.f.Fail) {
						return true
					}
				}
				return false
			}, "an error event")
			s := mediatest.Stream{SSRC: 1, Step: 960, Codec: mediatest.Opus}
			src.Push(media.Audio, s.Next([]byte{1}))
			if sink.Count() != 0 {
				t.Error("a sink that cannot decode the source's codec got its packets")
			}
		})
	}
}

// TestForcedFormat: setVideoFormat/setAudioFormat choose among the codecs
// a sink takes; the transcoder's output carries the format's rates.
func TestForcedFormat(t *testing.T) {
	f := &mediatest.Transcoders{}
	g := newTranscodingGraph(t, f)
	src := g.source()
	src.SetCodec(media.Video, mediatest.VP8)
	sink := g.codecSink(mediatest.VP8, h264)
	sink.Core().SetFormat(media.Video, &media.Format{Codec: h264, FramerateNum: 15, FramerateDen: 1})
	g.connect(src, sink, media.Video, def, def)
	if got := lastCodec(t, g, sink); got != h264 {
		t.Fatalf("fed %v, want H.264", got)
	}
	sink.Core().SetFormat(media.Video, nil)
	if sink.Core().Sink(media.Video).Feed() != src.Core().Source(media.Video) || f.Live() != 0 {
		t.Error("format lifted: not back on the direct path")
	}
}
