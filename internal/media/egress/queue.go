package egress

import (
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
)

// item is one packet for one downtrack: a reference to the packet's
// buffer and the source generation it was enqueued under.
type item struct {
	dt  *Downtrack
	buf *media.PacketBuf
	gen uint32
}

// slot is one cell of the ring: seq tells producers and the consumer whose
// turn it is (Vyukov's bounded MPMC queue, used with one consumer).
type slot struct {
	seq atomic.Uint64
	it  item
}

// ring is a worker's input: a bounded multi-producer, single-consumer FIFO
// of preallocated slots. Producers (the goroutines pushing packets through
// the graph) never block and never allocate: a full ring refuses the item.
type ring struct {
	slots []slot
	mask  uint64
	_     [56]byte // keep the producers' and the consumer's counters on separate cache lines
	enq   atomic.Uint64
	_     [56]byte
	deq   uint64 // consumer only
}

func newRing(size int) *ring {
	n := 1
	for n < size {
		n <<= 1
	}
	r := &ring{slots: make([]slot, n), mask: uint64(n - 1)}
	for i := range r.slots {
		r.slots[i].seq.Store(uint64(i))
	}
	return r
}

// push appends it; false when the ring is full.
func (r *ring) push(it item) bool {
	pos := r.enq.Load()
	for {
		s := &r.slots[pos&r.mask]
		seq := s.seq.Load()
		switch d := int64(seq) - int64(pos); {
		case d == 0:
			if r.enq.CompareAndSwap(pos, pos+1) {
				s.it = it
				s.seq.Store(pos + 1)
				return true
			}
			pos = r.enq.Load()
		case d < 0:
			return false // full
		default:
			pos = r.enq.Load()
		}
	}
}

// pop removes the oldest item; false when the ring is empty (or the next
// item is still being written).
func (r *ring) pop() (item, bool) {
	s := &r.slots[r.deq&r.mask]
	if s.seq.Load() != r.deq+1 {
		return item{}, false
	}
	it := s.it
	s.it = item{}
	s.seq.Store(r.deq + r.mask + 1)
	r.deq++
	return it, true
}

// empty reports whether nothing is queued (consumer only; a push in
// progress may still land).
func (r *ring) empty() bool {
	return r.slots[r.deq&r.mask].seq.Load() != r.deq+1 && r.enq.Load() == r.deq
}
