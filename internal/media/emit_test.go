package media_test

import (
	"sync"
	"testing"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// TestEventHandlerCallsBack: a handler may call back into the graph, and
// the events its calls raise follow the one being handled, in order.
func TestEventHandlerCallsBack(t *testing.T) {
	p := media.NewPipeline(media.WithClock(mediatest.NewClock()))
	defer p.Release()
	var mu sync.Mutex
	var got []media.Event
	var src *mediatest.Source
	var sinks []*mediatest.Sink
	handler := func(e media.Event) {
		mu.Lock()
		got = append(got, e)
		mu.Unlock()
		c, ok := e.(media.ElementConnected)
		if !ok || c.MediaType != media.Audio {
			return
		}
		// Re-entrant: inspect the graph and connect more, from the handler.
		_ = src.Core().SinkConnections(media.ConnectionFilter{})
		if err := media.Connect(src, c.Sink, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
			t.Error(err)
		}
	}
	var err error
	if src, err = mediatest.NewSource(p, handler); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		s, err := mediatest.NewSink(p, mediatest.SinkOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		sinks = append(sinks, s)
		if err := media.Connect(src, s, media.Audio, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	want := []media.Event{}
	for _, s := range sinks {
		want = append(want,
			media.ElementConnected{Sink: s, MediaType: media.Audio, SourceDesc: media.DefaultPad, SinkDesc: media.DefaultPad},
			media.ElementConnected{Sink: s, MediaType: media.Video, SourceDesc: media.DefaultPad, SinkDesc: media.DefaultPad})
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %v, want %v", i, got[i], want[i])
		}
	}
}
