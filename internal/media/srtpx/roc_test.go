package srtpx

import (
	"bytes"
	"errors"
	"testing"
)

func TestEstimateIndex(t *testing.T) {
	tests := []struct {
		name string
		top  uint64
		seq  uint16
		want uint64
	}{
		{"next", 100, 101, 101},
		{"same", 100, 100, 100},
		{"slightly behind", 100, 90, 90},
		{"wrap forward", 65535, 0, 1 << 16},
		{"wrap forward with gap", 65500, 200, 1<<16 | 200},
		{"late packet from before the wrap", 1<<16 | 5, 65530, 65530},
		{"ahead within half", 1<<16 | 10, 30000, 1<<16 | 30000},
		{"before the first wrap, far behind is ahead", 5, 65530, 65530},
		{"high roc wrap", 0xfffe<<16 | 65535, 0, 0xffff << 16},
		{"behind across two rocs", 7<<16 | 100, 65000, 6<<16 | 65000},
	}
	for _, tt := range tests {
		if got := estimateIndex(tt.top, tt.seq); got != tt.want {
			t.Errorf("%s: estimateIndex(%#x, %d) = %#x, want %#x", tt.name, tt.top, tt.seq, got, tt.want)
		}
	}
}

func TestReplayWindow(t *testing.T) {
	w := newReplayWindow(128)
	accept := func(i uint64) {
		t.Helper()
		if err := w.check(i); err != nil {
			t.Fatalf("index %d refused: %v", i, err)
		}
		w.accept(i)
	}
	refuse := func(i uint64, want error) {
		t.Helper()
		if err := w.check(i); !errors.Is(err, want) {
			t.Fatalf("index %d: got %v, want %v", i, err, want)
		}
	}
	accept(1000)
	refuse(1000, ErrReplay)
	accept(1002)
	accept(1001) // reordered, inside the window
	refuse(1001, ErrReplay)
	accept(999) // older than the first packet but inside the window
	refuse(1002-128, ErrTooOld)
	accept(1002 - 127)
	// Walk the top around the ring many times: old bits must be cleared.
	for i := uint64(1003); i < 1003+1000; i++ {
		if i%3 == 0 {
			continue // lost
		}
		accept(i)
	}
	for i := uint64(2002 - 100); i < 2002; i++ {
		if i%3 == 0 {
			accept(i) // the lost ones arrive late: accepted once
		}
		refuse(i, ErrReplay)
	}
	// A jump larger than the window clears everything.
	accept(10_000)
	accept(10_000 - 127)
	refuse(10_000-128, ErrTooOld)
	// Partial-word clearing: jumps of odd sizes.
	for _, step := range []uint64{1, 63, 64, 65, 127, 3, 70} {
		top := w.top + step
		accept(top)
		for i := top - step + 1; i < top; i++ {
			accept(i)
		}
	}
}

func newTestStreams(t *testing.T, p Profile, ssrc uint32) (tx, rx *Stream) {
	t.Helper()
	key, salt := make([]byte, p.KeyLen()), make([]byte, p.SaltLen())
	for i := range key {
		key[i] = byte(i + 1)
	}
	s, err := NewSession(p, key, salt, WithReplayWindow(128))
	if err != nil {
		t.Fatal(err)
	}
	return s.NewStream(ssrc), s.NewStream(ssrc)
}

func rtpPacket(ssrc uint32, seq uint16, payload int) []byte {
	b := make([]byte, 12+payload, 12+payload+16)
	b[0], b[1] = 0x80, 96
	b[2], b[3] = byte(seq>>8), byte(seq)
	b[8], b[9], b[10], b[11] = byte(ssrc>>24), byte(ssrc>>16), byte(ssrc>>8), byte(ssrc)
	for i := 12; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

func TestUnprotectFailuresLeaveNoTrace(t *testing.T) {
	for _, p := range allProfiles {
		t.Run(p.String(), func(t *testing.T) {
			tx, rx := newTestStreams(t, p, 42)
			enc, err := tx.Protect(rtpPacket(42, 7, 100))
			if err != nil {
				t.Fatal(err)
			}
			bad := append([]byte(nil), enc...)
			bad[20] ^= 1
			if _, err := rx.Unprotect(bad); !errors.Is(err, ErrAuth) {
				t.Fatalf("tampered payload: got %v, want ErrAuth", err)
			}
			bad = append([]byte(nil), enc...)
			bad[3] ^= 0x80 // another sequence number: another index, so another key stream and tag
			if _, err := rx.Unprotect(bad); !errors.Is(err, ErrAuth) {
				t.Fatalf("tampered header: got %v, want ErrAuth", err)
			}
			if rx.rx.started {
				t.Fatal("a packet that failed authentication started the stream")
			}
			got, err := rx.Unprotect(append([]byte(nil), enc...))
			if err != nil {
				t.Fatalf("genuine packet after forgeries: %v", err)
			}
			if want := rtpPacket(42, 7, 100); !bytes.Equal(got, want) {
				t.Fatalf("got %x, want %x", got, want)
			}
			if _, err := rx.Unprotect(append([]byte(nil), enc...)); !errors.Is(err, ErrReplay) {
				t.Fatalf("replayed packet: got %v, want ErrReplay", err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, p := range allProfiles {
		t.Run(p.String(), func(t *testing.T) {
			tx, rx := newTestStreams(t, p, 42)
			check := func(what string, err, want error) {
				t.Helper()
				if !errors.Is(err, want) {
					t.Errorf("%s: got %v, want %v", what, err, want)
				}
			}
			_, err := tx.Protect(rtpPacket(42, 1, 10)[:11])
			check("short rtp", err, ErrShortPacket)
			v1 := rtpPacket(42, 1, 10)
			v1[0] = 0x40
			_, err = tx.Protect(v1)
			check("version 1", err, ErrHeader)
			_, err = tx.Protect(rtpPacket(43, 1, 10))
			check("other ssrc", err, ErrSSRC)
			full := rtpPacket(42, 1, 10)
			_, err = tx.Protect(full[:len(full):len(full)])
			check("no room for the tag", err, ErrBufferSize)
			cut := rtpPacket(42, 1, 10)
			cut[0] |= 0x0f // 15 CSRCs do not fit
			_, err = tx.Protect(cut)
			check("csrcs past the end", err, ErrShortPacket)
			ext := rtpPacket(42, 1, 10)
			ext[0] |= 0x10
			ext[14], ext[15] = 0xff, 0xff // extension length past the end
			_, err = tx.Protect(ext)
			check("extension past the end", err, ErrShortPacket)
			_, err = tx.ProtectIndex(rtpPacket(42, 1, 10), 2)
			check("index and sequence number differ", err, ErrSequence)
			_, err = tx.ProtectIndex(rtpPacket(42, 1, 10), maxIndex+1)
			check("index past 2^48", err, ErrExhausted)
			_, err = rx.Unprotect(make([]byte, 5))
			check("short srtp", err, ErrShortPacket)
			_, err = rx.UnprotectRTCP(make([]byte, 20))
			check("short srtcp", err, ErrShortPacket)
			_, err = tx.ProtectRTCP([]byte{0x80, 200, 0, 1, 0, 0, 0, 43})
			check("rtcp of another ssrc", err, ErrSSRC)
			tx.rtcpTx = maxRTCPIndex
			rtcp := make([]byte, 8, 64)
			rtcp[0], rtcp[1], rtcp[7] = 0x80, 200, 42
			_, err = tx.ProtectRTCP(rtcp)
			check("srtcp index exhausted", err, ErrExhausted)
		})
	}
	if _, err := NewSession(Profile(3), make([]byte, 16), make([]byte, 14)); !errors.Is(err, ErrProfile) {
		t.Errorf("unknown profile: got %v", err)
	}
	if _, err := NewSession(AEADAES128GCM, make([]byte, 16), make([]byte, 14)); !errors.Is(err, ErrKeyLength) {
		t.Errorf("wrong salt length: got %v", err)
	}
	if _, err := NewSession(AEADAES128GCM, make([]byte, 16), make([]byte, 12), WithReplayWindow(10)); !errors.Is(err, ErrReplayWindow) {
		t.Errorf("tiny replay window: got %v", err)
	}
}

// The last index a key may protect, then refusal (RFC 3711 §9.2: rekey).
func TestIndexExhaustion(t *testing.T) {
	tx, rx := newTestStreams(t, AEADAES128GCM, 9)
	tx.SetROC(1<<32 - 1)
	rx.SetROC(1<<32 - 1)
	for seq := uint16(65530); seq != 0; seq++ {
		enc, err := tx.Protect(rtpPacket(9, seq, 20))
		if err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
		if _, err := rx.Unprotect(enc); err != nil {
			t.Fatalf("seq %d: %v", seq, err)
		}
	}
	if _, err := tx.Protect(rtpPacket(9, 0, 20)); !errors.Is(err, ErrExhausted) {
		t.Fatalf("after the last index: got %v, want ErrExhausted", err)
	}
}

func TestNoAllocations(t *testing.T) {
	for _, p := range allProfiles {
		t.Run(p.String(), func(t *testing.T) {
			tx, rx := newTestStreams(t, p, 42)
			buf := make([]byte, 0, 1500)
			rtcp := make([]byte, 0, 1500)
			seq := uint16(0)
			allocs := testing.AllocsPerRun(200, func() {
				seq++
				pkt := buf[:12+1200]
				pkt[0], pkt[1], pkt[2], pkt[3], pkt[11] = 0x80, 96, byte(seq>>8), byte(seq), 42
				enc, err := tx.Protect(pkt)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := rx.Unprotect(enc); err != nil {
					t.Fatal(err)
				}
				if _, err := tx.ProtectIndex(pkt[:12+1200], uint64(seq)); err != nil {
					t.Fatal(err)
				}
				r := rtcp[:48]
				r[0], r[1], r[3], r[7] = 0x80, 200, 11, 42
				encRTCP, err := tx.ProtectRTCP(r)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := rx.UnprotectRTCP(encRTCP); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per packet round, want 0", allocs)
			}
		})
	}
}

// A stream taken over from another context after a wrap keeps the ROC and
// refuses what the other context may have accepted.
func TestContinueRx(t *testing.T) {
	for _, p := range allProfiles {
		t.Run(p.String(), func(t *testing.T) {
			tx, rx := newTestStreams(t, p, 42)
			tx.SetROC(3)
			var encs [][]byte
			for seq := uint16(65530); seq != 6; seq++ { // 65530 … 65535 at ROC 3, 0 … 5 at ROC 4
				enc, err := tx.Protect(rtpPacket(42, seq, 100))
				if err != nil {
					t.Fatal(err)
				}
				encs = append(encs, enc)
			}
			rx.ContinueRx(3<<16 | 65532) // the other context got up to 65532
			if _, err := rx.Unprotect(encs[2]); !errors.Is(err, ErrReplay) {
				t.Fatalf("index the other context had: got %v, want ErrReplay", err)
			}
			for _, i := range []int{4, 6, 3, 5, 11} { // 65534, 0 (ROC 4), then 65533 and 65535 reordered, 5
				if _, err := rx.Unprotect(encs[i]); err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
			}
			if top, ok := rx.RxIndex(); !ok || top != 4<<16|5 {
				t.Fatalf("RxIndex %#x %v, want %#x", top, ok, 4<<16|5)
			}
			rx.ContinueRx(0) // no effect once started
			if top, _ := rx.RxIndex(); top != 4<<16|5 {
				t.Fatalf("ContinueRx after start moved the index to %#x", top)
			}
		})
	}
}
