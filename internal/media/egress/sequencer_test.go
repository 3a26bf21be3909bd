package egress

import (
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// source is a video source pad whose history the tests fill.
type source struct {
	elem media.Element
	pad  *media.SourcePad
	seq  uint16
	ssrc uint32 // 0: 5
}

func newSource(t *testing.T, p *media.Pipeline) *source {
	t.Helper()
	src, err := mediatest.NewSource(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := mediatest.NewCounter(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := media.Connect(src, sink, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	return &source{elem: src, pad: src.Core().Source(media.Video), seq: 1000}
}

// push sends one packet whose payload's first byte is tag; it returns
// the packet's history and extended sequence number.
func (s *source) push(t *testing.T, tag byte) (*media.SourceRing, uint64) {
	t.Helper()
	s.seq++
	b := media.GetPacketBuf()
	h := rtp.Header{Version: 2, SequenceNumber: s.seq, Timestamp: uint32(s.seq) * 10, SSRC: 5}
	n, _ := h.MarshalTo(b.Data())
	b.Data()[n] = tag
	if !b.ParseRTP(n + 1) {
		t.Fatal("parse")
	}
	b.Packet().Codec = mediatest.VP8
	ring := s.pad.History()
	s.pad.PushBuf(b)
	return ring, ring.Head()
}

func TestSequencerResend(t *testing.T) {
	p := media.NewPipeline()
	defer p.Release()
	a, b := newSource(t, p), newSource(t, p)
	var s Sequencer
	ms := int64(time.Millisecond)
	// Output 100..102 from source a, then a switch to b for 103.
	for i, tag := range []byte{'x', 'y', 'z'} {
		r, ext := a.push(t, tag)
		s.Record(uint16(100+i), r, ext, 7)
	}
	r, ext := b.push(t, 'B')
	s.Record(103, r, ext, 9)
	s.Record(104, nil, 0, 0) // a packet without history

	check := func(seq uint16, now int64, want byte, wantDelta uint32) {
		t.Helper()
		got, ok := s.Lookup(seq, now, DefaultResendGap, DefaultResendBudget)
		if want == 0 {
			if ok {
				got.Buf.Release()
				t.Errorf("seq %d resent, want not", seq)
			}
			return
		}
		if !ok {
			t.Fatalf("seq %d not resendable", seq)
		}
		defer got.Buf.Release()
		if tag := got.Buf.Packet().Payload[0]; tag != want || got.TSDelta != wantDelta {
			t.Errorf("seq %d: payload %q delta %d, want %q %d", seq, tag, got.TSDelta, want, wantDelta)
		}
	}
	check(101, 1000*ms, 'y', 7)
	check(103, 1000*ms, 'B', 9) // from the new source's history
	check(101, 1005*ms, 0, 0)   // within the resend gap
	check(101, 1011*ms, 'y', 7) // after it
	check(104, 1011*ms, 0, 0)   // never kept
	check(99, 1011*ms, 0, 0)    // never sent
	check(100+sequencerSize, 1011*ms, 0, 0)
}

func TestSequencerBudget(t *testing.T) {
	p := media.NewPipeline()
	defer p.Release()
	a := newSource(t, p)
	var s Sequencer
	for i := 0; i < 10; i++ {
		r, ext := a.push(t, byte(i))
		s.Record(uint16(i), r, ext, 0)
	}
	resent := 0
	for i := 0; i < 10; i++ {
		if got, ok := s.Lookup(uint16(i), int64(time.Second), 0, 4); ok {
			resent++
			got.Buf.Release()
		}
	}
	if resent != 4 {
		t.Errorf("%d resends within a budget of 4", resent)
	}
	if got, ok := s.Lookup(7, 2*int64(time.Second), 0, 4); !ok {
		t.Error("the budget did not renew after a second")
	} else {
		got.Buf.Release()
	}
}

// TestSequencerOldSources: after more source switches than it remembers,
// an old entry finds nothing (never another source's packet).
func TestSequencerOldSources(t *testing.T) {
	p := media.NewPipeline()
	defer p.Release()
	var s Sequencer
	first := newSource(t, p)
	r, ext := first.push(t, 'F')
	s.Record(1, r, ext, 0)
	for i := 0; i < 4; i++ {
		src := newSource(t, p)
		src.seq = first.seq - 1 // same numbers as the first source
		r, ext := src.push(t, 'N')
		s.Record(uint16(10+i), r, ext, 0)
	}
	if got, ok := s.Lookup(1, 0, 0, 100); ok {
		t.Errorf("entry of a forgotten source resent %q", got.Buf.Packet().Payload[0])
		got.Buf.Release()
	}
}

func TestNACKed(t *testing.T) {
	var got []uint16
	NACKed(65534, 0b101, func(s uint16) { got = append(got, s) })
	if len(got) != 3 || got[0] != 65534 || got[1] != 65535 || got[2] != 1 {
		t.Errorf("NACKed = %v", got)
	}
}
