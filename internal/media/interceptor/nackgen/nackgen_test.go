package nackgen

import (
	"slices"
	"testing"
)

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
		{"gives up after MaxTries", []uint64{1, 3}, [][]uint16{{2}, {2}, {2}, {2}, {2}, nil}},
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
				_ = l.Missing(nil)
				l.Received(101)
				l.Received(102)
				if got := l.Missing(nil); got != nil {
					t.Fatalf("after the repair: %v", got)
				}
				return
			}
			for i, want := range tc.asks {
				if got := l.Missing(nil); !slices.Equal(got, want) {
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
	got := l.Missing(nil)
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

func TestReceivedAllocatesNothing(t *testing.T) {
	var l Log
	e := uint64(0)
	if n := testing.AllocsPerRun(1000, func() { e++; l.Received(e) }); n != 0 {
		t.Fatalf("%v allocations per packet", n)
	}
}
