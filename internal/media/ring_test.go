package media

import (
	"encoding/binary"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// putSeq makes a buffer holding an RTP packet with seq whose payload
// encodes seq, and puts it in r as a producer does.
func putSeq(t testing.TB, r *SourceRing, seq uint16, now int64) uint64 {
	t.Helper()
	b := GetPacketBuf()
	h := rtp.Header{Version: 2, SequenceNumber: seq, SSRC: 7}
	n, err := h.MarshalTo(b.Data())
	if err != nil {
		t.Fatal(err)
	}
	binary.BigEndian.PutUint16(b.Data()[n:], seq)
	if !b.ParseRTP(n + 100) {
		t.Fatal("parse")
	}
	ext := r.Extend(seq)
	b.setHistory(r, ext)
	b.Publish()
	r.put(b, now)
	b.Release()
	return ext
}

// payloadSeq reads back the sequence number a putSeq payload encodes.
func payloadSeq(b *PacketBuf) uint16 { return binary.BigEndian.Uint16(b.Packet().Payload) }

func TestSourceRingRetention(t *testing.T) {
	out := PacketBufsOut()
	r := NewSourceRing(8, 100*time.Millisecond)
	ms := int64(time.Millisecond)
	var exts []uint64
	for i := 0; i < 6; i++ {
		exts = append(exts, putSeq(t, r, uint16(65533+i), int64(i)*10*ms)) // across a wrap
	}
	for i, ext := range exts {
		b := r.Get(ext)
		if b == nil || payloadSeq(b) != uint16(65533+i) || b.Ext() != ext {
			t.Fatalf("packet %d not found intact", i)
		}
		b.Release()
	}
	if exts[5] != exts[0]+5 {
		t.Errorf("extended numbers do not follow the wrap: %v", exts)
	}
	// A late (reordered) packet is kept at its own number.
	late := putSeq(t, r, 65532, 55*ms)
	if late != exts[0]-1 {
		t.Errorf("late packet got %d, want %d", late, exts[0]-1)
	}
	// 200 ms later the old packets are released by the next put.
	putSeq(t, r, 3, 260*ms)
	if b := r.Get(exts[0]); b != nil {
		t.Error("a packet older than the retention is still kept")
	}
	if r.Held() != 1 {
		t.Errorf("held %d packets, want only the newest", r.Held())
	}
	// Never kept, or overwritten by a packet 8 slots later: nil.
	if r.Get(exts[5]+100) != nil {
		t.Error("got a packet that was never put")
	}
	r.Close()
	if r.Held() != 0 || PacketBufsOut() != out {
		t.Errorf("after Close: %d held, %d buffers out (were %d)", r.Held(), PacketBufsOut(), out)
	}
}

func TestSourceRingJump(t *testing.T) {
	r := NewSourceRing(16, time.Hour)
	a := putSeq(t, r, 100, 0)
	b := putSeq(t, r, 30000, 1) // a new stream on the pad: a jump
	if got := r.Get(a); got != nil {
		t.Error("the packet before a jump is still kept")
	}
	if got := r.Get(b); got == nil {
		t.Error("the packet after the jump is missing")
	} else {
		got.Release()
	}
	r.Close()
}

// TestSourceRingConcurrent: a producer puts while readers look packets up
// by number and check each one's payload (run under -race): no reader
// ever gets a packet other than the one it asked for, or a recycled buffer.
func TestSourceRingConcurrent(t *testing.T) {
	out := PacketBufsOut()
	r := NewSourceRing(64, 5*time.Millisecond)
	var head atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var found atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				h := head.Load()
				if h == 0 {
					continue
				}
				ext := h - uint64(rng.IntN(80))
				if b := r.Get(ext); b != nil {
					if b.Ext() != ext || payloadSeq(b) != uint16(ext) || b.Packet().Header.SequenceNumber != uint16(ext) {
						t.Errorf("asked for %d, got %d (payload %d)", ext, b.Ext(), payloadSeq(b))
					}
					found.Add(1)
					b.Release()
				}
			}
		}(uint64(w))
	}
	start := time.Now()
	for i := 0; i < 20000; i++ {
		ext := putSeq(t, r, uint16(i), int64(time.Since(start)))
		head.Store(ext)
	}
	close(stop)
	wg.Wait()
	r.Close()
	if found.Load() == 0 {
		t.Error("readers found nothing")
	}
	if PacketBufsOut() != out {
		t.Errorf("%d buffers not returned", PacketBufsOut()-out)
	}
}

func TestHoldPacket(t *testing.T) {
	// A packet in its own buffer is held by reference.
	b := GetPacketBuf()
	h := rtp.Header{Version: 2, SequenceNumber: 5, CSRC: []uint32{9}}
	_ = h.SetExtension(1, []byte{1, 2, 3})
	n, _ := h.MarshalTo(b.Data())
	if !b.ParseRTP(n + 10) {
		t.Fatal("parse")
	}
	b.Publish()
	if got := HoldPacket(b.Packet()); got != b {
		t.Fatal("a buffered packet was copied")
	}
	b.Release()
	// A copy of it (a changed header) is copied, lists included.
	cp := *b.Packet()
	cp.Header.Marker = true
	c := HoldPacket(&cp)
	if c == nil || c == b || !c.Packet().Header.Marker || len(c.Packet().Header.CSRC) != 1 ||
		string(c.Packet().Header.GetExtension(1)) != "\x01\x02\x03" || len(c.Packet().Payload) != 10 {
		t.Fatalf("copy = %+v", c)
	}
	b.Release()
	c.Release()
	// Too large for a buffer: nil.
	if HoldPacket(&Packet{Payload: make([]byte, PacketBufSize+1)}) != nil {
		t.Error("an oversized packet was held")
	}
}

func TestParseRTPPadding(t *testing.T) {
	b := GetPacketBuf()
	defer b.Free()
	h := rtp.Header{Version: 2, Padding: true}
	n, _ := h.MarshalTo(b.Data())
	copy(b.Data()[n:], []byte{7, 7, 0, 0, 3})
	if !b.ParseRTP(n+5) || len(b.Packet().Payload) != 2 || b.Packet().Header.PaddingSize != 3 {
		t.Fatalf("padding not stripped: %+v", b.Packet())
	}
	b.Data()[n+4] = 0
	if b.ParseRTP(n + 5) {
		t.Error("a zero padding length was accepted")
	}
	if b.ParseRTP(5) {
		t.Error("a short packet was accepted")
	}
}
