package bwe

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pion/rtcp"
)

// readAll returns every status of one feedback packet through our reader.
func readAll(pkt []byte) ([]status, bool, error) {
	var r feedbackReader
	if err := r.reset(pkt); err != nil {
		return nil, false, err
	}
	var out []status
	for {
		s, ok, err := r.next()
		if err != nil {
			return out, r.nonStrict, err
		}
		if !ok {
			return out, r.nonStrict, nil
		}
		out = append(out, s)
	}
}

// pionAll returns the statuses pion/rtcp parses out of pkt.
func pionAll(pkt []byte) ([]status, error) {
	var fb rtcp.TransportLayerCC
	if err := fb.Unmarshal(pkt); err != nil {
		return nil, err
	}
	p := pionReader{fb: &fb}
	var out []status
	for {
		s, ok, _ := p.next()
		if !ok {
			return out, nil
		}
		out = append(out, s)
	}
}

func rngFor(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }

func randomStatuses(rng *rand.Rand, n int) []status {
	st := make([]status, n)
	base := uint16(rng.IntN(65536))
	for i := range st {
		st[i].seq = base + uint16(i)
		switch r := rng.IntN(10); {
		case r < 2:
		case r < 9:
			st[i].sym, st[i].delta = symSmallDelta, int32(rng.IntN(256))
		default:
			st[i].sym, st[i].delta = symLargeDelta, int32(rng.IntN(65536)-32768)
		}
	}
	return st
}

// Our reader and pion's agree on feedback we build (two-bit vectors, deltas of
// both sizes, padding, sequence wrap) and on feedback pion builds (run-length
// and one-bit vector chunks).
func TestFeedbackReaderMatchesPion(t *testing.T) {
	rng := rngFor(1)
	for i := range 300 {
		st := randomStatuses(rng, 1+rng.IntN(120))
		pkt := encodeFeedback(st, uint32(rng.IntN(1<<24)), uint8(i))
		ours, _, err := readAll(pkt)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		theirs, err := pionAll(pkt)
		if err != nil {
			t.Fatalf("case %d: pion: %v", i, err)
		}
		if !slices.Equal(ours, st) || !slices.Equal(theirs, st) {
			t.Fatalf("case %d:\n built %v\n ours  %v\n pion  %v", i, st, ours, theirs)
		}
	}
	// pion's encoder: run-length and one-bit vector chunks.
	fb := &rtcp.TransportLayerCC{
		SenderSSRC: 1, MediaSSRC: 2, BaseSequenceNumber: 65530, PacketStatusCount: 22, ReferenceTime: 0xffffff, FbPktCount: 3,
		PacketChunks: []rtcp.PacketStatusChunk{
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketReceivedSmallDelta, RunLength: 5},
			&rtcp.RunLengthChunk{PacketStatusSymbol: rtcp.TypeTCCPacketNotReceived, RunLength: 3},
			&rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeOneBit, SymbolList: []uint16{1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1}},
		},
	}
	for range 5 + 8 {
		fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedSmallDelta, Delta: 1000})
	}
	size := fb.MarshalSize()
	fb.Header = rtcp.Header{Padding: size != headerBytes(fb), Count: rtcp.FormatTCC, Type: rtcp.TypeTransportSpecificFeedback, Length: uint16(size/4 - 1)}
	pkt, err := fb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ours, strict, err := readAll(pkt)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := pionAll(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ours, theirs) || len(ours) != 22 || ours[0].seq != 65530 || ours[21].seq != 15 || strict {
		t.Fatalf("ours %v\npion %v (non-strict %v)", ours, theirs, strict)
	}
}

// headerBytes is the unpadded size pion computes for fb.
func headerBytes(fb *rtcp.TransportLayerCC) int {
	n := 4 + 16 + 2*len(fb.PacketChunks)
	for _, d := range fb.RecvDeltas {
		n += 1 + int(d.Type-1)
	}
	return n
}

func TestFeedbackMalformed(t *testing.T) {
	good := encodeFeedback([]status{{seq: 1, sym: symSmallDelta, delta: 4}, {seq: 2, sym: symLargeDelta, delta: -3}}, 5, 1)
	mod := func(f func(b []byte) []byte) []byte { return f(slices.Clone(good)) }
	for _, c := range []struct {
		name string
		pkt  []byte
		err  error
	}{
		{"short header", good[:10], ErrFeedbackTruncated},
		{"version 1", mod(func(b []byte) []byte { b[0] = b[0]&0x3f | 0x40; return b }), ErrFeedbackMalformed},
		{"not transport-cc", mod(func(b []byte) []byte { b[0] = b[0]&0xe0 | 1; return b }), ErrFeedbackMalformed},
		{"length beyond buffer", mod(func(b []byte) []byte { b[3] += 4; return b }), ErrFeedbackTruncated},
		{"chunks beyond length", mod(func(b []byte) []byte { b[fciOffset+3] = 200; return b }), ErrFeedbackTruncated},
		{"deltas missing", mod(func(b []byte) []byte { b[fciOffset+3] = 14; return b }), ErrFeedbackTruncated},
		{"padding count 0", mod(func(b []byte) []byte { b[0] |= 0x20; b[len(b)-1] = 0; return b }), ErrFeedbackMalformed},
		{"padding beyond FCI", mod(func(b []byte) []byte { b[0] |= 0x20; b[len(b)-1] = 200; return b }), ErrFeedbackMalformed},
	} {
		_, _, err := readAll(c.pkt)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
	// The estimator counts them and keeps going.
	e, _ := New(Config{})
	if err := e.OnFeedback(mod(func(b []byte) []byte { return b[:len(b)-4] }), 1); err == nil {
		t.Error("OnFeedback accepted a truncated compound")
	}
	if err := e.OnFeedback(append(slices.Clone(good), good...), 2); err != nil {
		t.Errorf("compound of two feedbacks: %v", err)
	}
	// Non-feedback RTCP in a compound is skipped.
	rr, _ := (&rtcp.ReceiverReport{SSRC: 9}).Marshal()
	if err := e.OnFeedback(append(rr, good...), 3); err != nil {
		t.Errorf("RR + feedback: %v", err)
	}
	if st := e.State(); st.Malformed != 1 || st.Feedbacks != 3 {
		t.Errorf("state %+v", st)
	}
}

// Arrival times: the reference time (64 ms units) plus the running sum of
// deltas (250 µs), unwrapped across the 24-bit wrap and across feedbacks.
func TestFeedbackArrivalTimes(t *testing.T) {
	e, _ := New(Config{})
	for i := range 6 {
		e.OnPacketSent(uint16(i), 1000, int64(i)*ms, NoProbe)
	}
	var got []int64
	collect := func(pkt []byte) {
		if err := e.rd.reset(pkt); err != nil {
			t.Fatal(err)
		}
		arrival := e.unwrapRef(e.rd.refTime)
		for {
			s, ok, err := e.rd.next()
			if err != nil || !ok {
				return
			}
			if s.sym != symNotReceived {
				arrival += int64(s.delta) * deltaUnit * 1000
				got = append(got, arrival)
			}
		}
	}
	collect(encodeFeedback([]status{{seq: 0, sym: symSmallDelta, delta: 4}, {seq: 1, sym: symLargeDelta, delta: -2}, {seq: 2}}, 0xffffff, 1))
	collect(encodeFeedback([]status{{seq: 3, sym: symSmallDelta, delta: 0}}, 0, 2)) // one unit later, wrapped
	want := []int64{1 * ms, 500 * 1000, 64 * ms}
	for i := range want {
		want[i] += (0xffffff + 1<<20) * refTimeUnit * 1000
	}
	if !slices.Equal(got, want) {
		t.Errorf("arrivals %v, want %v", got, want)
	}
}

// A packet reported lost and later received counts as received once.
func TestFeedbackLateArrival(t *testing.T) {
	e, _ := New(Config{})
	for i := range 4 {
		e.OnPacketSent(uint16(i), 1000, int64(i)*ms, NoProbe)
	}
	_ = e.OnFeedback(encodeFeedback([]status{{seq: 0, sym: symSmallDelta}, {seq: 1}, {seq: 2, sym: symSmallDelta, delta: 8}}, 100, 1), 50*ms)
	if e.loss.lost != 1 || e.loss.total != 3 {
		t.Fatalf("after the first feedback lost %d of %d", e.loss.lost, e.loss.total)
	}
	_ = e.OnFeedback(encodeFeedback([]status{{seq: 1, sym: symSmallDelta, delta: 9}, {seq: 2, sym: symSmallDelta}, {seq: 3, sym: symSmallDelta}}, 100, 2), 100*ms)
	if e.loss.lost != 0 || e.loss.total != 4 {
		t.Errorf("after the late arrival lost %d of %d, want 0 of 4", e.loss.lost, e.loss.total)
	}
	// Statuses for packets never sent are counted, not trusted.
	_ = e.OnFeedback(encodeFeedback([]status{{seq: 40000, sym: symSmallDelta}}, 100, 3), 150*ms)
	if e.State().UnknownSeq != 1 {
		t.Errorf("unknown %d", e.State().UnknownSeq)
	}
}
