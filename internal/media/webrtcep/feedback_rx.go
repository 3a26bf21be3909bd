package webrtcep

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media/interceptor/nackgen"
)

// Feedback about received streams when the endpoint reads them itself
// (Config.DirectInbound, direct.go): Pion's NACK generator and receiver
// report interceptors are not registered, since they would see only the
// packets of Pion's path; this tick sends both for every received stream,
// and the transport-cc feedback (twccrx) as often as Pion's interceptor did.

// Intervals of the receive feedback: NACKs as often as Pion's generator
// asks (100 ms), receiver reports once a second (Pion's default).
const (
	nackInterval   = 100 * time.Millisecond
	reportInterval = time.Second
)

// rxTicker sends the receive feedback of every endpoint that receives,
// from one goroutine of the engine: one timer wake-up per tick for the
// whole server instead of one per endpoint (Pion's interceptors had three).
type rxTicker struct {
	mu   sync.Mutex // guards eps; held while ticking, so unregister waits for a tick in progress
	eps  map[*Endpoint]*rxFeedbackState
	stop chan struct{}
	done chan struct{}
}

// rxFeedbackState is one endpoint's feedback scratch and report counter.
type rxFeedbackState struct {
	sender uint32 // our SSRC as the reporter, as Pion's interceptors pick one
	n      int
	seqs   []uint16
	pkts   []rtcp.Packet
}

func newRxTicker() *rxTicker {
	t := &rxTicker{eps: map[*Endpoint]*rxFeedbackState{}, stop: make(chan struct{}), done: make(chan struct{})}
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
		for w, st := range t.eps {
			w.rxFeedback(st)
		}
		t.mu.Unlock()
	}
}

// rxFeedback sends one tick's NACKs, transport-cc feedback and, once a
// second, receiver reports.
func (w *Endpoint) rxFeedback(st *rxFeedbackState) {
	pc := w.pcRef.Load()
	if pc == nil {
		return
	}
	st.n++
	streams := w.direct.received()
	st.pkts = st.pkts[:0]
	for _, s := range streams {
		if s.nack == nil {
			continue
		}
		st.seqs = s.nack.Missing(st.seqs[:0])
		if p := nackgen.NACK(st.sender, s.ssrc, st.seqs); p != nil {
			st.pkts = append(st.pkts, p)
		}
	}
	if r := w.twcc.Load(); r != nil {
		st.pkts = append(st.pkts, r.Feedback()...)
	}
	if st.n%int(reportInterval/nackInterval) == 0 {
		if rr := w.receiverReport(st.sender, streams); rr != nil {
			st.pkts = append(st.pkts, rr)
		}
	}
	if len(st.pkts) > 0 {
		if err := pc.WriteRTCP(st.pkts); err != nil {
			w.log.Debug("receive feedback", "err", err)
		}
	}
	clear(st.pkts) // the packets are not kept until the next tick
}

// receiverReport reports every received stream (nil: none received yet).
func (w *Endpoint) receiverReport(sender uint32, streams []*rxStream) *rtcp.ReceiverReport {
	g := w.stats.Load()
	if g == nil {
		return nil
	}
	now := time.Now()
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
