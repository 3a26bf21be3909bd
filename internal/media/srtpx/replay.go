package srtpx

import "fmt"

// replayWindow remembers which of the last len(bits)*64 packet indexes were
// accepted (RFC 3711 §3.3.2). The bitmap is a ring: index i is bit i mod
// size, and moving the top forward clears the bits it passes, so an in-order
// packet costs O(1), not a shift of the whole window.
type replayWindow struct {
	started bool
	top     uint64   // highest accepted index
	bits    []uint64 // ring bitmap, len(bits)*64 indexes
}

func newReplayWindow(packets int) replayWindow {
	return replayWindow{bits: make([]uint64, packets/64)}
}

func (w *replayWindow) size() uint64 { return uint64(len(w.bits)) * 64 }

func (w *replayWindow) has(i uint64) bool {
	pos := i % w.size()
	return w.bits[pos/64]&(1<<(pos%64)) != 0
}

// check says whether index i may be accepted; it changes nothing, so a
// packet that then fails authentication leaves no trace.
func (w *replayWindow) check(i uint64) error {
	switch {
	case !w.started || i > w.top:
		return nil
	case w.top-i >= w.size():
		return fmt.Errorf("%w: index %d, newest %d", ErrTooOld, i, w.top)
	case w.has(i):
		return fmt.Errorf("%w: index %d", ErrReplay, i)
	}
	return nil
}

// accept records index i (after check passed and the packet authenticated).
func (w *replayWindow) accept(i uint64) {
	switch {
	case !w.started:
		w.started, w.top = true, i
		clear(w.bits)
	case i > w.top:
		if i-w.top >= w.size() {
			clear(w.bits)
		} else {
			w.clearRange(w.top+1, i)
		}
		w.top = i
	}
	pos := i % w.size()
	w.bits[pos/64] |= 1 << (pos % 64)
}

// clearRange clears the bits of indexes from..to (to-from < size), whole
// words at a time where it can.
func (w *replayWindow) clearRange(from, to uint64) {
	for i := from; i <= to; {
		pos := i % w.size()
		if pos%64 == 0 && to-i >= 63 {
			w.bits[pos/64] = 0
			i += 64
			continue
		}
		w.bits[pos/64] &^= 1 << (pos % 64)
		i++
	}
}

// maxIndex is the number of SRTP packets one key may protect (RFC 3711 §3.3.1).
const maxIndex = 1 << 48

// estimateIndex is the packet index of RFC 3711 §3.3.1 and Appendix A: of
// the indexes whose low 16 bits are seq, the one nearest the highest index
// seen so far (top). Before the first rollover, a sequence number "behind"
// top by more than half the space cannot belong to a previous rollover, so it
// is taken as ahead (as libsrtp and pion/srtp do).
func estimateIndex(top uint64, seq uint16) uint64 {
	d := int64(int16(seq - uint16(top)))
	i := int64(top) + d
	if i < 0 {
		i += 1 << 16
	}
	return uint64(i)
}
