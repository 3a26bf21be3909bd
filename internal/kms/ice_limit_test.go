package kms_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/pkg/kurento"
)

// bogusCandidate points connectivity checks at a loopback port where
// nobody answers.
func bogusCandidate(i int) string {
	return fmt.Sprintf("candidate:%d 1 udp 2122260223 127.0.0.1 %d typ host generation 0", 1000+i, 20000+i)
}

// TestIceCandidateLimit: an endpoint takes at most maxIceCandidates remote
// candidates, trickled or in the SDP, then answers 40401; release is not
// held up by the connectivity checks running towards them (it answers
// within 10 s), and the server
// keeps no goroutine or socket of it.
func TestIceCandidateLimit(t *testing.T) {
	leakCheck(t)
	limit := 64
	if v := os.Getenv("GORENTO_ICE_LIMIT"); v != "" { // to measure the unbounded case by hand
		limit, _ = strconv.Atoi(v)
	}
	cfg := loopbackConfig()
	cfg.Limits = kms.Limits{MaxIceCandidates: limit}
	s := startServer(t, cfg)
	ctx := context.Background()
	sockets := openSockets(t)
	before := measure(t)
	c := dial(t, s.URL)
	p, _ := c.CreatePipeline(ctx)

	// Trickled: the peer's own candidates, then bogus ones up to the limit.
	ep, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	peer := newPeer(t, testpeer.Options{SendVideo: true, RecvVideo: true})
	connectPeer(t, ctx, ep, peer, nil)
	cands, _ := peer.WaitCandidates(time.Second)
	added := len(cands)
	for ; added < limit; added++ {
		if err := ep.AddIceCandidate(ctx, bogusCandidate(added), "0", 0); err != nil {
			t.Fatalf("candidate %d refused: %v", added+1, err)
		}
	}
	err := ep.AddIceCandidate(ctx, bogusCandidate(added), "0", 0)
	if !kurento.IsCode(err, 40401) || !strings.Contains(err.Error(), "at most "+strconv.Itoa(limit)) {
		t.Fatalf("candidate %d: %v, want 40401 naming the limit", added+1, err)
	}
	if err := ep.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil { // the endpoint still works
		t.Fatal(err)
	}

	// In the SDP: an offer carrying more than the limit is refused.
	ep2, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	peer2 := newPeer(t, testpeer.Options{SendVideo: true})
	offer, _ := peer2.Offer()
	var extra strings.Builder
	for i := 0; i <= limit; i++ {
		extra.WriteString("a=" + bogusCandidate(i) + "\r\n")
	}
	offer = strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\r\n"+extra.String(), 1)
	if _, err := ep2.ProcessOffer(ctx, offer); !kurento.IsCode(err, 40401) {
		t.Fatalf("offer with %d candidates: %v, want 40401", limit+1, err)
	}

	// Checking: an endpoint whose only remote candidates never answer is
	// released while its agent checks them.
	ep3, _ := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	peer3 := newPeer(t, testpeer.Options{SendVideo: true})
	offer3, _ := peer3.Offer()
	if _, err := ep3.ProcessOffer(ctx, offer3); err != nil {
		t.Fatal(err)
	}
	if err := ep3.GatherCandidates(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < limit; i++ {
		if err := ep3.AddIceCandidate(ctx, bogusCandidate(i), "0", 0); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond) // let the checks run
	for _, o := range []interface {
		Release(context.Context) error
	}{ep3, p} {
		// Released, within the 10 s of every wait for an expected event
		// (the speed is not measured: it is logged).
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := o.Release(rctx)
		cancel()
		if err != nil {
			t.Fatalf("release with %d remote candidates under check: %v after %v (held up by connectivity checks?)", limit, err, time.Since(start))
		}
		t.Logf("release with %d remote candidates under check: %v", limit, time.Since(start))
	}
	for _, p := range []*testpeer.Peer{peer, peer2, peer3} {
		p.Close()
	}
	_ = c.Close()
	waitSockets(t, sockets)
	unharmed(t, before, 4<<20)
}

func waitSockets(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for openSockets(t) > want {
		if time.Now().After(deadline) {
			t.Fatalf("%d sockets open, want %d", openSockets(t), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
