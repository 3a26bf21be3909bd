package media

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// bandwidths are the SdpEndpoint/BaseRtpEndpoint bandwidth properties, in
// kbps as KMS defines them. Atomics: the RTCP loop reads them.
type bandwidths struct {
	maxAudioRecv, maxVideoRecv, minVideoRecv atomic.Int32
	minVideoSend, maxVideoSend               atomic.Int32
	mtu                                      atomic.Int32
}

func (b *bandwidths) init() {
	b.minVideoSend.Store(100)
	b.maxVideoSend.Store(500)
	b.mtu.Store(1200)
}

// Bandwidth settings, in kbps (mtu in bytes), with KMS's names.
type Bandwidths struct {
	MaxAudioRecv, MaxVideoRecv, MinVideoRecv, MinVideoSend, MaxVideoSend, MTU int
}

// Bandwidths returns the current bandwidth settings.
func (w *WebRtcEndpoint) Bandwidths() Bandwidths {
	b := &w.bw
	return Bandwidths{int(b.maxAudioRecv.Load()), int(b.maxVideoRecv.Load()), int(b.minVideoRecv.Load()),
		int(b.minVideoSend.Load()), int(b.maxVideoSend.Load()), int(b.mtu.Load())}
}

// SetBandwidths changes the bandwidth settings; receive limits are
// signalled to the sender with REMB at the next report.
func (w *WebRtcEndpoint) SetBandwidths(v Bandwidths) {
	b := &w.bw
	b.maxAudioRecv.Store(int32(v.MaxAudioRecv))
	b.maxVideoRecv.Store(int32(v.MaxVideoRecv))
	b.minVideoRecv.Store(int32(v.MinVideoRecv))
	b.minVideoSend.Store(int32(v.MinVideoSend))
	b.maxVideoSend.Store(int32(v.MaxVideoSend))
	b.mtu.Store(int32(v.MTU))
}

// annotate adds b=AS lines for the configured receive limits to an SDP sent
// to the remote peer, as KMS does.
func (b *bandwidths) annotate(s string) string {
	limits := map[string]int32{"audio": b.maxAudioRecv.Load(), "video": b.maxVideoRecv.Load()}
	if limits["audio"] <= 0 && limits["video"] <= 0 {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	var out strings.Builder
	var kind string
	for _, l := range lines {
		out.WriteString(l)
		if strings.HasPrefix(l, "m=") {
			kind = strings.TrimPrefix(strings.Fields(l)[0], "m=")
			continue
		}
		if strings.HasPrefix(l, "c=") && limits[kind] > 0 {
			fmt.Fprintf(&out, "b=AS:%d\r\n", limits[kind])
		}
	}
	return out.String()
}

// gatherGate holds back local candidates until the client asks for them
// with gatherCandidates, then reports them in order, then the end.
type gatherGate struct {
	mu        sync.Mutex
	requested bool
	buffered  []IceCandidateFound
	complete  bool // Pion finished gathering
	reported  bool // IceGatheringDone sent
}

func (g *gatherGate) wasRequested() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requested
}

// request marks gathering as requested; it reports whether this is the first call.
func (g *gatherGate) request() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	first := !g.requested
	g.requested = true
	return first
}

// found is called by Pion for each candidate (nil at the end).
func (g *gatherGate) found(w *WebRtcEndpoint, c *webrtc.ICECandidate) {
	g.mu.Lock()
	if c == nil {
		g.complete = true
	} else {
		j := c.ToJSON()
		ev := IceCandidateFound{Candidate: j.Candidate}
		if j.SDPMid != nil {
			ev.SdpMid = *j.SDPMid
		}
		if j.SDPMLineIndex != nil {
			ev.SdpMLineIndex = int(*j.SDPMLineIndex)
		}
		g.buffered = append(g.buffered, ev)
	}
	g.mu.Unlock()
	if g.wasRequested() {
		g.flush(w)
	}
}

// flush reports buffered candidates and, once complete, IceGatheringDone.
// Events go out in order because only one flush runs at a time.
func (g *gatherGate) flush(w *WebRtcEndpoint) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, ev := range g.buffered {
		w.core.Emit(ev)
	}
	g.buffered = nil
	if g.complete && !g.reported {
		g.reported = true
		w.core.Emit(IceGatheringDone{})
	}
}

// connectionTracker turns Pion's ICE, DTLS and peer-connection callbacks
// into KMS events on real transitions, and runs the endpoint's monitor:
// MediaState from RTCP, REMB to the sender, loss accounting.
type connectionTracker struct {
	w        *WebRtcEndpoint
	lastRTCP atomic.Int64 // monotonic ns of the last RTCP received
	lastPLI  atomic.Int64

	mu        sync.Mutex // guards the fields below
	connected bool       // ConnectionState
	media     bool       // MediaState
	started   bool       // monitor running
	iceState  string     // last IceComponentState reported
	pionICE   webrtc.ICEConnectionState
	dtlsState string
	pair      *NewCandidatePairSelected
	rembSent  uint64
	lossPrev  map[uint32][2]int64 // ssrc → packets received, lost at the previous tick
	fraction  map[uint32]float64  // ssrc → fraction lost (0–255) over the last tick
}

func (s *connectionTracker) init(w *WebRtcEndpoint) {
	s.w = w
	s.iceState = "DISCONNECTED"
	s.dtlsState = "NEW"
	s.lossPrev = map[uint32][2]int64{}
	s.fraction = map[uint32]float64{}
}

func (s *connectionTracker) rtcpReceived() { s.lastRTCP.Store(monotime()) }

// mediaStateTimeout is how long without RTCP before MediaState goes back to
// DISCONNECTED (KMS: 5 s).
const mediaStateTimeout = 5 * time.Second

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
			w.core.Emit(ErrorEvent{Type: "ICE_FAILED", Description: "ICE connectivity checks failed", Code: 40400})
		}
	})
	ice := pc.SCTP().Transport().ICETransport()
	ice.OnSelectedCandidatePairChange(func(p *webrtc.ICECandidatePair) {
		ev := NewCandidatePairSelected{StreamID: "1", ComponentID: 1,
			LocalCandidate: candidateString(p.Local), RemoteCandidate: candidateString(p.Remote)}
		s.mu.Lock()
		s.pair = &ev
		s.mu.Unlock()
		w.core.Emit(ev)
	})
	// Pion calls this with the DTLS transport's lock held: only record and emit.
	pc.SCTP().Transport().OnStateChange(func(st webrtc.DTLSTransportState) {
		name := map[webrtc.DTLSTransportState]string{webrtc.DTLSTransportStateNew: "NEW", webrtc.DTLSTransportStateConnecting: "CONNECTING",
			webrtc.DTLSTransportStateConnected: "CONNECTED", webrtc.DTLSTransportStateClosed: "CLOSED", webrtc.DTLSTransportStateFailed: "FAILED"}[st]
		if name == "" {
			return
		}
		s.mu.Lock()
		changed := s.dtlsState != name
		s.dtlsState = name
		s.mu.Unlock()
		if changed {
			w.core.Emit(DtlsStateChanged{StreamID: "1", ComponentID: "1", ConnectionID: "1", State: name})
		}
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		up := st == webrtc.PeerConnectionStateConnected
		s.mu.Lock()
		changed := s.connected != up
		wasUp := s.connected
		s.connected = up
		startMonitor := up && !s.started
		if startMonitor {
			s.started = true
		}
		s.mu.Unlock()
		if changed {
			w.core.Emit(ConnectionStateChanged{Connected: up})
		}
		if wasUp && (st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed) {
			w.core.Emit(MediaSessionTerminated{})
		}
		if startMonitor {
			w.spawn(s.monitor)
		}
	})
}

// reportICE emits the IceComponentState transitions that lead to the
// current Pion ICE state. Pion starts connectivity checks as soon as it has
// the remote description, but KMS's component goes GATHERING → CONNECTING →
// CONNECTED → READY only after gatherCandidates, so nothing is reported
// before that.
func (s *connectionTracker) reportICE() {
	if !s.w.gather.wasRequested() {
		return
	}
	s.mu.Lock()
	var states []string
	switch s.pionICE {
	case webrtc.ICEConnectionStateChecking:
		states = []string{"CONNECTING"}
	case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
		states = []string{"CONNECTING", "CONNECTED", "READY"}
	case webrtc.ICEConnectionStateFailed:
		states = []string{"FAILED"}
	case webrtc.ICEConnectionStateDisconnected, webrtc.ICEConnectionStateClosed:
		states = []string{"DISCONNECTED"}
	}
	order := map[string]int{"GATHERING": 0, "CONNECTING": 1, "CONNECTED": 2, "READY": 3}
	var emit []string
	for _, k := range states {
		cur, curOK := order[s.iceState]
		next, nextOK := order[k]
		if s.iceState == k || (curOK && nextOK && next <= cur) {
			continue // only forward transitions within the connecting sequence
		}
		s.iceState = k
		emit = append(emit, k)
	}
	s.mu.Unlock()
	for _, k := range emit {
		s.w.core.Emit(IceComponentStateChanged{StreamID: 1, ComponentID: 1, State: k})
	}
}

// gathering reports the GATHERING state when the client asks for candidates.
func (s *connectionTracker) gathering() {
	s.mu.Lock()
	s.iceState = "GATHERING"
	s.mu.Unlock()
	s.w.core.Emit(IceComponentStateChanged{StreamID: 1, ComponentID: 1, State: "GATHERING"})
}

func candidateString(c *webrtc.ICECandidate) string {
	if c == nil {
		return ""
	}
	return c.ToJSON().Candidate
}

// monitor runs while the endpoint lives: MediaState transitions from RTCP
// activity, and once a second the REMB for the received video and the
// fraction of packets lost.
func (s *connectionTracker) monitor() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-s.w.done:
			return
		case <-t.C:
		}
		s.checkMediaState()
		if n%4 == 0 {
			s.sendREMB()
			s.updateLoss()
		}
	}
}

func (s *connectionTracker) checkMediaState() {
	last := s.lastRTCP.Load()
	up := last != 0 && monotime()-last < int64(mediaStateTimeout)
	s.mu.Lock()
	changed := s.media != up
	s.media = up
	s.mu.Unlock()
	if changed {
		s.w.core.Emit(MediaStateChanged{Connected: up})
	}
}

// sendREMB tells the remote sender how much video it may send: the lowest
// estimate of the receivers downstream, capped by maxVideoRecvBandwidth and
// floored by minVideoRecvBandwidth. Nothing is sent while neither is known.
func (s *connectionTracker) sendREMB() {
	w := s.w
	in := w.in[Video].Load()
	if in == nil {
		return
	}
	est := w.core.Source(Video).DownstreamBitrate()
	if hi := uint64(w.bw.maxVideoRecv.Load()) * 1000; hi > 0 && (est == 0 || est > hi) {
		est = hi
	}
	if est == 0 {
		return
	}
	if lo := uint64(w.bw.minVideoRecv.Load()) * 1000; est < lo {
		est = lo
	}
	if est < 30000 {
		est = 30000 // KMS's effective floor
	}
	pc := w.pcRef.Load()
	if pc == nil {
		return
	}
	if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: float32(est), SSRCs: []uint32{in.ssrc}}}); err == nil {
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
	for _, kind := range []MediaType{Audio, Video} {
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

// State is a snapshot of an endpoint's connection state, for the KMS getters.
type State struct {
	MediaConnected      bool
	ConnectionConnected bool
	ICE                 string
	DTLS                string
	Pair                *NewCandidatePairSelected
}

// State returns the endpoint's current connection state.
func (w *WebRtcEndpoint) State() State {
	s := &w.state
	s.mu.Lock()
	defer s.mu.Unlock()
	return State{MediaConnected: s.media, ConnectionConnected: s.connected, ICE: s.iceState, DTLS: s.dtlsState, Pair: s.pair}
}
