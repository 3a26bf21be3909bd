package impair

import (
	"container/heap"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// maxDatagram bounds what a pipe copies per packet (TURN's inbound MTU is 1600).
const maxDatagram = 2048

// timerSlack: Go timers on Linux fire late by ~0.7 ms at the median (the
// netpoller waits in whole milliseconds), so held packets are released that
// much early, centring the delay error on zero instead of +0.7 ms per hop.
const timerSlack = 700 * time.Microsecond

var bufPool = sync.Pool{New: func() any { b := make([]byte, maxDatagram); return &b }}

// verdict is what submit decided for one packet.
type verdict int

const (
	verdictLost verdict = iota // lost: nothing more to do
	verdictNow                 // deliver it now, in the caller (no delay, nothing queued ahead)
	verdictHeld                // copied; the pipe's goroutine delivers it when due
)

// DirStats counts the packets of one direction.
type DirStats struct {
	Packets uint64 `json:"packets"` // offered to the link
	Bytes   uint64 `json:"bytes"`
	Dropped uint64 `json:"dropped"` // lost on purpose (the profile)
	Delayed uint64 `json:"delayed"` // held back and delivered later
	Queued  int    `json:"queued"`  // held back right now
	// Overflow counts packets lost because the reader did not keep up (not
	// part of the profile; should stay 0).
	Overflow uint64 `json:"overflow"`
}

// pipe carries one direction's packets through a fate: it drops some and
// delivers the others when due, from one goroutine with one timer (no
// goroutine per packet). deliver runs on that goroutine, outside the lock.
type pipe struct {
	deliver func(b []byte, to net.Addr)
	base    time.Time
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}

	mu     sync.Mutex // guards fate, queue, seq, last
	fate   fate
	queue  dueHeap
	seq    uint64
	last   time.Duration // due time of the newest packet (order kept unless Reorder)
	closed bool

	packets, bytes, drops, delayed, overflow atomic.Uint64
}

func newPipe(p Profile, deliver func([]byte, net.Addr)) *pipe {
	pp := &pipe{deliver: deliver, base: time.Now(), fate: newFate(p),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go pp.run()
	return pp
}

func (p *pipe) setProfile(pr Profile) {
	p.mu.Lock()
	p.fate = newFate(pr)
	p.mu.Unlock()
}

func (p *pipe) profile() Profile {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fate.p
}

// submit decides the fate of b. When it returns verdictHeld, b was copied.
func (p *pipe) submit(b []byte, to net.Addr) verdict {
	p.packets.Add(1)
	p.bytes.Add(uint64(len(b)))
	p.mu.Lock()
	if p.closed || p.fate.drop() {
		p.mu.Unlock()
		p.drops.Add(1)
		return verdictLost
	}
	t := time.Since(p.base)
	due := t + p.fate.delay(t)
	if !p.fate.p.Reorder && due < p.last {
		due = p.last
	}
	if due <= t && len(p.queue) == 0 {
		p.last = t
		p.mu.Unlock()
		return verdictNow
	}
	bp := bufPool.Get().(*[]byte)
	if len(b) > len(*bp) {
		nb := make([]byte, len(b))
		bp = &nb
	}
	n := copy(*bp, b)
	p.seq++
	heap.Push(&p.queue, item{due: due, seq: p.seq, buf: bp, n: n, to: to})
	p.last = max(p.last, due)
	p.mu.Unlock()
	p.delayed.Add(1)
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return verdictHeld
}

func (p *pipe) run() {
	defer close(p.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		p.mu.Lock()
		for len(p.queue) > 0 && p.queue[0].due <= time.Since(p.base)+timerSlack {
			it := heap.Pop(&p.queue).(item)
			p.mu.Unlock()
			p.deliver((*it.buf)[:it.n], it.to)
			if cap(*it.buf) == maxDatagram {
				bufPool.Put(it.buf)
			}
			p.mu.Lock()
		}
		wait := time.Duration(-1)
		if len(p.queue) > 0 {
			wait = max(p.queue[0].due-time.Since(p.base)-timerSlack, 0)
		}
		p.mu.Unlock()
		var tc <-chan time.Time
		if wait >= 0 {
			timer.Reset(wait)
			tc = timer.C
		}
		select {
		case <-tc:
		case <-p.wake:
		case <-p.stop:
			return
		}
	}
}

// close stops the goroutine; packets still queued are lost.
func (p *pipe) close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.queue = nil
	p.mu.Unlock()
	close(p.stop)
	<-p.done
}

func (p *pipe) stats() DirStats {
	p.mu.Lock()
	q := len(p.queue)
	p.mu.Unlock()
	return DirStats{Packets: p.packets.Load(), Bytes: p.bytes.Load(), Dropped: p.drops.Load(),
		Delayed: p.delayed.Load(), Queued: q, Overflow: p.overflow.Load()}
}

type item struct {
	due time.Duration
	seq uint64 // FIFO among equal due times
	buf *[]byte
	n   int
	to  net.Addr
}

// dueHeap is a min-heap of items by due time, then by arrival.
type dueHeap []item

func (h dueHeap) Len() int { return len(h) }
func (h dueHeap) Less(i, j int) bool {
	if h[i].due != h[j].due {
		return h[i].due < h[j].due
	}
	return h[i].seq < h[j].seq
}
func (h dueHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)   { *h = append(*h, x.(item)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = item{}
	*h = old[:len(old)-1]
	return it
}
