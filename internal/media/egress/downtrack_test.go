package egress

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/srtpx"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/internal/udpx"
)

// sent is one packet a fake writer got.
type sent struct {
	hdr     rtp.Header
	payload []byte
}

// recWriter records what a downtrack writes (and the RTCP it sends).
type recWriter struct {
	mu   sync.Mutex
	pkts []sent
	rtcp []rtcp.Packet
}

func (w *recWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pkts = append(w.pkts, sent{h.Clone(), append([]byte(nil), payload...)})
	return len(payload), nil
}

func (w *recWriter) WriteRTCP(p []rtcp.Packet) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rtcp = append(w.rtcp, p...)
	return nil
}

func (w *recWriter) got() []sent {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]sent(nil), w.pkts...)
}

func (w *recWriter) waitN(t *testing.T, n int) []sent {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, "packets sent", func() bool { return len(w.got()) >= n })
	return w.got()
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// harness is a scheduler with one transport and one bound video downtrack.
type harness struct {
	s   *Scheduler
	t   *Transport
	d   *Downtrack
	out *recWriter
	src *source
	pp  *media.Pipeline
}

func newHarness(t *testing.T, cfg Config, hooks TransportHooks) *harness {
	t.Helper()
	return newHarnessOn(t, cfg, hooks, media.NewPipeline())
}

// newHarnessOn is newHarness with the source on pipeline p.
func newHarnessOn(t *testing.T, cfg Config, hooks TransportHooks, p *media.Pipeline) *harness {
	t.Helper()
	out := &recWriter{}
	s := NewScheduler(cfg, quiet())
	tr := s.NewTransport(TransportParams{RTCP: out, Hooks: hooks})
	d := tr.AddTrack(TrackParams{Kind: media.Video})
	d.Bind(Binding{SSRC: 0xabc, Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 100}}, Writer: out})
	h := &harness{s: s, t: tr, d: d, out: out, pp: p, src: newSource(t, p)}
	t.Cleanup(func() {
		tr.Close()
		s.Close()
		p.Release()
	})
	return h
}

// push pushes one packet through a source pad whose sink is the downtrack.
func (h *harness) push(t *testing.T, tag byte) {
	t.Helper()
	h.pushSized(t, tag, 1)
}

// pushSized pushes one packet of size payload bytes, the first one tag.
func (h *harness) pushSized(t *testing.T, tag byte, size int) {
	t.Helper()
	h.src.seq++
	ssrc := h.src.ssrc
	if ssrc == 0 {
		ssrc = 5
	}
	b := media.GetPacketBuf()
	hd := rtp.Header{Version: 2, SequenceNumber: h.src.seq, Timestamp: uint32(h.src.seq) * 3000, SSRC: ssrc, PayloadType: 96}
	n, _ := hd.MarshalTo(b.Data())
	b.Data()[n] = tag
	if !b.ParseRTP(n + size) {
		t.Fatal("parse")
	}
	b.Packet().Codec = mediatest.VP8
	h.src.pad.PushBuf(b)
}

func (h *harness) srcElem(*testing.T) media.Element { return h.src.elem }

// enqueuer is a sink element that hands what it consumes to a downtrack,
// as a WebRtcEndpoint does.
type enqueuer struct {
	core media.Core
	d    *Downtrack
}

func (e *enqueuer) elem(t *testing.T, p *media.Pipeline) media.Element {
	t.Helper()
	if err := e.core.Init(p, e, e, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *enqueuer) Core() *media.Core                           { return &e.core }
func (e *enqueuer) Release()                                    { e.core.Detach() }
func (e *enqueuer) Consume(_ *media.SinkPad, pkt *media.Packet) { e.d.Enqueue(pkt) }
func (e *enqueuer) RequestKeyframe(*media.SourcePad)            {}
func (e *enqueuer) BitrateEstimate(*media.SinkPad) uint64       { return 0 }
func (e *enqueuer) SourceChanged(*media.SinkPad)                {}
func (e *enqueuer) Forwards() bool                              { return false }

func TestDowntrackSendsInOrder(t *testing.T) {
	h := newHarness(t, Config{Workers: 2}, nil)
	consumer := &enqueuer{d: h.d}
	if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		h.push(t, byte(i))
	}
	got := h.out.waitN(t, 200)
	for i, p := range got {
		if p.payload[0] != byte(i) || p.hdr.SSRC != 0xabc || p.hdr.PayloadType != 100 {
			t.Fatalf("packet %d: %+v %v", i, p.hdr, p.payload)
		}
		if i > 0 && p.hdr.SequenceNumber != got[i-1].hdr.SequenceNumber+1 {
			t.Fatalf("sequence numbers jump at %d", i)
		}
	}
	if st := h.d.Stats(); st.Packets != 200 || st.Bytes != 200 {
		t.Errorf("stats %+v", st)
	}
}

// TestDowntrackNACK: a NACK is answered from the source's history, on the
// same stream, and as RTX where the binding has an RTX SSRC.
func TestDowntrackNACK(t *testing.T) {
	for _, rtx := range []bool{false, true} {
		h := newHarness(t, Config{Workers: 1}, nil)
		if rtx {
			h.d.Bind(Binding{SSRC: 0xabc, RTXSSRC: 0xdef, Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 100, RTXPT: 101}}, Writer: h.out})
		}
		consumer := &enqueuer{d: h.d}
		if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ {
			h.push(t, byte('a'+i))
		}
		first := h.out.waitN(t, 5)
		lost := first[2].hdr
		h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: lost.SequenceNumber}}})
		h.d.NACK(&rtcp.TransportLayerNack{MediaSSRC: 0xabc, Nacks: []rtcp.NackPair{{PacketID: lost.SequenceNumber}}}) // within the gap: once
		got := h.out.waitN(t, 6)
		time.Sleep(50 * time.Millisecond)
		if n := len(h.out.got()); n != 6 {
			t.Fatalf("rtx=%v: %d packets, want 5 and one resend", rtx, n)
		}
		r := got[5]
		switch {
		case !rtx && (r.hdr.SSRC != 0xabc || r.hdr.SequenceNumber != lost.SequenceNumber || r.hdr.Timestamp != lost.Timestamp || r.payload[0] != 'c'):
			t.Errorf("same-stream resend %+v %q, want seq %d ts %d 'c'", r.hdr, r.payload, lost.SequenceNumber, lost.Timestamp)
		case rtx && (r.hdr.SSRC != 0xdef || r.hdr.PayloadType != 101 || binary.BigEndian.Uint16(r.payload) != lost.SequenceNumber ||
			r.payload[2] != 'c' || r.hdr.Timestamp != lost.Timestamp):
			t.Errorf("RTX resend %+v %v, want OSN %d then 'c'", r.hdr, r.payload, lost.SequenceNumber)
		}
		if st := h.d.Stats(); st.Resent != 1 {
			t.Errorf("resent = %d", st.Resent)
		}
	}
}

// TestDowntrackSourceChange: packets queued from a replaced source are
// dropped, and the output continues after the last one sent.
func TestDowntrackSourceChange(t *testing.T) {
	h := newHarness(t, Config{Workers: 1}, nil)
	consumer := &enqueuer{d: h.d}
	if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	h.push(t, 'a')
	first := h.out.waitN(t, 1)
	h.d.SourceChanged()
	h.src.seq += 5000 // the new source numbers its packets elsewhere
	h.push(t, 'b')
	got := h.out.waitN(t, 2)
	if got[1].hdr.SequenceNumber != first[0].hdr.SequenceNumber+1 {
		t.Errorf("after a source change seq %d follows %d", got[1].hdr.SequenceNumber, first[0].hdr.SequenceNumber)
	}
}

// TestDowntrackLateOldSource: a packet of the replaced source that arrives
// after the source change (a filter taken out of a room while its output
// drains) spends the re-anchor; the new source is still told apart by its
// own SSRC and continues the output (else the receiver drops its packets
// as SRTP replays and the video freezes).
func TestDowntrackLateOldSource(t *testing.T) {
	h := newHarness(t, Config{Workers: 1}, nil)
	consumer := &enqueuer{d: h.d}
	if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	h.push(t, 'a')
	h.out.waitN(t, 1)
	h.d.SourceChanged()
	h.push(t, 'b') // late, from the old source
	h.src.ssrc, h.src.seq = 77, h.src.seq+20000
	h.push(t, 'c')
	h.push(t, 'd')
	got := h.out.waitN(t, 4)
	for i := 1; i < len(got); i++ {
		if got[i].hdr.SequenceNumber != got[i-1].hdr.SequenceNumber+1 {
			t.Fatalf("output seq %d follows %d at %d", got[i].hdr.SequenceNumber, got[i-1].hdr.SequenceNumber, i)
		}
	}
}

// dropOdd is a Selector dropping packets whose payload starts with an odd byte.
type dropOdd struct{}

func (dropOdd) Select(_ *Downtrack, p *media.Packet, _ int64) bool { return p.Payload[0]%2 == 0 }

// holdAll is a Pacer that holds every packet until told to release.
type holdAll struct {
	mu      sync.Mutex
	held    []*Paced
	sentN   int
	release bool
	ticks   int
}

func (h *holdAll) OnSent(*Downtrack, *rtp.Header, int, int64) { h.mu.Lock(); h.sentN++; h.mu.Unlock() }
func (h *holdAll) OnRTCP([]rtcp.Packet, int64)                {}
func (h *holdAll) OnTick(now int64) {
	h.mu.Lock()
	h.ticks++
	var out []*Paced
	if h.release {
		out, h.held = h.held, nil
	}
	h.mu.Unlock()
	for _, p := range out {
		p.Downtrack.SendPaced(p, now)
	}
}
func (h *holdAll) Pace(p *Paced, _ int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	cp := *p
	h.held = append(h.held, &cp)
	return false
}

func TestDowntrackHooks(t *testing.T) {
	pacer := &holdAll{}
	bufs := media.PacketBufsOut()
	h := newHarness(t, Config{Workers: 1, Tick: time.Millisecond}, pacer)
	h.d.SetSelector(dropOdd{})
	consumer := &enqueuer{d: h.d}
	if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		h.push(t, byte(i))
	}
	testutil.Eventually(t, 10*time.Second, "the pacer holding 5 packets", func() bool {
		pacer.mu.Lock()
		defer pacer.mu.Unlock()
		return len(pacer.held) == 5
	})
	if n := len(h.out.got()); n != 0 {
		t.Fatalf("%d packets sent while the pacer holds them", n)
	}
	pacer.mu.Lock()
	pacer.release = true
	pacer.mu.Unlock()
	got := h.out.waitN(t, 5)
	for i, p := range got {
		if p.payload[0] != byte(2*i) {
			t.Errorf("paced packet %d carries %d", i, p.payload[0])
		}
	}
	pacer.mu.Lock()
	if pacer.sentN != 5 || pacer.ticks == 0 {
		t.Errorf("OnSent %d times, %d ticks", pacer.sentN, pacer.ticks)
	}
	pacer.mu.Unlock()
	h.src.pad.History().Close()
	if out := media.PacketBufsOut(); out != bufs {
		t.Errorf("%d buffers not released", out-bufs)
	}
}

// TestDowntrackOverflow: a full worker queue drops, asks for a keyframe
// once and the track waits for one.
func TestDowntrackOverflow(t *testing.T) {
	out := &recWriter{}
	s := NewScheduler(Config{Workers: 1, QueueItems: 4}, quiet())
	defer s.Close()
	tr := s.NewTransport(TransportParams{})
	defer tr.Close()
	gaps := 0
	d := tr.AddTrack(TrackParams{Kind: media.Video, OnGap: func() { gaps++ }})
	d.Bind(Binding{SSRC: 1, Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 96}}, Writer: out})
	// Stop the worker from draining: hold its control lock.
	w := tr.w
	block := make(chan struct{})
	w.post(op{kind: opRTCP, t: tr})
	w.ctlMu.Lock()
	go func() { <-block; w.ctlMu.Unlock() }()
	pkt := &media.Packet{Header: rtp.Header{Version: 2, SSRC: 9}, Payload: mediatest.VP8Payload(false, 50), Codec: mediatest.VP8}
	for i := 0; i < 20; i++ {
		pkt.Header.SequenceNumber++
		d.Enqueue(pkt)
	}
	close(block)
	if st := d.Stats(); st.Overflow == 0 || gaps != 1 {
		t.Fatalf("overflow %d, keyframe requests %d", st.Overflow, gaps)
	}
	kf := &media.Packet{Header: rtp.Header{Version: 2, SSRC: 9, SequenceNumber: 100}, Payload: mediatest.VP8Payload(true, 50), Codec: mediatest.VP8}
	testutil.Eventually(t, 10*time.Second, "the queued packets dropped", func() bool { return d.Stats().Stale == 4 })
	// The worker may have sent the first packet before it reached the
	// blocked operation: count from here.
	before := len(out.got())
	d.Enqueue(kf)
	out.waitN(t, before+1)
	time.Sleep(20 * time.Millisecond) // anything else queued would follow the keyframe by now
	if got := out.got()[before:]; len(got) != 1 || string(got[0].payload) != string(kf.Payload) {
		t.Errorf("sent %d packets after the overflow, want only the keyframe", len(got))
	}
}

// TestSenderReports: each track sends sender reports with its counts and
// a timestamp extrapolated from the last packet.
func TestSenderReports(t *testing.T) {
	h := newHarness(t, Config{Workers: 1, Tick: time.Millisecond, SenderReportInterval: 10 * time.Millisecond}, nil)
	consumer := &enqueuer{d: h.d}
	if err := media.Connect(h.srcElem(t), consumer.elem(t, h.pp), media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		h.push(t, 1)
	}
	last := h.out.waitN(t, 3)[2].hdr
	var sr *rtcp.SenderReport
	testutil.Eventually(t, 10*time.Second, "a sender report", func() bool {
		h.out.mu.Lock()
		defer h.out.mu.Unlock()
		for _, p := range h.out.rtcp {
			if s, ok := p.(*rtcp.SenderReport); ok && s.PacketCount == 3 {
				sr = s
				return true
			}
		}
		return false
	})
	if sr.SSRC != 0xabc || sr.PacketCount != 3 || sr.OctetCount != 3 || sr.RTPTime-last.Timestamp > 90000 || sr.NTPTime == 0 {
		t.Errorf("sender report %+v after the packet with ts %d", sr, last.Timestamp)
	}
}

// TestTransportsSpread: transports go to the least loaded worker, and a
// closed transport's queued packets are released.
func TestTransportsSpread(t *testing.T) {
	s := NewScheduler(Config{Workers: 3}, quiet())
	defer s.Close()
	var ts []*Transport
	for i := 0; i < 6; i++ {
		ts = append(ts, s.NewTransport(TransportParams{}))
		testutil.Eventually(t, 10*time.Second, "attach", func() bool {
			var n int64
			for _, w := range s.Stats() {
				n += w.Transports
			}
			return n == int64(i+1)
		})
	}
	for _, w := range s.Stats() {
		if w.Transports != 2 {
			t.Errorf("workers %+v, want 2 transports each", s.Stats())
			break
		}
	}
	for _, tr := range ts {
		tr.Close()
		tr.Close() // idempotent
	}
}

// TestFastPathCleared: a transport leaving the single port goes back to
// Pion's writer while no SSRC wrapped; after a wrap it stops sending and
// reports ErrPathChanged.
func TestFastPathCleared(t *testing.T) {
	for _, wrap := range []bool{false, true} {
		conn, err := udpx.Listen("udp4", "127.0.0.1:0", udpx.Options{})
		if err != nil {
			t.Skip("no loopback socket (run inside scripts/netns-run.sh):", err)
		}
		defer conn.Close()
		sess, _ := srtpx.NewSession(srtpx.AEADAES128GCM, make([]byte, 16), make([]byte, 12))
		cfg := Config{Workers: 1}
		if wrap {
			start := uint16(65530)
			cfg.TestInitialSeq = &start
		}
		errs := make(chan error, 1)
		out := &recWriter{}
		s := NewScheduler(cfg, quiet())
		tr := s.NewTransport(TransportParams{OnError: func(err error) { errs <- err }})
		d := tr.AddTrack(TrackParams{Kind: media.Video})
		d.Bind(Binding{SSRC: 7, Codecs: []CodecPT{{Codec: mediatest.VP8, PT: 96}}, Writer: out})
		tr.SetFastPath(FastPath{Dest: conn.Dest(conn.LocalAddrPort()), Session: sess})
		testutil.Eventually(t, 10*time.Second, "fast path", tr.FastPathOn)
		pkt := &media.Packet{Header: rtp.Header{Version: 2, SSRC: 9}, Payload: []byte{1, 2, 3}, Codec: mediatest.VP8}
		for i := 0; i < 10; i++ { // crosses 65535 when wrap
			pkt.Header.SequenceNumber++
			d.Enqueue(pkt)
		}
		testutil.Eventually(t, 10*time.Second, "sent", func() bool { return d.Stats().Packets == 10 })
		if n := len(out.got()); n != 0 {
			t.Fatalf("Pion's writer got %d packets on the fast path", n)
		}
		tr.ClearFastPath()
		testutil.Eventually(t, 10*time.Second, "fast path off", func() bool { return !tr.FastPathOn() })
		pkt.Header.SequenceNumber++
		d.Enqueue(pkt)
		if !wrap {
			got := out.waitN(t, 1)
			if got[0].hdr.SSRC != 7 {
				t.Errorf("after the fast path: %+v", got[0].hdr)
			}
		} else {
			select {
			case err := <-errs:
				if !errors.Is(err, ErrPathChanged) {
					t.Errorf("error %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no ErrPathChanged after a wrap")
			}
			time.Sleep(20 * time.Millisecond)
			if n := len(out.got()); n != 0 {
				t.Errorf("a stopped transport sent %d packets through Pion", n)
			}
		}
		tr.Close()
		s.Close()
	}
}
