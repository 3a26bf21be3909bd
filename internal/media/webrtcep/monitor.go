package webrtcep

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
)

// mediaStateTimeout is how long without RTCP before MediaState goes back to
// disconnected (as KMS: 5 s).
const mediaStateTimeout = 5 * time.Second

// monitorInterval is the period of the media-state check; the REMB, the
// loss fractions, the quality report and the BWE round trip are updated
// every monitorEvery-th check (once a second).
const (
	monitorInterval = 250 * time.Millisecond
	monitorEvery    = 4
)

// monitorHub runs the monitor of every connected endpoint from one
// goroutine of the engine: one timer wake-up every 250 ms for the whole
// server instead of one goroutine and one timer per endpoint. Events are
// posted under the endpoint's lock and delivered on a goroutine of the
// endpoint, never on the hub's: a handler that blocks holds up its own
// endpoint's events only. While it is still delivering, a new MediaState
// change of that endpoint is not queued behind it but coalesced (counted;
// the state is looked at again on the next check), so a stuck handler
// leaves at most one event queued per endpoint and no goroutines piling up.
// While no endpoint is connected, the hub sleeps.
type monitorHub struct {
	mu    sync.Mutex // guards eps and next
	eps   map[*Endpoint]int
	next  int           // phase of the next endpoint: the per-second work is spread over the checks
	wake  chan struct{} // an endpoint registered
	stop  chan struct{}
	done  chan struct{}
	every time.Duration

	coalesced atomic.Uint64 // MediaState changes not queued behind a busy handler
	snapshot  []*Endpoint   // hub goroutine only
	phases    []int
}

func newMonitorHub(every time.Duration) *monitorHub {
	h := &monitorHub{eps: map[*Endpoint]int{}, wake: make(chan struct{}, 1), stop: make(chan struct{}),
		done: make(chan struct{}), every: every}
	go h.run()
	return h
}

// register starts the monitor of w (once it is connected).
func (h *monitorHub) register(w *Endpoint) {
	h.mu.Lock()
	if _, ok := h.eps[w]; !ok {
		h.eps[w] = h.next
		h.next = (h.next + 1) % monitorEvery
	}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// unregister stops the monitor of w. A check already running for w ends
// before w's Release returns (it runs inside w's goroutine group).
func (h *monitorHub) unregister(w *Endpoint) {
	h.mu.Lock()
	delete(h.eps, w)
	h.mu.Unlock()
}

// close stops the goroutine and waits for it.
func (h *monitorHub) close() {
	close(h.stop)
	<-h.done
}

func (h *monitorHub) run() {
	defer close(h.done)
	t := time.NewTicker(h.every)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		h.snapshot, h.phases = h.snapshot[:0], h.phases[:0]
		for w, phase := range h.eps {
			h.snapshot = append(h.snapshot, w)
			h.phases = append(h.phases, phase)
		}
		h.mu.Unlock()
		for i, w := range h.snapshot {
			h.check(w, (n+h.phases[i])%monitorEvery == 0)
		}
		clear(h.snapshot)
		if len(h.snapshot) == 0 {
			t.Stop()
			select {
			case <-h.stop:
				return
			case <-h.wake:
			}
			t.Reset(h.every)
		}
	}
}

// check runs one monitor pass of w, inside w's goroutine group (skipped
// once w is being released).
func (h *monitorHub) check(w *Endpoint, perSecond bool) {
	if !w.life.Enter() {
		return
	}
	defer w.life.Leave()
	s := &w.state
	s.checkMediaState(h)
	if w.watchUplink(w.now()) && !perSecond {
		s.sendREMB() // the cap just fell: at once (publisher_feedback.go)
	}
	if perSecond {
		s.sendREMB()
		s.updateLoss()
		w.reportQuality()
		w.updateBWERTT()
	}
}

// checkMediaState posts MediaStateChanged when RTCP started or stopped
// arriving, and delivers it on a goroutine of the endpoint.
func (s *connectionTracker) checkMediaState(h *monitorHub) {
	last := s.lastRTCP.Load()
	up := last != 0 && s.w.now()-last < int64(mediaStateTimeout)
	s.mu.Lock()
	post := false
	if s.media != up {
		if s.delivering {
			h.coalesced.Add(1)
		} else {
			s.media, s.delivering, post = up, true, true
			s.w.core.Post(media.MediaStateChanged{Connected: up})
		}
	}
	s.mu.Unlock()
	if post && !s.w.spawn(s.deliverMonitored) {
		s.mu.Lock()
		s.delivering = false
		s.mu.Unlock()
	}
}

// deliverMonitored delivers what the monitor posted (and whatever else is
// queued), then lets the monitor post again.
func (s *connectionTracker) deliverMonitored() {
	s.w.core.Deliver()
	s.mu.Lock()
	s.delivering = false
	s.mu.Unlock()
}

// sendREMB tells the remote sender how much video it may send
// (publisher_feedback.go).
func (s *connectionTracker) sendREMB() {
	w := s.w
	in := w.in[media.Video].Load()
	if in == nil {
		return
	}
	est := w.publisherREMB()
	if est == 0 {
		return
	}
	pc := w.pcRef.Load()
	if pc == nil {
		return
	}
	if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: float32(est), SSRCs: w.videoSSRCs(in)}}); err == nil {
		s.mu.Lock()
		s.rembSent = est
		s.mu.Unlock()
	}
}

// updateLoss computes, per received SSRC, the fraction of packets lost over
// the last second on RTCP's 0–255 scale.
func (s *connectionTracker) updateLoss() {
	g := s.w.stats.Load()
	if g == nil {
		return
	}
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
		in := s.w.in[kind].Load()
		if in == nil {
			continue
		}
		st, ok := g.Inbound(in.ssrc)
		if !ok {
			continue
		}
		recv, lost := int64(st.Packets), st.PacketsLost
		s.mu.Lock()
		prev := s.lossPrev[in.ssrc]
		dRecv, dLost := recv-prev[0], lost-prev[1]
		frac := 0.0
		if expected := dRecv + dLost; expected > 0 && dLost > 0 {
			frac = float64(dLost) * 256 / float64(expected)
			if frac > 255 {
				frac = 255
			}
		}
		s.fraction[in.ssrc] = frac
		s.lossPrev[in.ssrc] = [2]int64{recv, lost}
		s.mu.Unlock()
	}
}
