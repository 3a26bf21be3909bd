package media_test

import (
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

// push sends n video packets from s, a keyframe every gop packets
// starting with the first.
func push(src *mediatest.Source, s *mediatest.Stream, n, gop int) {
	for i := 0; i < n; i++ {
		src.Push(media.Video, s.Next(mediatest.VP8Payload(int(s.Seq)%gop == 0, 1000)))
	}
}

// blockedQueue is a source feeding, on mt, a sink with an input queue
// whose Consume is blocked.
func blockedQueue(t *testing.T, mt media.MediaType, cfg media.QueueConfig) (*mediatest.Source, *mediatest.Sink) {
	g := newGraph(t)
	src := g.source()
	sink := g.sink(mediatest.SinkOptions{Queue: &cfg})
	g.connect(src, sink, mt, def, def)
	sink.Block()
	return src, sink
}

func waitCount(t *testing.T, sink *mediatest.Sink, n int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for sink.Count() < n {
		select {
		case <-sink.Arrived():
		case <-deadline:
			t.Fatalf("sink received %d packets, want %d", sink.Count(), n)
		}
	}
}

// TestSlowSinkDoesNotStallFastOne: one source feeds a sink that blocks
// (through its queue) and one that does not; the fast sink gets every
// packet, the slow one's queue drops to the next keyframe, asks upstream
// for one, counts what it dropped, and resumes on a keyframe.
func TestSlowSinkDoesNotStallFastOne(t *testing.T) {
	g := newGraph(t)
	src := g.source()
	const capacity, gop = 32, 300
	slow := g.sink(mediatest.SinkOptions{Queue: &media.QueueConfig{Packets: capacity, KeyframeInterval: time.Second}})
	fast := g.sink(mediatest.SinkOptions{})
	g.connect(src, slow, media.Video, def, def)
	g.connect(src, fast, media.Video, def, def)
	asked := src.KeyframeRequests(media.Video)

	slow.Block()
	s := &mediatest.Stream{SSRC: 5, Step: 3000, Codec: mediatest.VP8}
	push(src, s, 1, gop)
	waitForStats(t, slow, func(st media.QueueStats) bool { return st.Queued == 0 }) // the first packet is in Consume
	push(src, s, 999, gop)                                                          // 1000 packets: keyframes at 0, 300, 600, 900

	got := fast.Received()
	if len(got) != 1000 {
		t.Fatalf("fast sink received %d of 1000 packets", len(got))
	}
	for i, r := range got {
		if r.Header.SequenceNumber != uint16(i) {
			t.Fatalf("fast sink: packet %d has sequence %d", i, r.Header.SequenceNumber)
		}
	}
	st, ok := slow.Core().QueueStats()
	if !ok || st.Queued != capacity || st.Capacity != capacity || st.Dropped != 1000-1-capacity || st.Overflows == 0 {
		t.Errorf("slow sink queue %+v, want %d queued and %d dropped", st, capacity, 1000-1-capacity)
	}
	if st.KeyframeRequests != 1 || src.KeyframeRequests(media.Video) != asked+1 {
		t.Errorf("keyframe requests: queue %d, at the source %d; want 1 (rate-limited)", st.KeyframeRequests, src.KeyframeRequests(media.Video)-asked)
	}

	// The clock moves: still waiting for a keyframe, the queue asks again.
	g.clock.Advance(time.Second)
	slow.Unblock()
	waitCount(t, slow, 1+capacity)
	push(src, s, 50, gop) // 1000…1049: delta frames, dropped while waiting
	if st, _ := slow.Core().QueueStats(); st.KeyframeRequests != 2 {
		t.Errorf("keyframe requests after the interval: %d, want 2", st.KeyframeRequests)
	}
	push(src, s, 150, gop)     // 1050…1199: dropped too
	for i := 1; i <= 10; i++ { // 1200…1299, paced: resumes at the keyframe 1200
		push(src, s, 10, gop)
		waitCount(t, slow, 1+capacity+10*i)
	}
	got = slow.Received()
	for i, r := range got[:1+capacity] {
		if r.Header.SequenceNumber != uint16(i) {
			t.Fatalf("slow sink: packet %d has sequence %d; the queue must keep the oldest", i, r.Header.SequenceNumber)
		}
	}
	if resumed := got[1+capacity]; resumed.Header.SequenceNumber != 1200 || resumed.Payload[1]&1 != 0 {
		t.Errorf("slow sink resumed at %d (keyframe %v), want the keyframe 1200", resumed.Header.SequenceNumber, resumed.Payload[1]&1 == 0)
	}
	if st, _ := slow.Core().QueueStats(); st.Delivered != uint64(1+capacity+100) {
		t.Errorf("delivered %d", st.Delivered)
	}
}

func waitForStats(t *testing.T, e media.Element, done func(media.QueueStats) bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		st, _ := e.Core().QueueStats()
		if done(st) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue stats %+v", st)
		}
	}
}

// TestQueueAudioAndCopies: audio is dropped packet by packet, never held
// for a keyframe; what the queue delivers is a faithful copy, not the
// pusher's memory.
func TestQueueAudioAndCopies(t *testing.T) {
	src, sink := blockedQueue(t, media.Audio, media.QueueConfig{Packets: 4})
	pkt := &media.Packet{Header: rtp.Header{Version: 2, SSRC: 9, CSRC: []uint32{7, 8}, Padding: true, PaddingSize: 3}, Codec: mediatest.Opus}
	if err := pkt.Header.SetExtension(2, []byte{0xaa, 0xbb}); err != nil {
		t.Fatal(err)
	}
	payload := make([]byte, 20)
	for i := 0; i < 10; i++ {
		pkt.Header.SequenceNumber = uint16(i)
		payload[0] = byte(i)
		pkt.Payload = payload
		src.Push(media.Audio, pkt)
		if i == 0 {
			waitForStats(t, sink, func(st media.QueueStats) bool { return st.Queued == 0 })
		}
	}
	// The pusher reuses its memory, as an endpoint's reader does.
	payload[0] = 0xff
	pkt.Header.CSRC[0] = 0
	_ = pkt.Header.SetExtension(2, []byte{0, 0})
	sink.Unblock()
	waitCount(t, sink, 5)
	src.Push(media.Audio, &media.Packet{Header: rtp.Header{SequenceNumber: 10}, Payload: []byte{10}, Codec: mediatest.Opus})
	waitCount(t, sink, 6)
	got := sink.Received()
	for i, want := range []uint16{0, 1, 2, 3, 4, 10} {
		r := got[i]
		if r.Header.SequenceNumber != want || r.Payload[0] != byte(want) {
			t.Errorf("packet %d: sequence %d payload %d, want %d", i, r.Header.SequenceNumber, r.Payload[0], want)
		}
		if want < 10 && (len(r.Header.CSRC) != 2 || r.Header.CSRC[0] != 7 || r.Header.PaddingSize != 3 || !r.Header.Padding ||
			string(r.Header.GetExtension(2)) != "\xaa\xbb") {
			t.Errorf("packet %d: header %+v not copied", i, r.Header)
		}
	}
	if st, _ := sink.Core().QueueStats(); st.Dropped != 5 || st.KeyframeRequests != 0 {
		t.Errorf("audio queue %+v: want 5 dropped and no keyframe request", st)
	}
}

// TestQueueCopiesExtensions: header extensions survive the queue although
// the pusher overwrites them.
func TestQueueCopiesExtensions(t *testing.T) {
	src, sink := blockedQueue(t, media.Video, media.QueueConfig{})
	pkt := &media.Packet{Header: rtp.Header{Version: 2, SSRC: 1}, Payload: mediatest.VP8Payload(true, 10), Codec: mediatest.VP8}
	_ = pkt.Header.SetExtension(3, []byte{1, 2, 3})
	src.Push(media.Video, pkt) // taken by Consume
	waitForStats(t, sink, func(st media.QueueStats) bool { return st.Queued == 0 })
	src.Push(media.Video, pkt) // queued
	_ = pkt.Header.SetExtension(3, []byte{9, 9, 9})
	sink.Unblock()
	waitCount(t, sink, 2)
	for i, r := range sink.Received() {
		if ext := r.Header.GetExtension(3); string(ext) != "\x01\x02\x03" {
			t.Errorf("packet %d: extension % x, want 01 02 03", i, ext)
		}
	}
}

// TestQueueReleaseJoins: releasing an element whose Consume is blocked
// returns once Consume returns, with the queue goroutine gone (goleak in
// TestMain), and later pushes are dropped.
func TestQueueReleaseJoins(t *testing.T) {
	src, sink := blockedQueue(t, media.Video, media.QueueConfig{Packets: 8})
	s := &mediatest.Stream{SSRC: 1, Step: 3000, Codec: mediatest.VP8}
	push(src, s, 5, 100)
	released := make(chan struct{})
	go func() {
		sink.Release()
		close(released)
	}()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("Release did not return")
	}
	push(src, s, 5, 100) // disconnected: reaches nothing
	if _, ok := sink.Core().QueueStats(); !ok {
		t.Error("stats gone after release")
	}
}

// TestQueueAllocatesNothing: once its slots are warm, queuing a packet
// and handing it to Consume allocate nothing (whether it is delivered or
// dropped when the consumer lags).
func TestQueueAllocatesNothing(t *testing.T) {
	g := newGraph(t)
	src := g.source()
	sink, err := mediatest.NewCounter(g.p, &media.QueueConfig{Packets: 64})
	if err != nil {
		t.Fatal(err)
	}
	g.connect(src, sink, media.Video, def, def)
	pkt := &media.Packet{Header: rtp.Header{Version: 2, SSRC: 1, CSRC: []uint32{4}}, Payload: mediatest.VP8Payload(true, 1100), Codec: mediatest.VP8}
	_ = pkt.Header.SetExtension(1, []byte{1, 2})
	pad := src.Core().Source(media.Video)
	settled := func(n uint64) {
		waitForStats(t, sink, func(st media.QueueStats) bool { return st.Delivered+st.Dropped == n })
	}
	// Warm: every slot used once, and the source's history full (its
	// buffers recycle from then on).
	warmup := media.DefaultHistorySlots + 65
	for i := 0; i < warmup; i++ {
		pkt.Header.SequenceNumber++
		pad.Push(pkt)
	}
	settled(uint64(warmup))
	allocs := testing.AllocsPerRun(1000, func() {
		pkt.Header.SequenceNumber++
		pad.Push(pkt)
	})
	settled(uint64(warmup) + 1001)
	if allocs != 0 {
		t.Errorf("a queued packet costs %.1f allocations", allocs)
	}
	if sink.Count() == 0 {
		t.Error("nothing consumed")
	}
}
