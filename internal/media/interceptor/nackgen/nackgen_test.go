package nackgen

import (
	"slices"
	"testing"
	"time"
)

// retry is the tests' interval between two asks for one packet; ask is
// every ask of a table at a time after it.
const retry = 100 * time.Millisecond

func ask(l *Log, n int) []uint16 { return l.Missing(nil, int64(n)*int64(retry), retry) }

func TestLog(t *testing.T) {
	tests := []struct {
		name     string
		received []uint64
		asks     [][]uint16 // what each successive Missing returns
	}{
		{"nothing yet", nil, [][]uint16{nil}},
		{"in order", []uint64{100, 101, 102}, [][]uint16{nil}},
		{"one gap", []uint64{100, 101, 103}, [][]uint16{{102}, {102}}},
		{"repaired after one ask", []uint64{100, 103}, [][]uint16{{101, 102}}},
		{"across the 16-bit wrap", []uint64{65534, 65537}, [][]uint16{{65535, 0}}},
		{"gives up after MaxTries", []uint64{1, 3}, [][]uint16{{2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, {2}, nil}},
		{"a jump starts a new run", []uint64{1, 2000, 2002}, [][]uint16{{2001}}},
		{"late packets before the run are not asked for", []uint64{10, 5, 12}, [][]uint16{{11}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var l Log
			for _, e := range tc.received {
				l.Received(e)
			}
			if tc.name == "repaired after one ask" {
				_ = ask(&l, 1)
				l.Received(101)
				l.Received(102)
				if got := ask(&l, 2); got != nil {
					t.Fatalf("after the repair: %v", got)
				}
				return
			}
			for i, want := range tc.asks {
				// A second apart: every re-ask is due (the backoff stops at a second).
				if got := l.Missing(nil, int64(i+1)*int64(time.Second), retry); !slices.Equal(got, want) {
					t.Fatalf("ask %d: %v, want %v", i, got, want)
				}
			}
		})
	}
}

// A 600-packet window that slides keeps asking only for what it misses.
func TestLogSlides(t *testing.T) {
	var l Log
	for e := uint64(0); e < 2000; e++ {
		if e%100 == 7 {
			continue
		}
		l.Received(e)
	}
	got := ask(&l, 1)
	want := []uint16{1507, 1607, 1707, 1807, 1907}
	if !slices.Equal(got, want) {
		t.Fatalf("missing %v, want %v", got, want)
	}
	n := NACK(1, 2, got)
	if n.MediaSSRC != 2 || len(n.Nacks) != 5 {
		t.Fatalf("nack %+v", n)
	}
	if NACK(1, 2, nil) != nil {
		t.Fatal("an empty NACK")
	}
}

// A packet is asked for again only a retry interval after the last ask
// (a sender ignores asks within a round trip of its resend), twice that
// after the second; a new gap is asked for at once.
func TestLogRetryInterval(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	l.Received(1)
	l.Received(3)
	steps := []struct {
		at   int64
		recv uint64
		want []uint16
	}{
		{ms(0), 0, []uint16{2}},
		{ms(20), 0, nil},             // within the round trip
		{ms(250), 6, []uint16{4, 5}}, // a new gap at once; 2 not due yet (250 < 300)
		{ms(300), 0, []uint16{2}},    // a round trip after its first ask
		{ms(400), 0, nil},            // 4 and 5 wait for theirs
		{ms(550), 0, []uint16{4, 5}},
		{ms(600), 2, nil},             // 2 repaired, 600 ms after its first ask
		{ms(900), 0, nil},             // 2 never again; 4 and 5 wait for twice the repair delay (600 ms)
		{ms(1150), 0, nil},            // their third ask: not one repair delay after the second
		{ms(1750), 0, []uint16{4, 5}}, // but two
	}
	for i, s := range steps {
		clock = s.at
		if s.recv != 0 {
			l.Received(s.recv)
		}
		got := l.Missing(nil, s.at, 300*time.Millisecond)
		if !slices.Equal(got, s.want) {
			t.Fatalf("step %d at %d ms: %v, want %v", i, s.at/1e6, got, s.want)
		}
	}
}

func TestReceivedAllocatesNothing(t *testing.T) {
	var l Log
	e := uint64(0)
	if n := testing.AllocsPerRun(1000, func() { e++; l.Received(e) }); n != 0 {
		t.Fatalf("%v allocations per packet", n)
	}
}

func TestReceivedReportsGap(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []uint64
		want []bool
	}{
		{"in order", []uint64{100, 101, 102}, []bool{false, false, false}},
		{"one lost", []uint64{100, 101, 103}, []bool{false, false, true}},
		{"late repair closes, no new gap", []uint64{100, 102, 101, 103}, []bool{false, true, false, false}},
		{"duplicate", []uint64{100, 101, 101}, []bool{false, false, false}},
		{"jump past the window is a new run", []uint64{100, 100 + Window + 5}, []bool{false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l Log
			for i, s := range tc.seqs {
				if got := l.Received(s); got != tc.want[i] {
					t.Errorf("Received(%d) = %v, want %v", s, got, tc.want[i])
				}
			}
		})
	}
}

// TestLogWaitsForSlowRepairs: repairs that take 300 ms (an uplink whose
// queue is full) are not asked for again every 100 ms: each ask made the
// sender resend once more, and the copies filled the uplink.
func TestLogWaitsForSlowRepairs(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	l.Received(1)
	l.Received(3) // 2 missing
	if got := l.Missing(nil, 0, retry); !slices.Equal(got, []uint16{2}) {
		t.Fatalf("first ask %v", got)
	}
	clock = int64(300 * time.Millisecond)
	l.Received(2) // repaired 300 ms after the ask
	if d := l.RepairDelay(); d != 300*time.Millisecond {
		t.Fatalf("repair delay %v, want 300 ms", d)
	}
	l.Received(5) // 4 missing
	asks := 0
	for ms := int64(300); ms < 900; ms += 20 {
		if got := l.Missing(nil, ms*int64(time.Millisecond), retry); len(got) > 0 {
			asks++
		}
	}
	if asks != 2 { // at 300 ms (first) and 600 ms (a repair delay later), not every 100 ms
		t.Errorf("packet 4 asked for %d times in 600 ms with repairs taking 300 ms, want 2", asks)
	}
}

// TestRecentMissing: the newest packets missing, counted over the last n
// below the newest one, and only within the run.
func TestRecentMissing(t *testing.T) {
	var l Log
	if m, span := l.RecentMissing(64); m != 0 || span != 0 {
		t.Fatalf("nothing received: %d of %d", m, span)
	}
	for e := uint64(100); e < 120; e++ {
		l.Received(e)
	}
	if m, span := l.RecentMissing(64); m != 0 || span != 19 {
		t.Fatalf("20 in order: %d missing of %d, want 0 of 19", m, span)
	}
	for e := uint64(120); e < 300; e++ {
		if e%5 == 0 || e < 200 { // from 200, four in five lost (a drop-tail queue overflowing)
			l.Received(e)
		}
	}
	if m, span := l.RecentMissing(64); m != 52 || span != 64 {
		t.Errorf("80 %% lost: %d missing of %d, want 52 of 64", m, span)
	}
	if m, span := l.RecentMissing(200); m != 76 || span != 195 {
		t.Errorf("whole run: %d missing of %d, want 76 of 195", m, span)
	}
}

// TestLogBacksOffWhenRepairsSlowDown: repairs took 5 ms, then the sender's
// uplink queue fills and they take 300 ms. Until the measured delay catches
// up, a lost packet is asked for on a short interval, but every ask after
// the second waits twice as long as the one before: at most as many asks
// in the first 300 ms as the 100 ms default made (at 0, 100, 200 and 300
// ms), not one every 40 ms.
func TestLogBacksOffWhenRepairsSlowDown(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	l.Received(1)
	l.Received(3)
	l.Missing(nil, 0, 0)
	clock = ms(5)
	l.Received(2) // repaired in 5 ms
	l.Received(5) // 4 missing; its repairs now take 300 ms
	asks := 0
	for now := ms(5); now < ms(305); now += ms(4) { // gap passes and ticks
		clock = now
		if got := l.Missing(nil, now, 0); len(got) > 0 {
			asks++
		}
	}
	if asks > 4 {
		t.Errorf("packet 4 asked for %d times in 300 ms, want ≤ 4", asks)
	}
}

// TestLogRetryFloor: however short repairs are, a packet is not asked for
// again sooner than MinRetry (repairs of 5 ms measured, a repair that takes
// 8 ms is not asked for twice).
func TestLogRetryFloor(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	l.Received(1)
	l.Received(3)
	l.Missing(nil, 0, 0)
	clock = ms(5)
	l.Received(2)
	l.Received(5)
	l.Missing(nil, ms(5), 0) // 4, first ask
	for now := ms(6); now < ms(5)+int64(MinRetry); now += ms(1) {
		if got := l.Missing(nil, now, 0); len(got) > 0 {
			t.Fatalf("asked again %d ms after the first ask", (now-ms(5))/ms(1))
		}
	}
	if got := l.Missing(nil, ms(5)+int64(MinRetry), 0); !slices.Equal(got, []uint16{4}) {
		t.Fatalf("%v at MinRetry, want [4]", got)
	}
}

// TestLogRepairOutlier: one repair far slower than the others (it followed
// a lost one, or a late copy filled the hole) moves the repair delay a
// little, while a queue that fills for good (every repair 300 ms) is
// learned within a few repairs.
func TestLogRepairOutlier(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	next := uint64(1)
	l.Received(next)
	repair := func(after int64) { // one loss, asked at clock, repaired after
		l.Received(next + 2)
		l.Missing(nil, clock, 0)
		clock += ms(after)
		l.Received(next + 1)
		next += 2
	}
	for range 8 {
		repair(5)
	}
	repair(1000)
	if d := l.RepairDelay(); d > 40*time.Millisecond {
		t.Fatalf("repair delay %v after one 1 s repair among 5 ms ones, want ≤ 40 ms", d)
	}
	for range 6 {
		repair(300)
	}
	if d := l.RepairDelay(); d < 200*time.Millisecond {
		t.Fatalf("repair delay %v after six 300 ms repairs, want ≥ 200 ms", d)
	}
}

// TestLogAbandon: packets given up are never asked for, and one that
// arrives later (a copy) is no repair to time; later losses are asked for.
func TestLogAbandon(t *testing.T) {
	var clock int64
	l := logAt(&clock)
	l.Received(1)
	l.Received(3)
	l.Abandon()
	if got := l.Missing(nil, 0, 0); got != nil {
		t.Fatalf("asked %v after Abandon", got)
	}
	clock = int64(time.Second)
	l.Received(2)
	if d := l.RepairDelay(); d != 0 {
		t.Fatalf("repair delay %v from an abandoned packet", d)
	}
	l.Received(5)
	if got := l.Missing(nil, clock, 0); !slices.Equal(got, []uint16{4}) {
		t.Fatalf("asked %v, want [4]", got)
	}
}

// logAt is a Log whose repair timing reads *clock (ns).
func logAt(clock *int64) *Log {
	l := &Log{}
	l.clock = func() int64 { return *clock }
	return l
}

// ms is n milliseconds in ns.
func ms(n int64) int64 { return n * int64(time.Millisecond) }
