package webrtcep

import (
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// countingWriter stands in for Pion's SRTP write stream: it counts packets
// and checks nothing escapes the header it was given.
type countingWriter struct {
	packets atomic.Int64
	lastSeq atomic.Uint32
}

func (w *countingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.packets.Add(1)
	w.lastSeq.Store(uint32(h.SequenceNumber))
	return len(payload), nil
}

func (w *countingWriter) Write(b []byte) (int, error) { return len(b), nil }

// wait waits until the writer got n packets: the egress workers send
// asynchronously.
func (w *countingWriter) wait(tb testing.TB, n int64) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for w.packets.Load() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("writer got %d packets, want %d", w.packets.Load(), n)
		}
		runtime.Gosched()
	}
}

// fakeBinding is a TrackLocalContext binding a sink track to a writer.
type fakeBinding struct {
	ssrc   webrtc.SSRC
	codecs []webrtc.RTPCodecParameters
	out    webrtc.TrackLocalWriter
}

func (b *fakeBinding) CodecParameters() []webrtc.RTPCodecParameters           { return b.codecs }
func (b *fakeBinding) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (b *fakeBinding) SSRC() webrtc.SSRC                                      { return b.ssrc }
func (b *fakeBinding) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (b *fakeBinding) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (b *fakeBinding) WriteStream() webrtc.TrackLocalWriter                   { return b.out }
func (b *fakeBinding) ID() string                                             { return "fake" }
func (b *fakeBinding) RTCPReader() interceptor.RTCPReader                     { return nil }

var vp8 = &media.Codec{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}

// graph builds source PassThrough → n WebRtcEndpoints whose video tracks are
// bound to counting writers (no network: the engine's own forwarding cost).
func graph(tb testing.TB, n int) (*media.Pipeline, *media.PassThrough, []*countingWriter) {
	tb.Helper()
	eng := newEngine(tb)
	// The certificate warm-up allocates heavily in the background: let it
	// finish so allocation counts measure the hot path alone.
	eng.warm.Wait()
	p := media.NewPipeline()
	tb.Cleanup(p.Release)
	src, err := media.NewPassThrough(p, nil)
	if err != nil {
		tb.Fatal(err)
	}
	var outs []*countingWriter
	for i := 0; i < n; i++ {
		ep, err := New(p, eng, Options{}, nil)
		if err != nil {
			tb.Fatal(err)
		}
		out := &countingWriter{}
		codec := webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(100 + i%20), RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}
		if _, err := ep.tracks[media.Video].Bind(&fakeBinding{ssrc: webrtc.SSRC(1000 + i), codecs: []webrtc.RTPCodecParameters{codec}, out: out}); err != nil {
			tb.Fatal(err)
		}
		if err := media.Connect(src, ep, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
			tb.Fatal(err)
		}
		outs = append(outs, out)
	}
	return p, src, outs
}

// newEngine makes an engine restricted to loopback, closed with the test.
func newEngine(tb testing.TB) *Engine {
	tb.Helper()
	eng, err := NewEngine(Config{LoopbackOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(eng.Close)
	return eng
}
