package rtpx

import (
	"testing"

	"github.com/pion/rtp"
)

func TestRewriterContinuity(t *testing.T) {
	tests := []struct {
		name string
		in   []rtp.Header // SSRC, seq, ts
		now  []int64
		seq  []uint16
		ts   []uint32
	}{
		{
			name: "one source passes through",
			in:   []rtp.Header{{SSRC: 1, SequenceNumber: 100, Timestamp: 1000}, {SSRC: 1, SequenceNumber: 101, Timestamp: 4000}},
			now:  []int64{1, 2},
			seq:  []uint16{100, 101}, ts: []uint32{1000, 4000},
		},
		{
			name: "source switch continues sequence and advances time",
			in:   []rtp.Header{{SSRC: 1, SequenceNumber: 100, Timestamp: 1000}, {SSRC: 2, SequenceNumber: 7, Timestamp: 500}},
			now:  []int64{0, 1e9 / 10}, // 100 ms later at 90 kHz = 9000 ticks
			seq:  []uint16{100, 101}, ts: []uint32{1000, 10000},
		},
		{
			name: "wrap around",
			in:   []rtp.Header{{SSRC: 1, SequenceNumber: 65535, Timestamp: 1}, {SSRC: 1, SequenceNumber: 0, Timestamp: 2}, {SSRC: 3, SequenceNumber: 500, Timestamp: 9}},
			now:  []int64{1, 2, 3},
			seq:  []uint16{65535, 0, 1}, ts: []uint32{1, 2, 3},
		},
		{
			name: "reordered packet keeps its place",
			in:   []rtp.Header{{SSRC: 1, SequenceNumber: 10, Timestamp: 10}, {SSRC: 1, SequenceNumber: 12, Timestamp: 12}, {SSRC: 1, SequenceNumber: 11, Timestamp: 11}, {SSRC: 2, SequenceNumber: 1000, Timestamp: 0}},
			now:  []int64{1, 2, 3, 4},
			seq:  []uint16{10, 12, 11, 13}, ts: []uint32{10, 12, 11, 13},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Rewriter
			for i, h := range tc.in {
				r.Rewrite(&h, 90000, tc.now[i])
				if h.SequenceNumber != tc.seq[i] || h.Timestamp != tc.ts[i] {
					t.Fatalf("packet %d: seq %d ts %d, want %d %d", i, h.SequenceNumber, h.Timestamp, tc.seq[i], tc.ts[i])
				}
			}
		})
	}
}

func TestRewriterReanchorSameSSRC(t *testing.T) {
	var r Rewriter
	h := rtp.Header{SSRC: 5, SequenceNumber: 40, Timestamp: 100}
	r.Rewrite(&h, 48000, 0)
	r.Reanchor() // a new source that happens to reuse the SSRC
	h = rtp.Header{SSRC: 5, SequenceNumber: 9000, Timestamp: 7}
	r.Rewrite(&h, 48000, 1e9/1000) // 1 ms = 48 ticks
	if h.SequenceNumber != 41 || h.Timestamp != 148 {
		t.Fatalf("got seq %d ts %d, want 41 148", h.SequenceNumber, h.Timestamp)
	}
}

// TestRewriterLatePackets: which late packets the output kept a number
// for (Holds), and which are older than their source's first packet
// forwarded (BeforeFirst), also after the sequence numbers wrapped.
func TestRewriterLatePackets(t *testing.T) {
	var r Rewriter
	h := func(ssrc uint32, seq uint16) *rtp.Header { return &rtp.Header{SSRC: ssrc, SequenceNumber: seq} }
	fwd := func(ssrc uint32, seq uint16) { r.Rewrite(h(ssrc, seq), 90000, 1) }
	fwd(1, 100)
	fwd(1, 102)       // 101 lost
	r.Skip(h(1, 103)) // dropped on purpose
	fwd(1, 105)       // 104 lost
	for seq, want := range map[uint16]bool{101: true, 104: true, 103: false, 102: true, 105: false, 106: false, 99: false} {
		if got := r.Holds(h(1, seq)); got != want {
			t.Errorf("Holds(%d) = %v, want %v", seq, got, want)
		}
	}
	if r.Holds(h(2, 101)) || r.BeforeFirst(h(1, 101)) || !r.BeforeFirst(h(1, 99)) {
		t.Error("another source's packet held, or the anchor misplaced")
	}
	fwd(2, 5000) // a layer switch: 4999 and older were numbered for source 1
	if !r.BeforeFirst(h(2, 4999)) || r.Holds(h(2, 4999)) || r.BeforeFirst(h(2, 5000)) {
		t.Error("a packet from before the switch not told apart")
	}
	for s := uint16(5001); s != 5000+40000; s++ { // past half the sequence space, and a wrap
		fwd(2, s)
	}
	if late := uint16(5000 + 39990); r.BeforeFirst(h(2, late)) {
		t.Errorf("late packet %d taken for one before the first", late)
	}
	if fwd(2, 5000+40002); !r.Holds(h(2, 5000+40001)) {
		t.Error("a late packet after a wrap not held")
	}
}
