package webrtcep

import (
	"sync"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

type seqWriter struct {
	mu   sync.Mutex
	seqs []uint16
}

func (w *seqWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.mu.Lock()
	w.seqs = append(w.seqs, h.SequenceNumber)
	w.mu.Unlock()
	return len(payload), nil
}

func (w *seqWriter) Write(b []byte) (int, error) { return len(b), nil }

// A source replaced while packets of the old one are still in flight (a
// filter taken out of a room while its output drains): the one-shot
// re-anchor of SourceChanged is spent on a late packet of the old source,
// and the new source's packets must still continue the output stream —
// the egress tells sources apart by their own SSRC. Before, it compared
// the SSRC it had already overwritten, so the output sequence numbers
// jumped to the new source's and the receiver dropped them (SRTP replays).
func TestEgressContinuesAcrossSourcesBySSRC(t *testing.T) {
	eng := newEngine(t)
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	src, err := media.NewPassThrough(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := New(p, eng, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := &seqWriter{}
	codec := webrtc.RTPCodecParameters{PayloadType: 100, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}
	if _, err := ep.tracks[media.Video].Bind(&fakeBinding{ssrc: 1000, codecs: []webrtc.RTPCodecParameters{codec}, out: out}); err != nil {
		t.Fatal(err)
	}
	if err := media.Connect(src, ep, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	pad := src.Core().Source(media.Video)
	send := func(ssrc uint32, seq uint16, n int) {
		for i := 0; i < n; i++ {
			pad.Push(&media.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: ssrc, SequenceNumber: seq + uint16(i), Timestamp: 3000 * uint32(i)},
				Payload: make([]byte, 100), Codec: vp8})
		}
	}
	send(42, 100, 10)
	ep.tracks[media.Video].reanchor() // the source changed…
	send(42, 110, 1)                  // …but a packet of the old one arrives first
	send(77, 50000, 10)               // the new source
	out.mu.Lock()
	defer out.mu.Unlock()
	for i := 1; i < len(out.seqs); i++ {
		if out.seqs[i] != out.seqs[i-1]+1 {
			t.Fatalf("output sequence numbers jump at %d: %v", i, out.seqs)
		}
	}
	if len(out.seqs) != 21 {
		t.Fatalf("%d packets out, want 21", len(out.seqs))
	}
}
