package rtpep

import (
	"runtime"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// TestSendAllocatesNothing: sending a packet (rewrite, SRTP, UDP) makes no
// allocation. Run without -race (./dev: 'AllocatesNothing').
func TestSendAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (./dev runs this test without it)")
	}
	e := testEngine(t, Config{})
	a, b := newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}}), newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}})
	pair(t, a.ep, b.ep, nil)
	s := a.ep.stream(media.Video)
	v := mediatest.Stream{SSRC: 1, Seq: 100, Step: 3000, Codec: vp8}
	pkt := v.Next(mediatest.VP8Payload(true, 900))
	s.write(pkt) // first packet: the SRTP context's per-SSRC state
	allocs := testing.AllocsPerRun(500, func() {
		pkt.Header.SequenceNumber++
		pkt.Header.Timestamp += 3000
		s.write(pkt)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per packet sent", allocs)
	}
	eventually(t, waitLong, "packets at b", func() bool { return b.counter.Count() >= 50 }) // a burst: the socket buffer drops some
}

// TestReceiveAllocatesNothing: a received SRTP packet is read, verified,
// decrypted in place and pushed into the pipeline without allocation
// (measured process-wide while the reader handles each packet, once the
// source's retransmission history is full and recycles its buffers).
func TestReceiveAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (./dev runs this test without it)")
	}
	e := testEngine(t, Config{ReportInterval: time.Hour})
	a, b := newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}}), newRig(t, e, Options{Crypto: SDES{Suite: "AES_128_CM_HMAC_SHA1_80"}})
	pair(t, a.ep, b.ep, nil)
	s := a.ep.stream(media.Video)
	v := mediatest.Stream{SSRC: 1, Seq: 100, Step: 3000, Codec: vp8}
	pkt := v.Next(mediatest.VP8Payload(true, 900))
	sendOne := func() {
		want := b.counter.Count() + 1
		s.write(pkt)
		pkt.Header.SequenceNumber++
		pkt.Header.Timestamp += 3000
		for b.counter.Count() < want {
			runtime.Gosched()
		}
	}
	for i := 0; i < media.DefaultHistorySlots+200; i++ { // warm up: buffer pool, history, SRTP state
		sendOne()
	}
	if allocs := testing.AllocsPerRun(300, sendOne); allocs >= 0.5 {
		t.Fatalf("%.2f allocations per packet sent and received", allocs)
	}
}
