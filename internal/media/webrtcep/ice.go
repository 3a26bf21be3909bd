package webrtcep

import (
	"strings"
	"sync"

	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// GatherCandidates starts ICE gathering: the component goes to Gathering,
// each local candidate is reported with IceCandidateFound, then
// IceGatheringDone. Calling it again does nothing.
func (w *Endpoint) GatherCandidates() error {
	err := w.gatherCandidates()
	w.core.Deliver()
	return err
}

func (w *Endpoint) gatherCandidates() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return media.ErrReleased
	}
	if !w.gather.request(w) {
		return nil
	}
	if w.pc != nil {
		if err := w.applyLocalLocked(); err != nil {
			return failure(ErrGather, "Error gathering candidates: %v", err)
		}
	}
	w.state.reportICE()
	return nil
}

// AddIceCandidate adds a remote candidate; it may come at any time, before
// the offer too. An empty candidate (end of candidates) is ignored.
func (w *Endpoint) AddIceCandidate(c Candidate) error {
	if strings.TrimSpace(c.Candidate) == "" {
		return nil
	}
	if _, err := ice.UnmarshalCandidate(strings.TrimPrefix(c.Candidate, "candidate:")); err != nil {
		return failure(ErrAddCandidate, "Error adding candidate: %v", err)
	}
	mid := c.SdpMid
	idx := uint16(c.SdpMLineIndex)
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: &mid, SDPMLineIndex: &idx}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return media.ErrReleased
	}
	if err := w.admitCandidatesLocked(1); err != nil {
		return err
	}
	if w.pc == nil || w.pc.RemoteDescription() == nil {
		w.remoteCandidates = append(w.remoteCandidates, init)
		return nil
	}
	if err := w.pc.AddICECandidate(init); err != nil {
		return failure(ErrAddCandidate, "Error adding candidate: %v", err)
	}
	return nil
}

// DefaultMaxRemoteCandidates is the default bound of remote candidates per
// endpoint. A browser sends a handful per network interface; every remote
// candidate is paired with every local one and checked, so an unbounded
// list makes the server send checks wherever a client points it and makes
// closing the ICE agent wait for them.
const DefaultMaxRemoteCandidates = 64

// admitCandidatesLocked counts n more remote candidates against the bound.
func (w *Endpoint) admitCandidatesLocked(n int) error {
	if max := w.opts.MaxRemoteCandidates; w.remoteCount+n > max {
		return failure(ErrAddCandidate, "Error adding candidate: too many ICE candidates (%d already, %d more); an endpoint accepts at most %d remote candidates",
			w.remoteCount, n, max)
	}
	w.remoteCount += n
	return nil
}

// admitSDPCandidatesLocked counts the candidates an offer or answer carries.
func (w *Endpoint) admitSDPCandidatesLocked(d *sdp.SessionDescription) error {
	n := 0
	for _, a := range d.Attributes {
		if a.Key == "candidate" {
			n++
		}
	}
	for _, m := range d.MediaDescriptions {
		for _, a := range m.Attributes {
			if a.Key == "candidate" {
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	return w.admitCandidatesLocked(n)
}

// gatherGate holds back local candidates until the client asks for them
// with GatherCandidates, then posts them in order, then the end. Posting
// under mu keeps candidates found concurrently in Pion's order.
type gatherGate struct {
	mu        sync.Mutex // guards the fields below
	requested bool
	buffered  []IceCandidateFound
	complete  bool // Pion finished gathering
	reported  bool // IceGatheringDone posted
}

func (g *gatherGate) wasRequested() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.requested
}

// request marks gathering as requested and posts the Gathering state and
// what was found so far; it reports whether this is the first call.
func (g *gatherGate) request(w *Endpoint) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.requested {
		return false
	}
	g.requested = true
	w.state.gathering()
	g.postLocked(w)
	return true
}

// found is called by Pion for each candidate (nil at the end).
func (g *gatherGate) found(w *Endpoint, c *webrtc.ICECandidate) {
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
	if g.requested {
		g.postLocked(w)
	}
	g.mu.Unlock()
	w.core.Deliver()
}

// postLocked posts buffered candidates and, once complete, IceGatheringDone.
func (g *gatherGate) postLocked(w *Endpoint) {
	for _, ev := range g.buffered {
		w.core.Post(ev)
	}
	g.buffered = nil
	if g.complete && !g.reported {
		g.reported = true
		w.core.Post(IceGatheringDone{})
	}
}
