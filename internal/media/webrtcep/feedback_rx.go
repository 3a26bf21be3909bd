package webrtcep

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/interceptor/nackgen"
)

// Feedback about received streams when the endpoint reads them itself
// (Config.DirectInbound, direct.go): Pion's NACK generator and receiver
// report interceptors are not registered, since they would see only the
// packets of Pion's path; this tick sends both for every received stream,
// and the transport-cc feedback (twccrx) as often as Pion's interceptor did.

// Intervals of the receive feedback. NACKs are asked for on a short tick,
// so a gap is asked for soon after it shows (libwebrtc asks at once; Pion's
// generator waited for its 100 ms tick, 50 ms on average), and again a
// round trip later (nackgen); transport-cc feedback every 100 ms and
// receiver reports once a second, as Pion's interceptors send them.
const (
	nackInterval   = 20 * time.Millisecond
	twccInterval   = 100 * time.Millisecond
	reportInterval = time.Second
	// A round trip measured from reports is bounded by minRetry and
	// maxRetry to serve as the NACK retry interval (nackgen: without one,
	// the repair delay it measures, or its default).
	minRetry = 2 * nackInterval
	maxRetry = time.Second
)

// rxTicker sends the receive feedback of every endpoint that receives,
// from one goroutine of the engine: one timer wake-up per tick for the
// whole server instead of one per endpoint (Pion's interceptors had three).
// While no endpoint receives, it sleeps.
type rxTicker struct {
	mu       sync.Mutex // guards eps; held while ticking, so unregister waits for a tick in progress
	eps      map[*Endpoint]*rxFeedbackState
	interval time.Duration // of the tick: nackInterval but in tests
	wake     chan struct{} // an endpoint registered
	gaps     chan struct{} // a received stream lost packets: NACK now (gap)
	tailAt   atomic.Int64  // when a frame left open is due to be asked for (ns; 0: none; wakeAt)
	rearm    chan struct{} // tailAt moved earlier
	stop     chan struct{}
	done     chan struct{}
}

// rxFeedbackState is one endpoint's feedback scratch and tick counter
// (reused every tick: a tick allocates nothing but the RTCP it sends).
type rxFeedbackState struct {
	sender  uint32 // our SSRC as the reporter, as Pion's interceptors pick one
	n       int
	retry   time.Duration // NACK retry interval: the measured round trip (0: none)
	streams []*rxStream
	seqs    []uint16
	pkts    []rtcp.Packet

	// repairsUntil: the uplink counts as needing repairs until then (playout.go; 0: it does not).
	repairsUntil int64
}

func newRxTicker(interval time.Duration) *rxTicker {
	t := &rxTicker{interval: interval, eps: map[*Endpoint]*rxFeedbackState{}, wake: make(chan struct{}, 1), gaps: make(chan struct{}, 1),
		rearm: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return t
}

// register starts the feedback of w (from its first received stream).
func (t *rxTicker) register(w *Endpoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.eps[w] == nil {
		t.eps[w] = &rxFeedbackState{sender: rand.Uint32()}
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// gap asks for a NACK pass now: a received stream has just lost packets.
// A viewer's jitter buffer is sized to its own short path: a repair asked
// for on the next 20 ms tick can come after it has skipped the frame (VP8
// temporal layers 1–2 are not waited for), as LiveKit and libwebrtc ask at
// once. Passes coalesce (one pending at most); the per-packet retry rule
// keeps a packet from being asked for twice within a round trip.
func (t *rxTicker) gap() {
	if t == nil { // an engine without the direct path's feedback (tests, fuzzing)
		return
	}
	select {
	case t.gaps <- struct{}{}:
	default:
	}
}

// wakeAt asks for a NACK pass at at (ns, wall clock): a received video
// frame is open, and its end is asked for if nothing follows by then
// (nackgen.TailWait). Cheap per packet: one atomic load while an earlier
// pass is due.
func (t *rxTicker) wakeAt(at int64) {
	if t == nil || at == 0 {
		return
	}
	for {
		cur := t.tailAt.Load()
		if cur != 0 && cur <= at {
			return
		}
		if t.tailAt.CompareAndSwap(cur, at) {
			break
		}
	}
	select {
	case t.rearm <- struct{}{}:
	default:
	}
}

// unregister stops the feedback of w; no tick uses w after it returns.
func (t *rxTicker) unregister(w *Endpoint) {
	t.mu.Lock()
	delete(t.eps, w)
	t.mu.Unlock()
}

// close stops the goroutine and waits for it.
func (t *rxTicker) close() {
	close(t.stop)
	<-t.done
}

func (t *rxTicker) run() {
	defer close(t.done)
	tk := time.NewTicker(t.interval)
	defer tk.Stop()
	tail := time.NewTimer(time.Hour)
	tail.Stop()
	defer tail.Stop()
	nacks := func() {
		t.mu.Lock()
		now := time.Now()
		for w, st := range t.eps {
			w.rxNACKs(st, now)
		}
		t.mu.Unlock()
	}
	for {
		select {
		case <-t.stop:
			return
		case <-t.gaps:
			nacks()
			continue
		case <-t.rearm:
			if at := t.tailAt.Load(); at != 0 {
				tail.Reset(time.Until(time.Unix(0, at)))
			}
			continue
		case <-tail.C:
			t.tailAt.Store(0)
			nacks()
			continue
		case <-tk.C:
		}
		t.mu.Lock()
		now := time.Now()
		for w, st := range t.eps {
			w.rxFeedback(st, now)
		}
		idle := len(t.eps) == 0
		t.mu.Unlock()
		if idle {
			tk.Stop()
			select {
			case <-t.stop:
				return
			case <-t.wake:
			}
			tk.Reset(t.interval)
		}
	}
}

// rxFeedback sends one tick's NACKs and, when due, transport-cc feedback
// and receiver reports.
func (w *Endpoint) rxFeedback(st *rxFeedbackState, now time.Time) {
	pc := w.pcRef.Load()
	if pc == nil {
		return
	}
	st.n++
	report := st.n%int(reportInterval/nackInterval) == 0
	if report {
		st.retry = w.nackRetry()
	}
	w.collectNACKs(st, now)
	if report {
		w.noteRepairs(st, media.Monotime()) // playout.go
	}
	if r := w.twcc.Load(); r != nil && st.n%int(twccInterval/nackInterval) == 0 {
		st.pkts = append(st.pkts, r.Feedback()...)
	}
	if report {
		if rr := w.receiverReport(st.sender, st.streams, now); rr != nil {
			st.pkts = append(st.pkts, rr)
		}
	}
	if len(st.pkts) > 0 {
		if err := pc.WriteRTCP(st.pkts); err != nil {
			w.log.Debug("receive feedback", "err", err)
		}
	}
	clear(st.pkts)    // the packets are not kept until the next tick
	clear(st.streams) // nor the streams (the endpoint may be released)
}

// nackRetry is how long a NACK waits before it is repeated: the round trip
// the remote receiver's reports on our streams measure (the path is the
// same both ways), within minRetry and maxRetry; 0 before one is known (an
// endpoint that only receives gets no reports), which leaves the interval
// to the repair delay each stream's nackgen.Log measures.
func (w *Endpoint) nackRetry() time.Duration {
	g := w.stats.Load()
	if g == nil {
		return 0
	}
	for _, kind := range []media.MediaType{media.Video, media.Audio} {
		if ssrc := w.tracks[kind].boundSSRC(); ssrc != 0 {
			if o, ok := g.Outbound(ssrc); ok && o.RoundTripTime > 0 {
				return min(max(o.RoundTripTime, minRetry), maxRetry)
			}
		}
	}
	return 0
}

// receiverReport reports every received stream (nil: none received yet).
func (w *Endpoint) receiverReport(sender uint32, streams []*rxStream, now time.Time) *rtcp.ReceiverReport {
	g := w.stats.Load()
	if g == nil {
		return nil
	}
	rr := &rtcp.ReceiverReport{SSRC: sender}
	for _, s := range streams {
		if rep, ok := g.ReceptionReport(s.ssrc, now); ok && len(rr.Reports) < 31 {
			rr.Reports = append(rr.Reports, rep)
		}
	}
	if len(rr.Reports) == 0 {
		return nil
	}
	return rr
}

// rxNACKs sends, outside the tick, the NACKs due now (a gap just opened).
func (w *Endpoint) rxNACKs(st *rxFeedbackState, now time.Time) {
	pc := w.pcRef.Load()
	if pc == nil {
		return
	}
	w.collectNACKs(st, now)
	if len(st.pkts) > 0 {
		if err := pc.WriteRTCP(st.pkts); err != nil {
			w.log.Debug("receive feedback", "err", err)
		}
	}
	clear(st.pkts)
	clear(st.streams)
}

// collectNACKs puts into st.pkts the NACKs of every received stream due at
// now (st.streams: those streams).
func (w *Endpoint) collectNACKs(st *rxFeedbackState, now time.Time) {
	st.streams = w.direct.received(st.streams[:0])
	st.pkts = st.pkts[:0]
	for _, s := range st.streams {
		if s.nack == nil {
			continue
		}
		wanted, watched := w.repairState(s.ssrc)
		burst := wanted && w.burstLoss(s)
		if !wanted || burst {
			// A simulcast layer nobody gets, or one whose uplink is
			// congested (simulcast_repair.go). Its losses are not asked
			// for, nor counted as asked (Missing counts what it returns,
			// and the repair of an ask never sent, timed from it, is no
			// repair delay: a publisher's 360p at 10 % loss read ~0.6 s
			// from those, its second asks came a second apart and its
			// viewer froze). Those of a layer nobody gets are given up:
			// a viewer that moves to it starts at a keyframe; so are
			// those of a top layer lost in a burst (a full uplink queue).
			if !watched || burst {
				s.nack.Abandon()
			}
			continue
		}
		st.seqs = s.nack.Missing(st.seqs[:0], now.UnixNano(), st.retry)
		if p := nackgen.NACK(st.sender, s.ssrc, st.seqs); p != nil {
			st.pkts = append(st.pkts, p)
		}
		w.engine.rx.wakeAt(s.nack.TailDue()) // a frame still open: its end later
	}
}
