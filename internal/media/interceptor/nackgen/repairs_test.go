package nackgen

import (
	"testing"
	"time"
)

// TestLogCountsRepairs: Repairs counts the packets that arrived after they
// were asked for, not those that came late unasked nor those given up.
func TestLogCountsRepairs(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	l.Received(1)
	l.Received(4) // 2 and 3 missing
	l.Received(3) // late before any ask: no repair
	if n, d := l.Repairs(); n != 0 || d != 0 {
		t.Fatalf("before any ask: %d repairs, delay %v", n, d)
	}
	l.Missing(nil, 0, retry) // asks for 2
	clock = ms(40)
	l.Received(2)
	if n, d := l.Repairs(); n != 1 || d != 40*time.Millisecond {
		t.Fatalf("after one repair: %d repairs, delay %v; want 1, 40ms", n, d)
	}
	l.Received(6) // 5 missing
	l.Abandon()
	l.Received(5)
	if n, _ := l.Repairs(); n != 1 {
		t.Errorf("a packet given up and arriving later counted: %d repairs, want 1", n)
	}
}
