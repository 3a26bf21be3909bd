package rtpep

import (
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// rig is a pipeline with one endpoint, a Source feeding its sink pads and
// a Counter behind its source pads.
type rig struct {
	pipe    *media.Pipeline
	ep      *Endpoint
	src     *mediatest.Source
	counter *mediatest.Counter
	events  *mediatest.Events
}

func testEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newRig(t testing.TB, e *Engine, opts Options) *rig {
	t.Helper()
	r := &rig{pipe: media.NewPipeline(), events: mediatest.NewEvents()}
	t.Cleanup(r.pipe.Release)
	var err error
	if r.ep, err = New(r.pipe, e, opts, r.events.Handler()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.ep.Release)
	if r.src, err = mediatest.NewSource(r.pipe, nil); err != nil {
		t.Fatal(err)
	}
	if r.counter, err = mediatest.NewCounter(r.pipe, nil); err != nil {
		t.Fatal(err)
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if err := media.Connect(r.src, r.ep, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
		if err := media.Connect(r.ep, r.counter, mt, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

var (
	vp8  = &media.Codec{MimeType: "video/VP8", ClockRate: 90000}
	opus = &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2}
)

// send pushes n VP8 and n Opus packets into the rig's endpoint.
func (r *rig) send(n int) {
	v := mediatest.Stream{SSRC: 1, Seq: 100, Step: 3000, Codec: vp8}
	a := mediatest.Stream{SSRC: 2, Seq: 200, Step: 960, Codec: opus}
	for i := 0; i < n; i++ {
		r.src.Push(media.Video, v.Next(mediatest.VP8Payload(i == 0, 200)))
		r.src.Push(media.Audio, a.Next([]byte{0xfc, 1, 2, 3}))
	}
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pair negotiates a (offerer) with b (answerer); edit may change the SDPs.
func pair(t testing.TB, a, b *Endpoint, edit func(offer string) string) {
	t.Helper()
	offer, err := a.GenerateOffer(OfferOptions{OfferToReceiveAudio: true, OfferToReceiveVideo: true})
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		offer = edit(offer)
	}
	answer, err := b.ProcessOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.ProcessAnswer(answer); err != nil {
		t.Fatal(err)
	}
}
