package egress

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/udpx"
)

// drainBatch is how many queued packets a worker holds at most: a round
// sends them all (fewer when its input runs dry before). It is room for a
// whole video frame (~8 packets) and an audio packet or two per transport
// at a fan-out of 100, so a held frame leaves as one GSO message per
// destination (hold.go).
const drainBatch = 2048

// worker is one egress goroutine and what it owns: its input ring, its
// transports and their downtracks' sending state.
type worker struct {
	s     *Scheduler
	id    int
	in    *ring
	batch *udpx.Batch // the fast path's datagrams of this round
	wake  chan struct{}
	stop  chan struct{}
	done  chan struct{}

	sleeping atomic.Bool // parked: producers must wake it
	// holdSleep: parked holding an incomplete frame; only a frame's end
	// wakes it before the hold's timer (hold.go).
	holdSleep atomic.Bool

	ctlMu   sync.Mutex // guards ctl and stopped
	ctl     []op
	stopped bool         // no more operations run
	ctlSize atomic.Int32 // len(ctl), read without the lock

	// Worker-owned.
	local    [drainBatch]item  // one round's packets
	next     [drainBatch]int32 // next packet of the same transport in local (-1: none)
	hold     frameHold         // local[:hold.n] are held for the rest of their frames (hold.go)
	runs     []*Transport      // transports of this round, in first-packet order
	round    uint64
	owned    []*Transport
	nextTick int64
	ops      []op // scratch for runOps
	rateAt   int64
	rateN    uint64

	transports atomic.Int64
	rate       atomic.Uint64 // packets in the last second
	packets    atomic.Uint64
	overflows  atomic.Uint64
	wakeups    atomic.Uint64
	sendErrors atomic.Uint64
}

// op is a control operation run on the worker: attach or detach a
// transport, answer a NACK.
type op struct {
	kind opKind
	t    *Transport
	d    *Downtrack
	nack *rtcp.TransportLayerNack
	rtcp []rtcp.Packet
	fast *FastPath
	done chan struct{} // closed when run, or when the worker stops (nil: nobody waits)
}

type opKind uint8

const (
	opAttach opKind = iota
	opDetach
	opNACK
	opRTCP
	opFast
)

func newWorker(s *Scheduler, id int) *worker {
	w := &worker{s: s, id: id, in: newRing(s.cfg.QueueItems), wake: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	w.batch = udpx.NewBatch(udpx.BatchOptions{OnError: w.sendError})
	return w
}

// sendError counts datagrams the kernel refused (a destination gone, a
// full socket buffer): they are lost like any UDP datagram.
func (w *worker) sendError(_ *udpx.Dest, datagrams int, _ error) {
	w.sendErrors.Add(uint64(datagrams))
}

// signal wakes the worker if it sleeps.
func (w *worker) signal() {
	if w.sleeping.Load() {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// post queues a control operation; false once the worker stopped.
func (w *worker) post(o op) bool {
	w.ctlMu.Lock()
	if w.stopped {
		w.ctlMu.Unlock()
		return false
	}
	w.ctl = append(w.ctl, o)
	w.ctlSize.Store(int32(len(w.ctl)))
	w.ctlMu.Unlock()
	w.signal()
	return true
}

// fullRetries is how many times enqueue yields to the worker before it
// drops a packet for a full queue.
const fullRetries = 3

// enqueue hands a packet to the worker; false when its queue stays full.
func (w *worker) enqueue(it item) bool {
	// Read the packet before handing it over: once pushed, the worker may
	// send and release it at any moment.
	endsFrame := endsVideoFrame(it)
	for try := 0; !w.in.push(it); try++ {
		if try == fullRetries {
			w.overflows.Add(1)
			return false
		}
		// Full: a producer that got far ahead of the worker (a burst read
		// after the process was not scheduled for a while, on a shared
		// core). Let the worker run before dropping: a dropped video
		// packet costs its sinks a wait for the next keyframe.
		w.signal()
		runtime.Gosched()
	}
	if w.sleeping.Load() && w.wakes(endsFrame) {
		w.signal()
	}
	return true
}

func (w *worker) run() {
	defer close(w.done)
	defer w.shutdown()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	spins := 0
	for {
		w.runOps()
		n := w.drain()
		now := w.s.cfg.Now()
		if len(w.owned) > 0 && now >= w.nextTick {
			w.tick(now)
		}
		if n > 0 || w.ctlSize.Load() > 0 {
			spins = 0
			continue
		}
		if !w.in.empty() {
			// A producer is between taking a slot and filling it.
			if spins++; spins > 64 {
				runtime.Gosched()
			}
			continue
		}
		spins = 0
		w.holdSleep.Store(w.hold.open > 0 && w.s.cfg.FrameHold > 0)
		w.sleeping.Store(true)
		if !w.in.empty() || w.ctlSize.Load() > 0 {
			w.sleeping.Store(false)
			continue
		}
		var tc <-chan time.Time
		if len(w.owned) > 0 || w.hold.n > 0 {
			timer.Reset(w.sleepFor(now))
			tc = timer.C
		}
		select {
		case <-w.wake:
			w.wakeups.Add(1)
		case <-tc:
		case <-w.stop:
			w.sleeping.Store(false)
			return
		}
		w.sleeping.Store(false)
		if tc != nil && !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
	}
}

// drain takes what is queued and sends it, unless a video frame is still
// arriving: then the packets stay held (hold.go) until the frame is
// complete, the hold's deadline passes or drainBatch packets are held. It
// returns how many packets it took. The packets of one transport are sent
// together (in their order): consecutive datagrams to one destination
// become one GSO message. Order only matters within a transport (a sink's
// stream, the transport-wide sequence numbers).
func (w *worker) drain() int {
	n := w.collect()
	if w.hold.n == 0 || w.holding() {
		return n
	}
	w.sendHeld()
	return n
}

// sendHeld sends the held packets, grouped by transport.
func (w *worker) sendHeld() {
	n := w.hold.n
	w.round++
	runs := w.runs[:0]
	for i := 0; i < n; i++ {
		t := w.local[i].dt.t
		w.next[i] = -1
		if t.round != w.round {
			t.round, t.runHead, t.runTail = w.round, int32(i), int32(i)
			runs = append(runs, t)
			continue
		}
		w.next[t.runTail] = int32(i)
		t.runTail = int32(i)
	}
	now := w.s.cfg.Now()
	for _, t := range runs {
		for i := t.runHead; i >= 0; i = w.next[i] {
			it := &w.local[i]
			it.dt.frameOpen = false
			it.dt.process(*it, now)
			it.buf.Release()
			*it = item{}
		}
	}
	clear(runs)
	w.runs = runs[:0]
	w.hold.n, w.hold.open = 0, 0
	w.packets.Add(uint64(n))
	w.rateN += uint64(n)
	w.flush()
}

// flush sends the batch: as soon as the worker's input is drained (or the
// batch is full, inside Reserve) — never waiting to fill it, so batching
// adds at most one round's work to any packet's latency.
func (w *worker) flush() {
	if w.batch.Len() > 0 {
		_ = w.batch.Flush() // failures are counted by sendError
	}
}

// runOps runs the control operations posted since the last round.
func (w *worker) runOps() {
	if w.ctlSize.Load() == 0 {
		return
	}
	w.ctlMu.Lock()
	w.ops, w.ctl = w.ctl, w.ops[:0]
	w.ctlSize.Store(0)
	w.ctlMu.Unlock()
	now := w.s.cfg.Now()
	for i := range w.ops {
		o := &w.ops[i]
		switch o.kind {
		case opAttach:
			w.owned = append(w.owned, o.t)
			w.transports.Store(int64(len(w.owned)))
			if len(w.owned) == 1 {
				w.nextTick = now
			}
		case opDetach:
			o.t.detached = true
			if h, ok := o.t.p.Hooks.(Detacher); ok {
				h.OnDetach()
			}
			// slices.Delete clears the slot it frees: a stale pointer past
			// len would keep a released transport (and its endpoint) alive.
			if j := slices.Index(w.owned, o.t); j >= 0 {
				w.owned = slices.Delete(w.owned, j, j+1)
			}
			w.transports.Store(int64(len(w.owned)))
		case opNACK:
			if !o.d.t.detached {
				o.d.onNACK(o.nack, now)
			}
		case opRTCP:
			if !o.t.detached {
				o.t.onRTCP(o.rtcp, now)
			}
		case opFast:
			if !o.t.detached {
				o.t.setFast(o.fast)
			}
		}
		if o.done != nil {
			close(o.done)
		}
		*o = op{}
	}
	w.ops = w.ops[:0]
	w.flush()
}

// tick runs the timers of the worker's transports.
func (w *worker) tick(now int64) {
	w.nextTick = now + int64(w.s.cfg.Tick)
	if now-w.rateAt >= int64(time.Second) {
		w.rate.Store(w.rateN)
		w.rateAt, w.rateN = now, 0
	}
	for _, t := range w.owned {
		t.tick(now)
	}
	w.flush()
}

// shutdown releases what is still queued and answers waiting operations
// once the scheduler stops.
func (w *worker) shutdown() {
	for _, t := range w.owned {
		if h, ok := t.p.Hooks.(Detacher); ok {
			h.OnDetach()
		}
	}
	for i := range w.local[:w.hold.n] {
		w.local[i].buf.Release()
		w.local[i] = item{}
	}
	w.hold.n = 0
	for {
		it, ok := w.in.pop()
		if !ok {
			break
		}
		it.buf.Release()
	}
	w.ctlMu.Lock()
	w.stopped = true
	for _, o := range w.ctl {
		if o.done != nil {
			close(o.done)
		}
	}
	w.ctl = nil
	w.ctlSize.Store(0)
	w.ctlMu.Unlock()
}

// monotime is the default clock: the pipelines' real clock.
func monotime() int64 { return media.Monotime() }
