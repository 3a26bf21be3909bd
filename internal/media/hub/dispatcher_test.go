package hub_test

import (
	"errors"
	"testing"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/hub"
	"github.com/gorento/gorento/internal/media/mediatest"
)

const def = media.DefaultPad

var h264 = &media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"}

// rig is a pipeline with, per port, a source feeding it and a sink it feeds.
type rig struct {
	t     *testing.T
	p     *media.Pipeline
	srcs  []*mediatest.Source
	sinks []*mediatest.Sink
	ports []*hub.Port
}

func newRig(t *testing.T, opts ...media.PipelineOption) *rig {
	r := &rig{t: t, p: media.NewPipeline(opts...)}
	t.Cleanup(r.p.Release)
	return r
}

// port adds a port of h with its own source and sink.
func (r *rig) port(h *hub.Hub, sink mediatest.SinkOptions) int {
	r.t.Helper()
	p, err := hub.NewPort(h, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	src, err := mediatest.NewSource(r.p, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	snk, err := mediatest.NewSink(r.p, sink, nil)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if err := media.Connect(src, p, mt, def, def); err != nil {
			r.t.Fatal(err)
		}
		if err := media.Connect(p, snk, mt, def, def); err != nil {
			r.t.Fatal(err)
		}
	}
	r.srcs, r.sinks, r.ports = append(r.srcs, src), append(r.sinks, snk), append(r.ports, p)
	return len(r.ports) - 1
}

// send pushes one video packet from port i's source, its payload the port's number.
func (r *rig) send(i int) {
	s := mediatest.Stream{SSRC: uint32(100 + i), Step: 3000, Codec: mediatest.VP8}
	r.srcs[i].Push(media.Video, s.Next([]byte{byte(i)}))
}

// got returns the payloads (source port numbers) sink i received.
func (r *rig) got(i int) []int {
	var out []int
	for _, rc := range r.sinks[i].Received() {
		out = append(out, int(rc.Payload[0]))
	}
	return out
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDispatcherRoutesIndependently(t *testing.T) {
	r := newRig(t)
	d := hub.NewDispatcher(r.p)
	for i := 0; i < 4; i++ {
		r.port(d.Hub, mediatest.SinkOptions{})
	}
	if err := d.Connect(r.ports[0], r.ports[1]); err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(r.ports[2], r.ports[3]); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		r.send(i)
	}
	for i, want := range [][]int{nil, {0}, nil, {2}} {
		if got := r.got(i); !equal(got, want) {
			t.Errorf("sink %d got from ports %v, want %v", i, got, want)
		}
	}
	// A keyframe asked by B's receiver reaches A's source only.
	before := [4]int64{}
	for i := range before {
		before[i] = r.srcs[i].KeyframeRequests(media.Video)
	}
	r.sinks[1].Core().Sink(media.Video).RequestKeyframe()
	if r.srcs[0].KeyframeRequests(media.Video) != before[0]+1 || r.srcs[2].KeyframeRequests(media.Video) != before[2] {
		t.Error("B's keyframe request did not go to A alone")
	}
	// B switches to C: C's source is asked for a keyframe.
	before[2] = r.srcs[2].KeyframeRequests(media.Video)
	if err := d.Connect(r.ports[2], r.ports[1]); err != nil {
		t.Fatal(err)
	}
	if r.srcs[2].KeyframeRequests(media.Video) <= before[2] {
		t.Error("the new source was not asked for a keyframe")
	}
	r.send(0)
	r.send(2)
	if got := r.got(1); !equal(got, []int{0, 2}) {
		t.Errorf("after the switch B got %v", got)
	}
	// Ports of another hub are refused.
	other := hub.NewDispatcher(r.p)
	q, err := hub.NewPort(other.Hub, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Connect(q, r.ports[0]); !errors.Is(err, hub.ErrOtherHub) {
		t.Errorf("connect to another hub's port: %v", err)
	}
}

func TestDispatcherOneToMany(t *testing.T) {
	r := newRig(t)
	d := hub.NewDispatcherOneToMany(r.p)
	for i := 0; i < 3; i++ {
		r.port(d.Hub, mediatest.SinkOptions{})
	}
	if err := d.SetSource(r.ports[0]); err != nil {
		t.Fatal(err)
	}
	r.send(0)
	r.send(1)
	for i := 0; i < 3; i++ {
		if got := r.got(i); !equal(got, []int{0}) {
			t.Errorf("sink %d got %v, want port 0's", i, got)
		}
	}
	// A port added later gets the source too.
	late := r.port(d.Hub, mediatest.SinkOptions{})
	r.send(0)
	if got := r.got(late); !equal(got, []int{0}) {
		t.Errorf("late port got %v", got)
	}
	// Switch: the new source is asked for a keyframe, everyone follows.
	kf := r.srcs[1].KeyframeRequests(media.Video)
	if err := d.SetSource(r.ports[1]); err != nil {
		t.Fatal(err)
	}
	if r.srcs[1].KeyframeRequests(media.Video) <= kf {
		t.Error("the new source was not asked for a keyframe")
	}
	r.send(0)
	r.send(1)
	for i := 0; i < 4; i++ {
		if got := r.got(i); got[len(got)-1] != 1 || len(got) != 3-boolInt(i == late) {
			t.Errorf("sink %d got %v after the switch", i, got)
		}
	}
	// The source leaves: nothing is dispatched any more.
	r.ports[1].Release()
	if d.Source() != nil {
		t.Error("a released port is still the source")
	}
	n := r.sinks[0].Count()
	r.send(0)
	r.send(1)
	if r.sinks[0].Count() != n {
		t.Error("media dispatched without a source")
	}
	if err := d.SetSource(r.ports[1]); !errors.Is(err, media.ErrReleased) {
		t.Errorf("a released port as source: %v", err)
	}
	d.RemoveSource()
	d.Release()
	if len(d.Ports()) != 0 {
		t.Error("ports outlived their hub")
	}
	if _, err := hub.NewPort(d.Hub, nil); !errors.Is(err, hub.ErrReleased) {
		t.Errorf("port of a released hub: %v", err)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDispatchedCodecIsTranscoded: a port emits its source's codec, so a
// receiver that cannot take it gets a transcoder at the port's output.
func TestDispatchedCodecIsTranscoded(t *testing.T) {
	f := &mediatest.Transcoders{}
	r := newRig(t, media.WithTranscoders(f))
	d := hub.NewDispatcher(r.p)
	a := r.port(d.Hub, mediatest.SinkOptions{})
	b := r.port(d.Hub, mediatest.SinkOptions{Codecs: []*media.Codec{h264}})
	r.srcs[a].SetCodec(media.Video, mediatest.VP8)
	if err := d.Connect(r.ports[a], r.ports[b]); err != nil {
		t.Fatal(err)
	}
	if f.Live() != 1 || r.sinks[b].Core().Sink(media.Video).Feed() == r.ports[b].Core().Source(media.Video) {
		t.Fatalf("%d transcoders; B's receiver fed directly", f.Live())
	}
	r.send(a)
	if r.sinks[b].Count() != 1 {
		t.Errorf("B's H.264 receiver got %d packets", r.sinks[b].Count())
	}
	// The source turns H.264: no transcoder any more.
	r.srcs[a].SetCodec(media.Video, h264)
	if f.Live() != 0 {
		t.Errorf("%d transcoders after the source turned H.264", f.Live())
	}
}

func TestDispatchAllocatesNothing(t *testing.T) {
	r := newRig(t)
	d := hub.NewDispatcherOneToMany(r.p)
	src, err := mediatest.NewSource(r.p, nil)
	if err != nil {
		t.Fatal(err)
	}
	var counters []*mediatest.Counter
	for i := 0; i < 3; i++ {
		p, err := hub.NewPort(d.Hub, nil)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := media.Connect(src, p, media.Video, def, def); err != nil {
				t.Fatal(err)
			}
			if err := d.SetSource(p); err != nil {
				t.Fatal(err)
			}
		}
		c, err := mediatest.NewCounter(r.p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := media.Connect(p, c, media.Video, def, def); err != nil {
			t.Fatal(err)
		}
		counters = append(counters, c)
	}
	s := mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	pkt := s.Next(mediatest.VP8Payload(false, 1000))
	if n := testing.AllocsPerRun(1000, func() { src.Push(media.Video, pkt) }); n != 0 {
		t.Errorf("%.1f allocations per dispatched packet", n)
	}
	for i, c := range counters {
		if c.Count() < 1000 {
			t.Errorf("port %d's receiver counted %d", i, c.Count())
		}
	}
}
