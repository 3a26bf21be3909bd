package webrtcep

import (
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gorento/gorento/internal/media"
)

// Every test releases what it built: no goroutine may outlive the package's tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// peerLog records one endpoint's events and calls back into both
// endpoints from its handler, as a signalling server relaying candidates
// does: the endpoint's own getters and setters and the peer's
// AddIceCandidate, while the endpoint is in the middle of GatherCandidates.
type peerLog struct {
	mu        sync.Mutex
	events    []media.Event
	connected chan struct{}
}

func (l *peerLog) handler(self, peer **Endpoint, t *testing.T) media.EventHandler {
	return func(e media.Event) {
		l.mu.Lock()
		l.events = append(l.events, e)
		l.mu.Unlock()
		w := *self
		switch ev := e.(type) {
		case IceCandidateFound:
			_ = w.Stats(nil)
			_ = w.State()
			_ = w.LocalDescription()
			w.SetICESettings(w.ICESettings())
			if err := w.GatherCandidates(); err != nil { // again: a no-op
				t.Error(err)
			}
			if err := (*peer).AddIceCandidate(Candidate(ev)); err != nil {
				t.Error(err)
			}
		case IceComponentStateChanged:
			_ = w.State()
			_ = w.RemoteDescription()
			if err := (*peer).AddIceCandidate(Candidate{}); err != nil { // end of candidates
				t.Error(err)
			}
		case media.ConnectionStateChanged:
			if ev.Connected {
				close(l.connected)
			}
		}
	}
}

// TestEventHandlersCallBack: handlers that call back into the endpoint
// from IceCandidateFound and state events neither deadlock nor reorder
// what they observe (run under -race).
func TestEventHandlersCallBack(t *testing.T) {
	// One engine each: two endpoints of one single UDP port cannot reach
	// each other (both are the same address to the mux).
	engA, engB := newEngine(t), newEngine(t)
	p := media.NewPipeline()
	var a, b *Endpoint
	logA := &peerLog{connected: make(chan struct{})}
	logB := &peerLog{connected: make(chan struct{})}
	var err error
	if a, err = New(p, engA, Options{CertificateKeyType: "ECDSA"}, logA.handler(&a, &b, t)); err != nil {
		t.Fatal(err)
	}
	if b, err = New(p, engB, Options{CertificateKeyType: "ECDSA"}, logB.handler(&b, &a, t)); err != nil {
		t.Fatal(err)
	}
	negotiated := make(chan error, 1)
	go func() { negotiated <- negotiate(a, b) }()
	deadline := time.After(20 * time.Second)
	select {
	case err := <-negotiated:
		if err != nil {
			t.Fatal(err)
		}
	case <-deadline:
		// A deadlocked endpoint cannot be released: fail without cleanup.
		t.Fatal("negotiation blocked: an event handler deadlocked on the endpoint")
	}
	for name, l := range map[string]*peerLog{"offerer": logA, "answerer": logB} {
		select {
		case <-l.connected:
		case <-deadline:
			t.Fatalf("%s: not connected; events %v", name, l.events)
		}
	}
	for name, l := range map[string]*peerLog{"offerer": logA, "answerer": logB} {
		l.mu.Lock()
		checkOrder(t, name, l.events)
		l.mu.Unlock()
	}
	p.Release()
}

// negotiate runs offer/answer between a and b and starts ICE on both.
func negotiate(a, b *Endpoint) error {
	offer, err := a.GenerateOffer(OfferOptions{OfferToReceiveAudio: true, OfferToReceiveVideo: true})
	if err != nil {
		return err
	}
	answer, err := b.ProcessOffer(offer)
	if err != nil {
		return err
	}
	if _, err := a.ProcessAnswer(answer); err != nil {
		return err
	}
	if err := b.GatherCandidates(); err != nil {
		return err
	}
	return a.GatherCandidates()
}

// checkOrder: the session starts, then Gathering, candidates, and the
// component's forward transitions in sequence.
func checkOrder(t *testing.T, name string, events []media.Event) {
	t.Helper()
	var states []ICEState
	started, candidates, done := -1, 0, -1
	for i, e := range events {
		switch ev := e.(type) {
		case media.MediaSessionStarted:
			started = i
		case IceComponentStateChanged:
			states = append(states, ev.State)
		case IceCandidateFound:
			if len(states) == 0 || states[0] != ICEGathering {
				t.Errorf("%s: candidate before the Gathering state: %v", name, events)
			}
			if done >= 0 {
				t.Errorf("%s: candidate after IceGatheringDone: %v", name, events)
			}
			candidates++
		case IceGatheringDone:
			done = i
		}
	}
	if started != 0 || candidates == 0 {
		t.Errorf("%s: session started at %d, %d candidates: %v", name, started, candidates, events)
	}
	for i := 1; i < len(states); i++ {
		if states[i] <= states[i-1] {
			t.Errorf("%s: component states out of order: %v", name, states)
		}
	}
}
