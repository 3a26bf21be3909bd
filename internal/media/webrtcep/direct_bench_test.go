package webrtcep

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/interceptor/nackgen"
	"github.com/gorento/gorento/internal/media/interceptor/rtpstats"
	"github.com/gorento/gorento/internal/media/interceptor/twccrx"
	"github.com/gorento/gorento/internal/media/srtpx"
)

// directRig is an endpoint whose received video the direct path reads,
// forwarded to another endpoint whose track is bound to a counting writer:
// what the socket's reading goroutine does with one SRTP datagram, minus
// the system call.
type directRig struct {
	d     directIn
	tx    *srtpx.Stream
	hdr   rtp.Header
	pay   []byte
	pkt   []byte
	tcc   [2]byte // the transport-cc extension's bytes (the header keeps the slice)
	txRTX *srtpx.Stream
	out   *countingWriter
	sent  int64
}

const directTWCCID = 5

func newDirectRig(tb testing.TB, p srtpx.Profile) *directRig {
	tb.Helper()
	eng := newEngine(tb)
	eng.warm.Wait()
	pipe := media.NewPipeline()
	tb.Cleanup(pipe.Release)
	in, err := New(pipe, eng, Options{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	sink, err := New(pipe, eng, Options{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	r := &directRig{out: &countingWriter{}, pay: make([]byte, 1100), pkt: make([]byte, 0, 1500)}
	vp8 := webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}
	if _, err := sink.tracks[media.Video].Bind(&fakeBinding{ssrc: 1000, codecs: []webrtc.RTPCodecParameters{vp8}, out: r.out}); err != nil {
		tb.Fatal(err)
	}
	if err := media.Connect(in, sink, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		tb.Fatal(err)
	}
	f, err := rtpstats.NewRecorderFactory(rtpstats.OnNew(in.stats.Store))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.NewInterceptor(""); err != nil {
		tb.Fatal(err)
	}
	in.twcc.Store(twccrx.New())
	key, salt := make([]byte, p.KeyLen()), make([]byte, p.SaltLen())
	for i := range key {
		key[i] = byte(i * 7)
	}
	sess, err := srtpx.NewSession(p, key, salt)
	if err != nil {
		tb.Fatal(err)
	}
	s := &rxStream{w: in, ssrc: 42, kind: media.Video, clockRate: 90000, direct: true, twccID: directTWCCID,
		nack: &nackgen.Log{}, codecs: []webrtc.RTPCodecParameters{vp8, rtxcodec(97, 96)},
		rtx: &rtxState{ssrc: 43, apt: map[uint8]uint8{97: 96}}}
	s.take(sess)
	list := []*rxStream{s}
	r.d.streams.Store(&list)
	r.tx, r.txRTX = sess.NewStream(42), sess.NewStream(43)
	r.hdr = rtp.Header{Version: 2, PayloadType: 96, SSRC: 42}
	return r
}

// one sends one protected packet through the handler.
func (r *directRig) one(tb testing.TB) {
	r.hdr.SequenceNumber++
	r.hdr.Timestamp += 3000
	r.tcc = [2]byte{byte(r.hdr.SequenceNumber >> 8), byte(r.hdr.SequenceNumber)}
	if err := r.hdr.SetExtension(directTWCCID, r.tcc[:]); err != nil {
		tb.Fatal(err)
	}
	b, err := r.hdr.MarshalTo(r.pkt[:cap(r.pkt)])
	if err != nil {
		tb.Fatal(err)
	}
	b += copy(r.pkt[b:cap(r.pkt)], r.pay)
	enc, err := r.tx.Protect(r.pkt[:b])
	if err != nil {
		tb.Fatal(err)
	}
	if !r.d.HandleInbound(enc) {
		tb.Fatal("the direct path left a packet of its stream to Pion")
	}
	r.sent++
}

func (r *directRig) warm(tb testing.TB) {
	for i := 0; i < media.DefaultHistorySlots+16; i++ {
		r.one(tb)
		if i%32 == 31 {
			r.out.wait(tb, r.sent)
		}
	}
	r.out.wait(tb, r.sent)
}

// TestDirectInboundAllocatesNothing: unprotect, statistics, NACK log,
// transport-cc record, push and forward: no allocation per packet.
func TestDirectInboundAllocatesNothing(t *testing.T) {
	for _, p := range []srtpx.Profile{srtpx.AEADAES128GCM, srtpx.AES128CMHMACSHA1_80} {
		t.Run(p.String(), func(t *testing.T) {
			r := newDirectRig(t, p)
			r.warm(t)
			allocs := testing.AllocsPerRun(1000, func() {
				r.one(t)
				r.out.wait(t, r.sent)
			})
			if allocs != 0 {
				t.Fatalf("the direct path allocates %.1f objects per packet", allocs)
			}
		})
	}
}

// BenchmarkDirectInbound: one received SRTP packet through the direct
// path and forwarded to one sink (the sender's Protect included, the
// system calls not).
// Run: go test -bench DirectInbound -benchmem ./internal/media/webrtcep
func BenchmarkDirectInbound(b *testing.B) {
	for _, p := range []srtpx.Profile{srtpx.AEADAES128GCM, srtpx.AES128CMHMACSHA1_80} {
		b.Run(fmt.Sprint(p), func(b *testing.B) {
			r := newDirectRig(b, p)
			r.warm(b)
			b.ReportAllocs()
			b.SetBytes(int64(len(r.pay)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.one(b)
				if i%32 == 31 {
					r.out.wait(b, r.sent)
				}
			}
			r.out.wait(b, r.sent)
		})
	}
}
