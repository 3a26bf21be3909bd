package scenario

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gorento/gorento/bench/internal/peer"
	"github.com/gorento/gorento/bench/internal/proc"
	"github.com/gorento/gorento/bench/internal/target"
)

// ReleaseAll is the time to release many connected endpoints at once.
type ReleaseAll struct {
	Server    string `json:"server"`
	SRTP      string `json:"srtp"`
	Endpoints int    `json:"endpoints"`
	// SetupSec is the time to connect them (bounded parallelism), ReleaseSec
	// the time from the release request to its answer.
	SetupSec   float64 `json:"setupSec"`
	ReleaseSec float64 `json:"releaseSec"`
	// ReleaseCPUSec is the server's CPU time (all threads) from the release
	// request to its answer: the wall time above also counts waiting for a
	// core the machine shares.
	ReleaseCPUSec float64 `json:"releaseCpuSec"`
	// Before: the fresh server; after: 8 s after the release answered.
	RSSBeforeKB      int64  `json:"rssBeforeKB"`
	RSSPeakKB        int64  `json:"rssPeakKB"` // all endpoints connected
	RSSAfterKB       int64  `json:"rssAfterKB"`
	ThreadsBefore    int    `json:"threadsBefore"`
	ThreadsAfter     int    `json:"threadsAfter"`
	FDsBefore        int    `json:"fdsBefore"`
	FDsAfter         int    `json:"fdsAfter"`
	GoroutinesBefore int    `json:"goroutinesBefore"`
	GoroutinesPeak   int    `json:"goroutinesPeak"`
	GoroutinesAfter  int    `json:"goroutinesAfter"`
	Err              string `json:"error,omitempty"`
}

// setupParallel is how many subscribers negotiate at once in ReleaseAll.
const setupParallel = 8

// ReleaseAll connects n subscriber endpoints in one room (one Kurento
// pipeline: PassThrough → n WebRtcEndpoints, each negotiated with a
// generator peer until ICE and DTLS are connected; no media flows, so the
// server's CPU goes to the release alone), then releases the room with one
// request and times it.
func (e *Env) ReleaseAll(ctx context.Context, s target.Server, srtp string, n int) (r ReleaseAll) {
	r = ReleaseAll{Server: s.Name(), SRTP: srtp, Endpoints: n}
	fail := func(err error) ReleaseAll {
		r.Err = err.Error()
		e.logf("  %s release-all n=%d: %v", s.Name(), n, err)
		return r
	}
	if err := e.start(ctx, s, srtp, fmt.Sprintf("release%d", n)); err != nil {
		return fail(err)
	}
	defer s.Stop()
	time.Sleep(500 * time.Millisecond)
	before, err := e.snapshot(ctx, s)
	if err != nil {
		return fail(err)
	}
	room, err := s.NewRoom(ctx, fmt.Sprintf("release%d", time.Now().UnixNano()))
	if err != nil {
		return fail(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = room.Close(context.Background())
		}
	}()
	sock, err := e.socket()
	if err != nil {
		return fail(err)
	}
	defer sock.Close()
	var (
		mu    sync.Mutex
		all   []*peer.Peer
		first error
		wg    sync.WaitGroup
	)
	defer func() { closeAll(all) }()
	t0 := time.Now()
	budget, cancel := context.WithTimeout(ctx, e.budget())
	defer cancel()
	next := make(chan int)
	for w := 0; w < setupParallel; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p, err := e.peer(peer.Subscriber, srtp, 0, sock)
				if err == nil {
					mu.Lock()
					all = append(all, p)
					mu.Unlock()
					sctx, cancel := context.WithTimeout(budget, 30*time.Second)
					err = room.Subscribe(sctx, p)
					cancel()
				}
				if err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("subscriber %d: %w", i, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		mu.Lock()
		stop := first != nil
		mu.Unlock()
		if stop || budget.Err() != nil {
			break
		}
		next <- i
		if i%200 == 199 {
			e.logf("  %s release-all: %d/%d connecting", s.Name(), i+1, n)
		}
	}
	close(next)
	wg.Wait()
	if first == nil && budget.Err() != nil {
		first = fmt.Errorf("setup over budget (%v)", e.budget())
	}
	if first != nil {
		return fail(first)
	}
	r.SetupSec = time.Since(t0).Seconds()
	time.Sleep(2 * time.Second)
	peak, err := e.snapshot(ctx, s)
	if err != nil {
		return fail(err)
	}
	cpu0, err := proc.CPU(s.PID())
	if err != nil {
		return fail(err)
	}
	t1 := time.Now()
	closed = true
	if err := room.Close(ctx); err != nil {
		return fail(fmt.Errorf("release: %w", err))
	}
	r.ReleaseSec = time.Since(t1).Seconds()
	if cpu1, err := proc.CPU(s.PID()); err == nil {
		r.ReleaseCPUSec = (cpu1 - cpu0).Seconds()
	}
	time.Sleep(8 * time.Second)
	after, err := e.snapshot(ctx, s)
	if err != nil {
		return fail(err)
	}
	r.RSSBeforeKB, r.RSSPeakKB, r.RSSAfterKB = before.RSS/1024, peak.RSS/1024, after.RSS/1024
	r.ThreadsBefore, r.ThreadsAfter = before.Threads, after.Threads
	r.FDsBefore, r.FDsAfter = before.FDs, after.FDs
	r.GoroutinesBefore, r.GoroutinesPeak, r.GoroutinesAfter = before.goroutines, peak.goroutines, after.goroutines
	e.logf("  %-12s release-all %d endpoints: connected in %.1f s, released in %.2f s (server CPU %.2f s); RSS %d → %d → %d KB, goroutines %d → %d → %d, threads %d → %d, fds %d → %d",
		s.Name(), n, r.SetupSec, r.ReleaseSec, r.ReleaseCPUSec, r.RSSBeforeKB, r.RSSPeakKB, r.RSSAfterKB, r.GoroutinesBefore, r.GoroutinesPeak, r.GoroutinesAfter,
		r.ThreadsBefore, r.ThreadsAfter, r.FDsBefore, r.FDsAfter)
	return r
}
