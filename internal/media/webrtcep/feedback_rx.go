package webrtcep

import (
	"math/rand/v2"
	"sync"
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
	// defaultRoundTrip is the NACK retry interval before a round trip is
	// measured (libwebrtc's default); the measured one is bounded by
	// minRetry and maxRetry.
	defaultRoundTrip = 100 * time.Millisecond
	minRetry         = 2 * nackInterval
	maxRetry         = time.Second
)

// rxTicker sends the receive feedback of every endpoint that receives,
// from one goroutine of the engine: one timer wake-up per tick for the
// whole server instead of one per endpoint (Pion's interceptors had three).
// While no endpoint receives, it sleeps.
type rxTicker struct {
	mu   sync.Mutex // guards eps; held while ticking, so unregister waits for a tick in progress
	eps  map[*Endpoint]*rxFeedbackState
	wake chan struct{} // an endpoint registered
	stop chan struct{}
	done chan struct{}
}

// rxFeedbackState is one endpoint's feedback scratch and tick counter
// (reused every tick: a tick allocates nothing but the RTCP it sends).
type rxFeedbackState struct {
	sender  uint32 // our SSRC as the reporter, as Pion's interceptors pick one
	n       int
	retry   time.Duration // NACK retry interval: the measured round trip
	streams []*rxStream
	seqs    []uint16
	pkts    []rtcp.Packet
}

func newRxTicker() *rxTicker {
	t := &rxTicker{eps: map[*Endpoint]*rxFeedbackState{}, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return t
}

// register starts the feedback of w (from its first received stream).
func (t *rxTicker) register(w *Endpoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.eps[w] == nil {
		t.eps[w] = &rxFeedbackState{sender: rand.Uint32(), retry: defaultRoundTrip}
	}
	select {
	case t.wake <- struct{}{}:
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
	tk := time.NewTicker(nackInterval)
	defer tk.Stop()
	for {
		select {
		case <-t.stop:
			return
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
			tk.Reset(nackInterval)
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
	st.streams = w.direct.received(st.streams[:0])
	st.pkts = st.pkts[:0]
	for _, s := range st.streams {
		if s.nack == nil {
			continue
		}
		st.seqs = s.nack.Missing(st.seqs[:0], now.UnixNano(), st.retry)
		if len(st.seqs) > 0 && !w.repairWanted(s.ssrc) {
			continue // a simulcast layer nobody gets (simulcast_repair.go)
		}
		if p := nackgen.NACK(st.sender, s.ssrc, st.seqs); p != nil {
			st.pkts = append(st.pkts, p)
		}
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
// same both ways), within minRetry and maxRetry; defaultRoundTrip before
// one is known (an endpoint that only receives gets no reports).
func (w *Endpoint) nackRetry() time.Duration {
	g := w.stats.Load()
	if g == nil {
		return defaultRoundTrip
	}
	for _, kind := range []media.MediaType{media.Video, media.Audio} {
		if ssrc := w.tracks[kind].boundSSRC(); ssrc != 0 {
			if o, ok := g.Outbound(ssrc); ok && o.RoundTripTime > 0 {
				return min(max(o.RoundTripTime, minRetry), maxRetry)
			}
		}
	}
	return defaultRoundTrip
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
