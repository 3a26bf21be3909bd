package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/gorento/gorento/bench/internal/peer"
	"github.com/gorento/gorento/bench/internal/proc"
	"github.com/gorento/gorento/bench/internal/stats"
	"github.com/gorento/gorento/bench/internal/target"
)

// Fanout runs 1 publisher → n subscribers on a fresh server process: it
// measures memory per endpoint (RSS growth from the empty server to all
// endpoints connected, 2 s after the last one, with the stream flowing),
// then CPU per forwarded packet, loss and one-way latency over the window.
func (e *Env) Fanout(ctx context.Context, s target.Server, n int, srtp string, window time.Duration) (r Load) {
	r = Load{Scenario: "fanout", Server: s.Name(), N: n, SRTP: srtp}
	fail := func(err error) Load {
		r.Err = err.Error()
		e.logf("  %s fanout n=%d %s: %v", s.Name(), n, srtp, err)
		return r
	}
	if err := e.start(ctx, s, srtp, fmt.Sprintf("fanout%d", n)); err != nil {
		return fail(err)
	}
	defer s.Stop()
	time.Sleep(500 * time.Millisecond)
	before, err := proc.Read(s.PID())
	if err != nil {
		return fail(err)
	}
	room, err := s.NewRoom(ctx, fmt.Sprintf("bench%d", time.Now().UnixNano()))
	if err != nil {
		return fail(err)
	}
	defer func() { _ = room.Close(context.Background()) }()
	pub, err := e.peer(peer.Publisher, srtp, 1, nil)
	if err != nil {
		return fail(err)
	}
	var all []*peer.Peer
	defer func() { closeAll(append(all, pub)) }()
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	err = room.Publish(sctx, pub)
	cancel()
	if err != nil {
		return fail(fmt.Errorf("publish: %w", err))
	}
	// The stream flows before subscribers join (LiveKit offers a track to
	// subscribers only once its media arrives), as in a live room.
	snd := peer.NewSender(e.Media, e.Epoch)
	snd.Add(pub)
	snd.Start()
	defer snd.Stop()
	sock, err := e.socket()
	if err != nil {
		return fail(err)
	}
	defer sock.Close()
	var setups []time.Duration
	ids := make([][]uint16, n)
	budget := time.Now().Add(e.budget())
	for i := 0; i < n; i++ {
		if time.Now().After(budget) {
			return fail(fmt.Errorf("subscriber setup over budget (%v) after %d of %d subscribers", e.budget(), i, n))
		}
		p, err := e.peer(peer.Subscriber, srtp, 0, sock)
		if err != nil {
			return fail(err)
		}
		all = append(all, p)
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err = room.Subscribe(sctx, p)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("subscriber %d: %w", i, err))
		}
		setups = append(setups, time.Since(t0))
		ids[i] = []uint16{1, 2}
	}
	time.Sleep(2 * time.Second)
	after, err := proc.Read(s.PID())
	if err != nil {
		return fail(err)
	}
	r.Endpoints = n + 1
	r.RSSPerEndpointKB = float64(after.RSS-before.RSS) / 1024 / float64(n+1)
	r.FDsPerEndpoint = float64(after.FDs-before.FDs) / float64(n+1)
	d := nanos(setups)
	r.SetupP50Ms = stats.Percentile(d, 50) / 1e6
	r.SetupMaxMs = stats.Percentile(d, 100) / 1e6

	e.measure(s, snd, all, ids, window, &r)
	e.logf("  %-12s fanout n=%-3d %-3s cpu/pkt %6.2f µs  core %5.1f%%  loss %6.3f%%  p50 %6.2f ms  p99 %6.2f ms  rss/ep %6.0f KB  gen %.2f µs/pkt (recv %.2f)",
		s.Name(), n, srtp, r.CPUPerPktUs, r.ServerCore, 100*r.Loss, r.LatP50Ms, r.LatP99Ms, r.RSSPerEndpointKB, r.GenCPUPerPkt, r.RecvCPUPerPkt)
	return r
}

// Echo runs n peers, each looped back by the server, on a fresh process.
func (e *Env) Echo(ctx context.Context, s target.Server, n int, srtp string, window time.Duration) (r Load) {
	r = Load{Scenario: "echo", Server: s.Name(), N: n, SRTP: srtp}
	fail := func(err error) Load {
		r.Err = err.Error()
		e.logf("  %s echo n=%d %s: %v", s.Name(), n, srtp, err)
		return r
	}
	if err := e.start(ctx, s, srtp, fmt.Sprintf("echo%d", n)); err != nil {
		return fail(err)
	}
	defer s.Stop()
	time.Sleep(500 * time.Millisecond)
	before, err := proc.Read(s.PID())
	if err != nil {
		return fail(err)
	}
	sock, err := e.socket()
	if err != nil {
		return fail(err)
	}
	defer sock.Close()
	var all []*peer.Peer
	var releases []func(context.Context) error
	defer func() {
		for _, rel := range releases {
			_ = rel(context.Background())
		}
		closeAll(all)
	}()
	var setups []time.Duration
	ids := make([][]uint16, n)
	budget := time.Now().Add(e.budget())
	for i := 0; i < n; i++ {
		if time.Now().After(budget) {
			return fail(fmt.Errorf("peer setup over budget (%v) after %d of %d peers", e.budget(), i, n))
		}
		id := uint16(2*i + 1)
		p, err := e.peer(peer.Echo, srtp, id, sock)
		if err != nil {
			return fail(err)
		}
		all = append(all, p)
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		rel, err := s.Echo(sctx, p)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("peer %d: %w", i, err))
		}
		setups = append(setups, time.Since(t0))
		releases = append(releases, rel)
		ids[i] = []uint16{id, id + 1}
	}
	time.Sleep(2 * time.Second)
	after, err := proc.Read(s.PID())
	if err != nil {
		return fail(err)
	}
	r.Endpoints = n
	r.RSSPerEndpointKB = float64(after.RSS-before.RSS) / 1024 / float64(n)
	r.FDsPerEndpoint = float64(after.FDs-before.FDs) / float64(n)
	d := nanos(setups)
	r.SetupP50Ms = stats.Percentile(d, 50) / 1e6
	r.SetupMaxMs = stats.Percentile(d, 100) / 1e6
	snd := peer.NewSender(e.Media, e.Epoch)
	for _, p := range all {
		snd.Add(p)
	}
	snd.Start()
	defer snd.Stop()
	e.measure(s, snd, all, ids, window, &r)
	e.logf("  %-12s echo   n=%-3d %-3s cpu/pkt %6.2f µs  core %5.1f%%  loss %6.3f%%  p50 %6.2f ms  p99 %6.2f ms  rss/ep %6.0f KB  gen %.2f µs/pkt (recv %.2f)",
		s.Name(), n, srtp, r.CPUPerPktUs, r.ServerCore, 100*r.Loss, r.LatP50Ms, r.LatP99Ms, r.RSSPerEndpointKB, r.GenCPUPerPkt, r.RecvCPUPerPkt)
	return r
}

func (e *Env) budget() time.Duration {
	if e.SetupBudget > 0 {
		return e.SetupBudget
	}
	return 90 * time.Second
}
