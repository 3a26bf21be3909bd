package nackgen

import (
	"slices"
	"testing"
	"time"
)

// TestLogAsksForLostFrameEnd: the number after a packet that ends no frame
// is asked for once TailWait passed with nothing after it; not before, not
// twice, not after a frame's end. When the next frame shows it missing,
// that ask was the first: the next one waits for the retry interval.
func TestLogAsksForLostFrameEnd(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	warmFrames(l, 2) // 2–9
	l.ReceivedEnd(10, false)
	l.ReceivedEnd(11, true) // a frame's end
	l.ReceivedEnd(12, false)
	l.ReceivedEnd(13, false) // 14, the frame's end, is lost
	if got, due := l.Missing(nil, ms(4), 0), l.TailDue(); got != nil || due != int64(TailWait) {
		t.Fatalf("before TailWait: asked %v, due %v", got, due)
	}
	if got := l.Missing(nil, int64(TailWait), 0); !slices.Equal(got, []uint16{14}) {
		t.Fatalf("at TailWait: asked %v, want [14]", got)
	}
	if got, due := l.Missing(nil, ms(30), 0), l.TailDue(); got != nil || due != 0 {
		t.Fatalf("asked again %v (due %v)", got, due)
	}
	clock = ms(33)
	l.ReceivedEnd(15, true) // the next frame: 14 missing, asked at 5 ms
	if got := l.Missing(nil, ms(34), 40*time.Millisecond); got != nil {
		t.Fatalf("asked %v within the retry interval of the frame-end ask", got)
	}
	if got := l.Missing(nil, int64(TailWait)+ms(40), 40*time.Millisecond); !slices.Equal(got, []uint16{14}) {
		t.Fatalf("after the retry interval: asked %v, want [14]", got)
	}
	if got := l.Missing(nil, ms(500), 0); !slices.Equal(got, []uint16{14}) {
		t.Fatalf("a frame that ended: asked %v, want only the hole [14]", got)
	}
}

// TestLogFrameEndAskedEarly: a frame-end ask for a number the sender had
// not sent yet (its pacer still held it) costs nothing more: the packet
// arrives, nothing is missing, and it times no repair.
func TestLogFrameEndAskedEarly(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	warmFrames(l, 1) // 1–8
	l.ReceivedEnd(9, false)
	if got := l.Missing(nil, ms(6), 0); !slices.Equal(got, []uint16{10}) {
		t.Fatalf("asked %v, want [10]", got)
	}
	clock = ms(7)
	l.ReceivedEnd(10, true)
	if got := l.Missing(nil, ms(500), 0); got != nil {
		t.Fatalf("asked %v after the frame's end arrived", got)
	}
	if d := l.RepairDelay(); d != 0 {
		t.Fatalf("repair delay %v from a frame-end ask", d)
	}
	// Received (no frame information) never leaves a frame open.
	var m Log
	m.Received(1)
	if got := m.Missing(nil, int64(time.Second), 0); got != nil || m.TailDue() != 0 {
		t.Fatalf("asked %v without frame information", got)
	}
	// Nor is anything asked for before a few gaps within frames were seen.
	var n Log
	n.ReceivedEnd(1, false)
	if got := n.Missing(nil, int64(time.Second), 0); got != nil || n.TailDue() != 0 {
		t.Fatalf("asked %v before any gap within a frame was seen", got)
	}
}

// warmFrames receives four two-packet frames from seq on, their packets
// at once (a link faster than the sender's pacing).
func warmFrames(l *Log, seq uint64) {
	for i := uint64(0); i < tailGapsKnown; i++ {
		l.ReceivedEnd(seq+2*i, false)
		l.ReceivedEnd(seq+2*i+1, true)
	}
}

// TestLogFrameEndWaitsOnASlowLink: on a link whose frames come a packet
// every 16 ms (600 kbit/s), the frame's end is waited for three such gaps,
// not 5 ms: an early ask would have the sender resend what is still on
// its way.
func TestLogFrameEndWaitsOnASlowLink(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	seq := uint64(1)
	for f := 0; f < 20; f++ { // frames of 2 packets, 16 ms apart
		l.ReceivedEnd(seq, false)
		clock += ms(16)
		l.ReceivedEnd(seq+1, true)
		clock += ms(1)
		seq += 2
	}
	l.ReceivedEnd(seq, false)
	at := clock
	if got := l.Missing(nil, at+ms(30), 0); got != nil {
		t.Fatalf("asked %v 30 ms into a frame whose packets come 16 ms apart", got)
	}
	if got := l.Missing(nil, at+ms(60), 0); !slices.Equal(got, []uint16{uint16(seq + 1)}) {
		t.Fatalf("asked %v after three gaps, want [%d]", got, seq+1)
	}
}
