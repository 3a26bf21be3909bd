package webrtcep

import (
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// connectionTracker turns Pion's ICE, DTLS and peer-connection callbacks
// into events on real transitions, and runs the endpoint's monitor
// (monitor.go). Events are posted under mu, so concurrent callbacks report
// in the order they changed the state, and delivered after it.
type connectionTracker struct {
	w        *Endpoint
	lastRTCP atomic.Int64 // monotonic ns of the last RTCP received
	lastPLI  atomic.Int64

	mu        sync.Mutex // guards the fields below
	connected bool       // ConnectionState
	media     bool       // MediaState
	started   bool       // registered with the engine's monitor (monitor.go)
	// delivering: a MediaState event posted by the monitor is being
	// delivered; the next change waits (is coalesced) until it was.
	delivering bool
	iceState   ICEState // last state reported
	pionICE    webrtc.ICEConnectionState
	dtlsState  DTLSState
	pair       *NewCandidatePairSelected
	rembSent   uint64
	lossPrev   map[uint32][2]int64 // ssrc → packets received, lost at the previous tick
	fraction   map[uint32]float64  // ssrc → fraction lost (0–255) over the last tick
}

func (s *connectionTracker) init(w *Endpoint) {
	s.w = w
	s.lossPrev = map[uint32][2]int64{}
	s.fraction = map[uint32]float64{}
}

func (s *connectionTracker) rtcpReceived() { s.lastRTCP.Store(s.w.now()) }

var dtlsStates = map[webrtc.DTLSTransportState]DTLSState{webrtc.DTLSTransportStateNew: DTLSNew,
	webrtc.DTLSTransportStateConnecting: DTLSConnecting, webrtc.DTLSTransportStateConnected: DTLSConnected,
	webrtc.DTLSTransportStateClosed: DTLSClosed, webrtc.DTLSTransportStateFailed: DTLSFailed}

// watch registers the callbacks on a new peer connection.
func (s *connectionTracker) watch(pc *webrtc.PeerConnection) {
	w := s.w
	pc.OnICECandidate(func(c *webrtc.ICECandidate) { w.gather.found(w, c) })
	pc.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
		s.mu.Lock()
		s.pionICE = st
		s.mu.Unlock()
		s.reportICE()
		if st == webrtc.ICEConnectionStateFailed {
			w.core.Post(media.ErrorEvent{Err: ErrICEFailed})
		}
		w.core.Deliver()
	})
	ice := pc.SCTP().Transport().ICETransport()
	ice.OnSelectedCandidatePairChange(func(p *webrtc.ICECandidatePair) {
		ev := NewCandidatePairSelected{LocalCandidate: candidateString(p.Local), RemoteCandidate: candidateString(p.Remote)}
		s.mu.Lock()
		s.pair = &ev
		w.core.Post(ev)
		s.mu.Unlock()
		w.core.Deliver()
		w.pairChanged(p)
	})
	// Pion calls this with the DTLS transport's lock held: record and
	// post, and deliver from a goroutine of the endpoint.
	pc.SCTP().Transport().OnStateChange(func(st webrtc.DTLSTransportState) {
		state, ok := dtlsStates[st]
		if !ok {
			return
		}
		s.mu.Lock()
		changed := s.dtlsState != state
		s.dtlsState = state
		if changed {
			w.core.Post(DtlsStateChanged{State: state})
		}
		s.mu.Unlock()
		if changed {
			w.spawn(w.core.Deliver)
		}
		if changed && state == DTLSConnected {
			w.spawn(w.startFastPath)
		}
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		up := st == webrtc.PeerConnectionStateConnected
		s.mu.Lock()
		if s.connected != up {
			w.core.Post(media.ConnectionStateChanged{Connected: up})
		}
		if s.connected && (st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed) {
			w.core.Post(media.MediaSessionTerminated{})
		}
		s.connected = up
		startMonitor := up && !s.started
		if startMonitor {
			s.started = true
		}
		s.mu.Unlock()
		w.core.Deliver()
		if startMonitor && w.life.Enter() { // not once Release began (it unregisters after its Wait)
			w.engine.mon.register(w)
			w.life.Leave()
		}
	})
}

// reportICE posts the component state transitions that lead to the current
// Pion ICE state. Pion starts connectivity checks as soon as it has the
// remote description, but the component goes Gathering → Connecting →
// Connected → Ready only after GatherCandidates, so nothing is reported
// before that.
func (s *connectionTracker) reportICE() {
	if !s.w.gather.wasRequested() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var states []ICEState
	switch s.pionICE {
	case webrtc.ICEConnectionStateChecking:
		states = []ICEState{ICEConnecting}
	case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
		states = []ICEState{ICEConnecting, ICEConnected, ICEReady}
	case webrtc.ICEConnectionStateFailed:
		states = []ICEState{ICEFailed}
	case webrtc.ICEConnectionStateDisconnected, webrtc.ICEConnectionStateClosed:
		states = []ICEState{ICEDisconnected}
	}
	inSequence := func(st ICEState) bool { return st >= ICEGathering && st <= ICEReady }
	for _, k := range states {
		if s.iceState == k || (inSequence(s.iceState) && inSequence(k) && k <= s.iceState) {
			continue // only forward transitions within the connecting sequence
		}
		s.iceState = k
		s.w.core.Post(IceComponentStateChanged{State: k})
	}
}

// gathering posts the Gathering state when the client asks for candidates.
func (s *connectionTracker) gathering() {
	s.mu.Lock()
	s.iceState = ICEGathering
	s.w.core.Post(IceComponentStateChanged{State: ICEGathering})
	s.mu.Unlock()
}

func candidateString(c *webrtc.ICECandidate) string {
	if c == nil {
		return ""
	}
	return c.ToJSON().Candidate
}

// State is a snapshot of an endpoint's connection state.
type State struct {
	MediaConnected      bool
	ConnectionConnected bool
	ICE                 ICEState
	DTLS                DTLSState
	Pair                *NewCandidatePairSelected
}

// State returns the endpoint's current connection state.
func (w *Endpoint) State() State {
	s := &w.state
	s.mu.Lock()
	defer s.mu.Unlock()
	return State{MediaConnected: s.media, ConnectionConnected: s.connected, ICE: s.iceState, DTLS: s.dtlsState, Pair: s.pair}
}
