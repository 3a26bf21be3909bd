package media_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// graph is a pipeline on a fake clock with an event recorder per element.
type graph struct {
	t      *testing.T
	clock  *mediatest.Clock
	p      *media.Pipeline
	events map[media.Element]*mediatest.Events
}

func newGraph(t *testing.T) *graph {
	g := &graph{t: t, clock: mediatest.NewClock(), events: map[media.Element]*mediatest.Events{}}
	g.p = media.NewPipeline(media.WithClock(g.clock))
	t.Cleanup(g.p.Release)
	return g
}

// add creates an element with an event recorder of its own.
func add[E media.Element](g *graph, create func(media.EventHandler) (E, error)) E {
	ev := mediatest.NewEvents()
	e, err := create(ev.Handler())
	if err != nil {
		g.t.Fatal(err)
	}
	g.events[e] = ev
	return e
}

func (g *graph) source() *mediatest.Source {
	return add(g, func(h media.EventHandler) (*mediatest.Source, error) { return mediatest.NewSource(g.p, h) })
}

func (g *graph) sink(opts mediatest.SinkOptions) *mediatest.Sink {
	return add(g, func(h media.EventHandler) (*mediatest.Sink, error) { return mediatest.NewSink(g.p, opts, h) })
}

func (g *graph) passThrough() *media.PassThrough {
	return add(g, func(h media.EventHandler) (*media.PassThrough, error) { return media.NewPassThrough(g.p, h) })
}

func (g *graph) connect(src, sink media.Element, mt media.MediaType, srcDesc, sinkDesc string) {
	g.t.Helper()
	if err := media.Connect(src, sink, mt, srcDesc, sinkDesc); err != nil {
		g.t.Fatalf("connect %v: %v", mt, err)
	}
}

const def = media.DefaultPad

func TestConnectPerMediaTypeAndDescription(t *testing.T) {
	tests := []struct {
		name              string
		mt                media.MediaType
		srcDesc, sinkDesc string
	}{
		{"audio", media.Audio, def, def},
		{"video", media.Video, def, def},
		{"data", media.Data, def, def},
		{"video, named source pad", media.Video, "screen", def},
		{"audio, named sink pad", media.Audio, def, "mic"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newGraph(t)
			src, sink := g.source(), g.sink(mediatest.SinkOptions{})
			g.connect(src, sink, tc.mt, tc.srcDesc, tc.sinkDesc)
			want := media.Connection{Source: src, Sink: sink, MediaType: tc.mt, SourceDesc: tc.srcDesc, SinkDesc: tc.sinkDesc}
			if got := src.Core().SinkConnections(media.ConnectionFilter{}); len(got) != 1 || got[0] != want {
				t.Errorf("source's sink connections = %v, want %v", got, want)
			}
			if got := sink.Core().SourceConnections(media.ConnectionFilter{MediaType: &tc.mt, Desc: tc.sinkDesc}); len(got) != 1 || got[0] != want {
				t.Errorf("sink's source connections = %v", got)
			}
			other := (tc.mt + 1) % 3
			if got := sink.Core().SourceConnections(media.ConnectionFilter{MediaType: &other}); len(got) != 0 {
				t.Errorf("connections of another media type: %v", got)
			}
			g.events[src].WaitFor(t, media.ElementConnected{Sink: sink, MediaType: tc.mt, SourceDesc: tc.srcDesc, SinkDesc: tc.sinkDesc}, 10*time.Second)

			// Media flows on the connected pads only.
			s := mediatest.Stream{SSRC: 1, Codec: mediatest.VP8, Step: 3000}
			src.Core().SourcePad(tc.mt, tc.srcDesc).Push(s.Next([]byte{1}))
			src.Core().SourcePad(other, tc.srcDesc).Push(s.Next([]byte{2}))
			got := sink.Received()
			if len(got) != 1 || got[0].MediaType != tc.mt || got[0].Pad != tc.sinkDesc || got[0].Payload[0] != 1 {
				t.Fatalf("received %+v", got)
			}

			if err := media.Disconnect(src, sink, tc.mt, tc.srcDesc, tc.sinkDesc); err != nil {
				t.Fatal(err)
			}
			g.events[src].WaitFor(t, media.ElementDisconnected{Sink: sink, MediaType: tc.mt, SourceDesc: tc.srcDesc, SinkDesc: tc.sinkDesc}, 10*time.Second)
			if err := media.Disconnect(src, sink, tc.mt, tc.srcDesc, tc.sinkDesc); !errors.Is(err, media.ErrNotConnected) {
				t.Errorf("second disconnect: %v", err)
			}
			if sink.SourceChanges() != 2 {
				t.Errorf("sink told of %d source changes, want 2", sink.SourceChanges())
			}
		})
	}
}

// TestSourceReplacement: a sink pad has one source; a new connection
// replaces the old one and the output continues without a jump.
func TestSourceReplacement(t *testing.T) {
	g := newGraph(t)
	a, b := g.source(), g.source()
	sink := g.sink(mediatest.SinkOptions{Rewrite: true})
	g.connect(a, sink, media.Video, def, def)
	sa := mediatest.Stream{SSRC: 10, Seq: 65530, Timestamp: 1000, Step: 3000, Codec: mediatest.VP8}
	for i := 0; i < 4; i++ {
		a.Push(media.Video, sa.Next(mediatest.VP8Payload(i == 0, 100)))
	}
	g.connect(b, sink, media.Video, def, def)
	g.events[a].WaitFor(t, media.ElementDisconnected{Sink: sink, MediaType: media.Video, SourceDesc: def, SinkDesc: def}, 10*time.Second)
	g.events[b].WaitFor(t, media.ElementConnected{Sink: sink, MediaType: media.Video, SourceDesc: def, SinkDesc: def}, 10*time.Second)
	if got := a.Core().SinkConnections(media.ConnectionFilter{}); len(got) != 0 {
		t.Errorf("the replaced source still feeds %v", got)
	}
	a.Push(media.Video, sa.Next(mediatest.VP8Payload(false, 100))) // no longer connected
	g.clock.Advance(40 * time.Millisecond)
	sb := mediatest.Stream{SSRC: 20, Seq: 7, Timestamp: 5, Step: 3000, Codec: mediatest.VP8}
	for i := 0; i < 3; i++ {
		b.Push(media.Video, sb.Next(mediatest.VP8Payload(i == 0, 100)))
	}
	got := sink.Received()
	if len(got) != 7 {
		t.Fatalf("received %d packets, want 4 + 3", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Out.SequenceNumber != got[i-1].Out.SequenceNumber+1 {
			t.Errorf("packet %d: sequence %d after %d", i, got[i].Out.SequenceNumber, got[i-1].Out.SequenceNumber)
		}
		if got[i].Out.Timestamp-got[i-1].Out.Timestamp > 90000 {
			t.Errorf("packet %d: timestamp jumps from %d to %d", i, got[i-1].Out.Timestamp, got[i].Out.Timestamp)
		}
	}
	if gap := got[4].Out.Timestamp - got[3].Out.Timestamp; gap != 3600 { // 40 ms at 90 kHz
		t.Errorf("timestamp advanced %d across the switch, want the 40 ms gap (3600)", gap)
	}
	if b.KeyframeRequests(media.Video) != 0 {
		t.Errorf("a mediatest sink asks for no keyframes, yet %d were requested", b.KeyframeRequests(media.Video))
	}
}

func TestLoopRefused(t *testing.T) {
	g := newGraph(t)
	p1, p2, p3 := g.passThrough(), g.passThrough(), g.passThrough()
	g.connect(p1, p2, media.Video, def, def)
	g.connect(p2, p3, media.Video, def, def)
	for _, tc := range []struct {
		name       string
		src, sink  media.Element
		mt         media.MediaType
		wantRefuse bool
	}{
		{"closing a cycle", p3, p1, media.Video, true},
		{"a cycle through another media type", p3, p1, media.Audio, true},
		{"onto itself", p2, p2, media.Video, true},
		{"a diamond is no cycle", p1, p3, media.Video, false},
	} {
		err := media.Connect(tc.src, tc.sink, tc.mt, def, def)
		if refused := errors.Is(err, media.ErrConnectionLoop); refused != tc.wantRefuse {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	// An element that does not forward may feed itself (a loopback endpoint),
	// also through forwarding elements, whichever link is made first (the
	// magic mirror's endpoint → filter → endpoint, built backwards).
	src := g.source()
	g.connect(src, src, media.Video, def, def)
	mirror, filter := g.source(), g.passThrough()
	g.connect(filter, mirror, media.Video, def, def)
	g.connect(mirror, filter, media.Video, def, def)
}

func TestDetachOnRelease(t *testing.T) {
	g := newGraph(t)
	src, pt, sink := g.source(), g.passThrough(), g.sink(mediatest.SinkOptions{})
	g.connect(src, pt, media.Audio, def, def)
	g.connect(pt, sink, media.Audio, def, def)
	s := mediatest.Stream{SSRC: 1, Step: 960, Codec: mediatest.Opus}
	src.Push(media.Audio, s.Next([]byte{1}))
	if sink.Count() != 1 {
		t.Fatalf("through the PassThrough: %d packets", sink.Count())
	}
	if n := g.p.Elements(); n != 3 {
		t.Fatalf("%d elements", n)
	}

	pt.Release()
	pt.Release() // idempotent
	g.events[src].WaitFor(t, media.ElementDisconnected{Sink: pt, MediaType: media.Audio, SourceDesc: def, SinkDesc: def}, 10*time.Second)
	if sink.SourceChanges() != 2 { // connected, then lost its source
		t.Errorf("sink told of %d source changes, want 2", sink.SourceChanges())
	}
	if got := sink.Core().SourceConnections(media.ConnectionFilter{}); len(got) != 0 {
		t.Errorf("sink still fed by %v", got)
	}
	src.Push(media.Audio, s.Next([]byte{2}))
	if sink.Count() != 1 {
		t.Error("media reached the sink through a released element")
	}
	if n := g.p.Elements(); n != 2 {
		t.Errorf("%d elements after release, want 2", n)
	}
	if err := media.Connect(src, pt, media.Audio, def, def); !errors.Is(err, media.ErrReleased) {
		t.Errorf("connect to a released element: %v", err)
	}
	if _, err := mediatest.NewSource(func() *media.Pipeline { p := media.NewPipeline(); p.Release(); return p }(), nil); !errors.Is(err, media.ErrReleased) {
		t.Errorf("element in a released pipeline: %v", err)
	}
}

func TestOtherPipeline(t *testing.T) {
	g1, g2 := newGraph(t), newGraph(t)
	a, b := g1.source(), g2.sink(mediatest.SinkOptions{})
	if err := media.Connect(a, b, media.Video, def, def); !errors.Is(err, media.ErrOtherPipeline) {
		t.Errorf("connect: %v", err)
	}
	if err := media.Disconnect(a, b, media.Video, def, def); !errors.Is(err, media.ErrOtherPipeline) {
		t.Errorf("disconnect: %v", err)
	}
}

// TestFlowEvents: pads report media starting and, two seconds of silence
// later, stopping, on the pipeline's clock.
func TestFlowEvents(t *testing.T) {
	g := newGraph(t)
	src, sink := g.source(), g.sink(mediatest.SinkOptions{})
	g.connect(src, sink, media.Video, def, "cam")
	s := mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	src.Push(media.Video, s.Next([]byte{1}))
	if !sink.Core().IsFlowingIn(media.Video, "cam") || !src.Core().IsFlowingOut(media.Video, def) {
		t.Error("not flowing right after a packet")
	}
	g.clock.Advance(500 * time.Millisecond)
	g.events[src].WaitFor(t, media.MediaFlowOut{Flowing: true, Pad: def, MediaType: media.Video}, 10*time.Second)
	g.events[sink].WaitFor(t, media.MediaFlowIn{Flowing: true, Pad: "cam", MediaType: media.Video}, 10*time.Second)

	g.clock.Advance(2 * time.Second)
	g.events[src].WaitFor(t, media.MediaFlowOut{Flowing: false, Pad: def, MediaType: media.Video}, 10*time.Second)
	g.events[sink].WaitFor(t, media.MediaFlowIn{Flowing: false, Pad: "cam", MediaType: media.Video}, 10*time.Second)
	if sink.Core().IsFlowingIn(media.Video, "cam") {
		t.Error("still flowing after two silent seconds")
	}
	for _, ev := range g.events[sink].All() {
		if f, ok := ev.(media.MediaFlowIn); ok && f.MediaType != media.Video {
			t.Errorf("flow event of a pad that saw no media: %+v", f)
		}
	}
}

// TestKeyframesAndEstimatesCrossForwarders: keyframe requests travel
// upstream and bitrate estimates come back through forwarding elements.
func TestKeyframesAndEstimatesCrossForwarders(t *testing.T) {
	g := newGraph(t)
	src, pt := g.source(), g.passThrough()
	slow, fast := g.sink(mediatest.SinkOptions{Estimate: 300_000}), g.sink(mediatest.SinkOptions{Estimate: 2_000_000})
	g.connect(src, pt, media.Video, def, def)
	g.connect(pt, slow, media.Video, def, def)
	g.connect(pt, fast, media.Video, def, def)
	if got := src.Core().Source(media.Video).DownstreamBitrate(); got != 300_000 {
		t.Errorf("downstream estimate %d, want the lowest (300000)", got)
	}
	before := src.KeyframeRequests(media.Video)
	fast.Core().Sink(media.Video).RequestKeyframe()
	if src.KeyframeRequests(media.Video) != before+1 {
		t.Error("keyframe request did not reach the source")
	}
}
