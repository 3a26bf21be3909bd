package scenario

import (
	"context"
	"time"

	"github.com/gorento/gorento/bench/internal/proc"
	"github.com/gorento/gorento/bench/internal/target"
)

// Churn is process hygiene after many create/connect/release cycles.
type Churn struct {
	Server   string  `json:"server"`
	Cycles   int     `json:"cycles"`
	Failures int     `json:"failures"`
	Seconds  float64 `json:"seconds"`
	// RSSAfterKB is read SettleSec after the last cycle (KMS keeps the
	// answers of the last 20 s for retried requests, and so does gorento);
	// RSSAfterNowKB 3 s after it.
	RSSBeforeKB   int64   `json:"rssBeforeKB"`
	RSSAfterNowKB int64   `json:"rssAfterNowKB"`
	RSSAfterKB    int64   `json:"rssAfterKB"`
	RSSGrowthPct  float64 `json:"rssGrowthPct"`
	// Anonymous part of the RSS (heap, stacks), before and settled; the
	// rest is mostly the binary's code and data pages touched.
	AnonBeforeKB  int64   `json:"anonBeforeKB"`
	AnonAfterKB   int64   `json:"anonAfterKB"`
	SettleSec     float64 `json:"settleSec"`
	ThreadsBefore int     `json:"threadsBefore"`
	ThreadsAfter  int     `json:"threadsAfter"`
	FDsBefore     int     `json:"fdsBefore"`
	FDsAfter      int     `json:"fdsAfter"`
	// Goroutines and heap, when the server reports them (gorento's /metrics; -1 otherwise).
	GoroutinesBefore int    `json:"goroutinesBefore"`
	GoroutinesAfter  int    `json:"goroutinesAfter"`
	HeapBeforeKB     int64  `json:"heapBeforeKB"`
	HeapAfterKB      int64  `json:"heapAfterKB"`
	Err              string `json:"error,omitempty"`
}

// snapshot is a process's memory, threads, fds and (when reported) goroutines.
type snapshot struct {
	proc.Status
	goroutines int
	heapKB     int64
}

func (e *Env) snapshot(ctx context.Context, s target.Server) (snapshot, error) {
	st, err := proc.Read(s.PID())
	if err != nil {
		return snapshot{}, err
	}
	sn := snapshot{Status: st, goroutines: -1, heapKB: -1}
	if in, ok := s.(target.Introspector); ok {
		if rs, err := in.RuntimeStats(ctx); err == nil {
			sn.goroutines, sn.heapKB = rs.Goroutines, rs.HeapBytes/1024
		} else {
			e.logf("  %s: runtime stats: %v", s.Name(), err)
		}
	}
	return sn, nil
}

// Churn runs cycles × (create pipeline + WebRtcEndpoint, connect it to
// itself, negotiate with a peer until the first echoed packet, release) on
// a fresh server, and compares RSS, threads, fds and goroutines before and
// after (the "before" is taken after a few warm-up cycles so one-time state
// — the DTLS certificate, pools — is not counted as growth; the "after"
// settle after the last cycle, once answers kept for retried requests have
// expired).
func (e *Env) Churn(ctx context.Context, s target.Server, srtp string, cycles int, settle time.Duration) (r Churn) {
	r = Churn{Server: s.Name(), Cycles: cycles, SettleSec: settle.Seconds()}
	if err := e.start(ctx, s, srtp, "churn"); err != nil {
		r.Err = err.Error()
		return r
	}
	defer s.Stop()
	for i := 0; i < 10; i++ {
		if _, c, err := e.oneSession(ctx, s, srtp, 1); err == nil {
			c()
		}
	}
	time.Sleep(2 * time.Second)
	before, err := e.snapshot(ctx, s)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	t0 := time.Now()
	for i := 0; i < cycles; i++ {
		_, c, err := e.oneSession(ctx, s, srtp, 1)
		if err != nil {
			r.Failures++
			continue
		}
		c()
		if i%100 == 99 {
			e.logf("  %s churn: %d/%d", s.Name(), i+1, cycles)
		}
	}
	r.Seconds = time.Since(t0).Seconds()
	end := time.Now()
	time.Sleep(3 * time.Second)
	now, err := proc.Read(s.PID())
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.RSSAfterNowKB = now.RSS / 1024
	time.Sleep(time.Until(end.Add(settle)))
	after, err := e.snapshot(ctx, s)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	r.RSSBeforeKB, r.RSSAfterKB = before.RSS/1024, after.RSS/1024
	if before.RSS > 0 {
		r.RSSGrowthPct = 100 * float64(after.RSS-before.RSS) / float64(before.RSS)
	}
	r.AnonBeforeKB, r.AnonAfterKB = before.RSSAnon/1024, after.RSSAnon/1024
	r.ThreadsBefore, r.ThreadsAfter = before.Threads, after.Threads
	r.FDsBefore, r.FDsAfter = before.FDs, after.FDs
	r.GoroutinesBefore, r.GoroutinesAfter = before.goroutines, after.goroutines
	r.HeapBeforeKB, r.HeapAfterKB = before.heapKB, after.heapKB
	e.logf("  %-12s churn %d cycles in %.1f s: RSS %d → %d KB after 3 s, %d KB after %.0f s (%+.1f%%; anonymous %d → %d KB), goroutines %d → %d, heap %d → %d KB, threads %d → %d, fds %d → %d, %d failures",
		s.Name(), cycles, r.Seconds, r.RSSBeforeKB, r.RSSAfterNowKB, r.RSSAfterKB, r.SettleSec, r.RSSGrowthPct, r.AnonBeforeKB, r.AnonAfterKB, r.GoroutinesBefore, r.GoroutinesAfter,
		r.HeapBeforeKB, r.HeapAfterKB, r.ThreadsBefore, r.ThreadsAfter, r.FDsBefore, r.FDsAfter, r.Failures)
	return r
}

// Ramp is the largest fan-out that keeps loss < 1 % and p99 < 100 ms with
// the server on one pinned core.
type Ramp struct {
	Server   string `json:"server"`
	SRTP     string `json:"srtp"`
	MaxN     int    `json:"maxSubscribers"` // last passing step (0 = none)
	FailedAt int    `json:"failedAt"`       // first failing step (0 = none failed up to the cap)
	Reason   string `json:"reason,omitempty"`
	Steps    []Load `json:"steps"`
	// GeneratorLimited is set when the generator's own core was saturated
	// before the server failed: the figure is then a lower bound.
	GeneratorLimited bool `json:"generatorLimited"`
}

// Ramp runs fan-out steps start, start+step, … up to max on fresh servers
// until one fails; when the very first step fails it halves N (down to 5)
// until a step passes.
func (e *Env) Ramp(ctx context.Context, s target.Server, srtp string, start, step, max int, window time.Duration) (r Ramp) {
	r = Ramp{Server: s.Name(), SRTP: srtp}
	down := false // the first step failed: halve until one passes
	for n := start; n <= max && n >= 5 && ctx.Err() == nil; {
		l := e.Fanout(ctx, s, n, srtp, window)
		r.Steps = append(r.Steps, l)
		reason := ""
		switch {
		case l.Err != "":
			reason = "error: " + l.Err
		case l.Loss >= 0.01:
			reason = "loss ≥ 1%"
		case l.LatP99Ms >= 100:
			reason = "p99 ≥ 100 ms"
		}
		if reason != "" {
			r.FailedAt, r.Reason = n, reason
			r.GeneratorLimited = l.GenCore > 90
			if r.MaxN == 0 && n > 5 {
				down, n = true, n/2
				continue
			}
			break
		}
		r.MaxN = n
		if down {
			break // the largest passing step below the first failure
		}
		if l.GenCore > 90 {
			r.GeneratorLimited, r.Reason = true, "generator core saturated"
			break
		}
		n += step
	}
	e.logf("  %-12s ramp %s: max %d subscribers (failed at %d: %s)", s.Name(), srtp, r.MaxN, r.FailedAt, r.Reason)
	return r
}
