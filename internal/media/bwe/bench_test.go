package bwe

import (
	"encoding/binary"
	"testing"

	"github.com/pion/rtcp"
)

// The per-packet cost: one ring write and the ALR budget.
func BenchmarkOnPacketSent(b *testing.B) {
	e, _ := New(Config{})
	now := int64(1e9)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now += 100_000
		e.OnPacketSent(uint16(i), 1200, now, NoProbe)
	}
}

// feedbackBench: 25 packets 4 ms apart (2.4 Mbit/s), then the feedback on
// them, as a browser sends every 100 ms; the feedback's base sequence number
// and reference time are patched in place so nothing is built in the loop.
func feedbackBench(b *testing.B, apply func(e *Estimator, pkt []byte, tcc *rtcp.TransportLayerCC, now int64)) {
	const n = 25
	st := make([]status, n)
	for i := range st {
		st[i] = status{seq: uint16(i), sym: symSmallDelta, delta: 16} // 4 ms
	}
	st[7].sym, st[7].delta = symNotReceived, 0 // one loss
	pkt := encodeFeedback(st, 0, 0)
	var tcc rtcp.TransportLayerCC
	if err := tcc.Unmarshal(pkt); err != nil {
		b.Fatal(err)
	}
	e, _ := New(Config{})
	now, seq, ref := int64(1e9), uint16(0), uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		for i := range n {
			e.OnPacketSent(seq+uint16(i), 1200, now+int64(i)*4*ms, NoProbe)
		}
		now += 100 * ms
		ref += 2 // ~100 ms in 64 ms units, near enough
		binary.BigEndian.PutUint16(pkt[fciOffset:], seq)
		pkt[fciOffset+4], pkt[fciOffset+5], pkt[fciOffset+6] = byte(ref>>16), byte(ref>>8), byte(ref)
		tcc.BaseSequenceNumber, tcc.ReferenceTime = seq, ref
		apply(e, pkt, &tcc, now)
		seq += n
	}
}

func BenchmarkOnFeedback(b *testing.B) {
	feedbackBench(b, func(e *Estimator, pkt []byte, _ *rtcp.TransportLayerCC, now int64) {
		if err := e.OnFeedback(pkt, now); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkOnTransportCC(b *testing.B) {
	feedbackBench(b, func(e *Estimator, _ []byte, tcc *rtcp.TransportLayerCC, now int64) {
		e.OnTransportCC(tcc, now)
	})
}

// Nothing in the per-packet or per-feedback path allocates.
func TestNoAllocations(t *testing.T) {
	e, _ := New(Config{})
	now := int64(1e9)
	seq := uint16(0)
	st := make([]status, 25)
	for i := range st {
		st[i] = status{seq: uint16(i), sym: symSmallDelta, delta: 16}
	}
	pkt := encodeFeedback(st, 0, 0)
	ref := uint32(0)
	run := func() {
		for i := range 25 {
			e.OnPacketSent(seq+uint16(i), 1200, now+int64(i)*4*ms, NoProbe)
		}
		now += 100 * ms
		ref += 2
		binary.BigEndian.PutUint16(pkt[fciOffset:], seq)
		pkt[fciOffset+4], pkt[fciOffset+5], pkt[fciOffset+6] = byte(ref>>16), byte(ref>>8), byte(ref)
		_ = e.OnFeedback(pkt, now)
		e.OnTick(now)
		if c, ok := e.NextProbe(now); ok {
			_ = c
		}
		seq += 25
	}
	run() // the first call starts probing
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Errorf("%v allocations per feedback round", n)
	}
	var tcc rtcp.TransportLayerCC
	if err := tcc.Unmarshal(pkt); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(200, func() { e.OnTransportCC(&tcc, now) }); n != 0 {
		t.Errorf("%v allocations per pion-parsed feedback", n)
	}
}
