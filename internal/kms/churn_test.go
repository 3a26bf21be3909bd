package kms_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
)

// envCount is a positive count from the environment, or def.
func envCount(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}

// echoCycle creates a pipeline with a WebRtcEndpoint connected to itself,
// negotiates it with a Pion peer, waits for the peer's first packet to come
// back and releases the pipeline.
func echoCycle(t *testing.T, c *kurento.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pl, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := pl.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ep.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	peer, err := testpeer.New(testpeer.Options{SendAudio: true, SendVideo: true, RecvAudio: true, RecvVideo: true})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	connectPeer(t, ctx, ep, peer, nil)
	peer.StartMedia()
	testutil.Eventually(t, 20*time.Second, "the first echoed packet", func() bool {
		return peer.Received(webrtc.RTPCodecTypeVideo).Packets > 0
	})
	if err := pl.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// liveHeap is the heap still referenced after two collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// settled waits until the goroutines are back to at most base and the
// server holds no pipeline.
func settled(t *testing.T, s *server, base int) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, fmt.Sprintf("goroutines back to %d and no pipeline", base), func() bool {
		return runtime.NumGoroutine() <= base && len(s.Pipelines()) == 0
	})
}

// TestChurn: create/connect/release cycles (GORENTO_CHURN_CYCLES, default
// 60; the load tool runs 1000 against the binary) leave the goroutines at
// their baseline and the live heap where it was: each cycle is a pipeline
// with a WebRtcEndpoint echoing a Pion peer's media, released after the
// first packet came back. Cached answers expire within the test's short
// TTL, so what is left would be a leak. (Not timed: the figures of speed
// are the load tool's.)
func TestChurn(t *testing.T) {
	leakCheck(t)
	n := envCount(t, "GORENTO_CHURN_CYCLES", 60)
	cfg := loopbackConfig()
	cfg.RequestCacheTTL = 100 * time.Millisecond
	s := startServer(t, cfg)
	c := dial(t, s.URL)
	for i := 0; i < 5; i++ { // one-time state: certificates, pools, worker buffers
		echoCycle(t, c)
	}
	time.Sleep(500 * time.Millisecond)
	g0, h0 := runtime.NumGoroutine(), liveHeap()
	for i := 0; i < n; i++ {
		echoCycle(t, c)
	}
	settled(t, s, g0)
	time.Sleep(500 * time.Millisecond) // the request cache's expiry tick
	h1 := liveHeap()
	// An endpoint that stayed referenced is ≥ 100 KB; what one cycle may
	// leave in pools and caches that do not grow with the count is far less.
	allowed := uint64(512<<10 + 256*n)
	t.Logf("%d cycles: goroutines %d → %d, live heap %d → %d KB", n, g0, runtime.NumGoroutine(), h0>>10, h1>>10)
	if h1 > h0+allowed {
		t.Errorf("live heap grew by %d KB over %d cycles (allowed %d KB): something of each cycle stayed referenced", (h1-h0)>>10, n, allowed>>10)
	}
}

// TestReleaseManyAtOnce: one release request of a pipeline with many
// connected endpoints (GORENTO_RELEASE_N, default 40) releases them all
// (in parallel, bounded), leaves no goroutine running and nothing of them
// referenced: the live heap goes back to where it was.
func TestReleaseManyAtOnce(t *testing.T) {
	leakCheck(t)
	n := envCount(t, "GORENTO_RELEASE_N", 40)
	cfg := loopbackConfig()
	cfg.RequestCacheTTL = 100 * time.Millisecond
	s := startServer(t, cfg)
	c := dial(t, s.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	echoCycle(t, c) // one-time state: certificates, pools, worker buffers
	time.Sleep(200 * time.Millisecond)
	g0, h0 := runtime.NumGoroutine(), liveHeap()
	pl, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	src, err := pl.CreatePassThrough(ctx)
	if err != nil {
		t.Fatal(err)
	}
	peers := make([]*testpeer.Peer, n)
	t.Cleanup(func() { // not a cleanup per peer: those would keep them referenced
		for _, p := range peers {
			if p != nil {
				p.Close()
			}
		}
	})
	for i := range peers {
		if peers[i], err = testpeer.New(testpeer.Options{RecvAudio: true, RecvVideo: true}); err != nil {
			t.Fatal(err)
		}
		ep, err := pl.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
			t.Fatal(err)
		}
		connectPeer(t, ctx, ep, peers[i], nil)
	}
	h1 := liveHeap()
	if err := pl.Release(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range peers {
		p.Close()
	}
	clear(peers)
	settled(t, s, g0)
	time.Sleep(500 * time.Millisecond) // the request cache's expiry tick
	h2 := liveHeap()
	t.Logf("%d endpoints: live heap %d → %d → %d KB", n, h0>>10, h1>>10, h2>>10)
	// A released endpoint still referenced is ~100 KB; what may stay is
	// pools and the runtime's own.
	if allowed := uint64(1<<20 + 8<<10*n); h2 > h0+allowed {
		t.Errorf("live heap %d KB after the release, %d KB before the endpoints (allowed +%d KB): released endpoints stay referenced", h2>>10, h0>>10, allowed>>10)
	}
}
