package egress

import (
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// callWriter records each WriteRTCP call's sender reports' SSRCs.
type callWriter struct {
	mu    sync.Mutex
	calls [][]uint32
}

func (w *callWriter) WriteRTCP(pkts []rtcp.Packet) error {
	var ssrcs []uint32
	for _, p := range pkts {
		if sr, ok := p.(*rtcp.SenderReport); ok {
			ssrcs = append(ssrcs, sr.SSRC)
		}
	}
	w.mu.Lock()
	w.calls = append(w.calls, ssrcs)
	w.mu.Unlock()
	return nil
}

// TestSenderReportsCompound: the sender reports of a transport's tracks
// leave together, one compound packet per interval.
func TestSenderReportsCompound(t *testing.T) {
	r := &holdRig{out: &recWriter{}}
	r.now.Store(1)
	out := &callWriter{}
	r.s = newScheduler(Config{Workers: 1, Now: r.now.Load, SenderReportInterval: 100 * time.Millisecond}, quiet(), false)
	r.w = r.s.workers[0]
	tr := r.s.NewTransport(TransportParams{RTCP: out})
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	var srcs []*source
	for i, kind := range []media.MediaType{media.Video, media.Audio} {
		d := tr.AddTrack(TrackParams{Kind: kind})
		d.Bind(Binding{SSRC: uint32(10 + i), Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 100}}, Writer: r.out})
		src := newSource(t, p)
		e := &enqueuer{d: d}
		if err := media.Connect(src.elem, e.elem(t, p), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, src)
	}
	r.w.runOps()
	for round := 0; round < 3; round++ {
		for _, src := range srcs {
			r.push(t, src, 1, true, mediatest.VP8)
		}
		r.w.drain()
		r.now.Add(int64(150 * time.Millisecond))
		r.w.tick(r.now.Load())
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if len(out.calls) != 3 {
		t.Fatalf("%d RTCP writes for 3 intervals, want 3: %v", len(out.calls), out.calls)
	}
	for _, c := range out.calls {
		if len(c) != 2 || c[0] != 10 || c[1] != 11 {
			t.Errorf("a write carried the reports of %v, want both tracks [10 11]", c)
		}
	}
}
