package scenario

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/gorento/gorento/bench/internal/peer"
	"github.com/gorento/gorento/bench/internal/stats"
	"github.com/gorento/gorento/bench/internal/target"
)

// Setup is session-setup time: from the first signalling request (Kurento:
// create MediaPipeline) to the first RTP packet echoed back.
type Setup struct {
	Server       string    `json:"server"`
	SRTP         string    `json:"srtp"`
	Sequential   int       `json:"sequential"`
	SeqP50Ms     float64   `json:"seqP50Ms"`
	SeqP99Ms     float64   `json:"seqP99Ms"`
	SeqMaxMs     float64   `json:"seqMaxMs"`
	Concurrent   int       `json:"concurrent"`
	ConcP50Ms    float64   `json:"concP50Ms"`
	ConcP99Ms    float64   `json:"concP99Ms"`
	ConcMaxMs    float64   `json:"concMaxMs"`
	SessionsPerS float64   `json:"sessionsPerSec"`
	Failures     int       `json:"failures"`
	SeqSamplesMs []float64 `json:"-"`
	Err          string    `json:"error,omitempty"`
}

// oneSession sets up one echo session and waits for its first echoed packet.
func (e *Env) oneSession(ctx context.Context, s target.Server, srtp string, id uint16) (time.Duration, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	p, err := e.peer(peer.Echo, srtp, id, nil)
	if err != nil {
		return 0, nil, err
	}
	t0 := time.Now()
	rel, err := s.Echo(ctx, p)
	if err != nil {
		p.Close()
		return 0, nil, err
	}
	snd := peer.NewSender(e.Media, e.Epoch)
	snd.Add(p)
	snd.Start()
	cleanup := func() {
		snd.Stop()
		_ = rel(context.Background())
		p.Close()
	}
	select {
	case <-p.Counter.FirstPacket():
		return time.Since(t0), cleanup, nil
	case <-ctx.Done():
		cleanup()
		return 0, nil, fmt.Errorf("no echoed RTP: %w", ctx.Err())
	}
}

// SetupTimes measures seq sessions one after another, then conc at once,
// on a fresh server.
func (e *Env) SetupTimes(ctx context.Context, s target.Server, srtp string, seq, conc int) (r Setup) {
	r = Setup{Server: s.Name(), SRTP: srtp, Sequential: seq, Concurrent: conc}
	if err := e.start(ctx, s, srtp, "setup"); err != nil {
		r.Err = err.Error()
		return r
	}
	defer s.Stop()
	time.Sleep(500 * time.Millisecond)
	// one session first so lazily made state (certificates) is not counted
	if _, c, err := e.oneSession(ctx, s, srtp, 1); err != nil {
		r.Err = err.Error()
		e.logf("  %s setup: %v", s.Name(), err)
		return r
	} else {
		c()
	}
	var d []int64
	for i := 0; i < seq; i++ {
		t, c, err := e.oneSession(ctx, s, srtp, uint16(2*i+3))
		if err != nil {
			r.Failures++
			if r.Err == "" {
				r.Err = "first failure: " + err.Error()
			}
			continue
		}
		c()
		d = append(d, int64(t))
		r.SeqSamplesMs = append(r.SeqSamplesMs, ms(t))
	}
	r.SeqP50Ms, r.SeqP99Ms, r.SeqMaxMs = stats.Percentile(d, 50)/1e6, stats.Percentile(d, 99)/1e6, stats.Percentile(d, 100)/1e6
	var mu sync.Mutex
	var wg sync.WaitGroup
	var cd []int64
	var cleanups []func()
	start := time.Now()
	for i := 0; i < conc; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t, c, err := e.oneSession(ctx, s, srtp, uint16(2*(seq+i)+3))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				r.Failures++
				if r.Err == "" {
					r.Err = "first failure: " + err.Error()
				}
				return
			}
			cd = append(cd, int64(t))
			cleanups = append(cleanups, c)
		}(i)
	}
	wg.Wait()
	wall := time.Since(start)
	for _, c := range cleanups {
		c()
	}
	r.ConcP50Ms, r.ConcP99Ms, r.ConcMaxMs = stats.Percentile(cd, 50)/1e6, stats.Percentile(cd, 99)/1e6, stats.Percentile(cd, 100)/1e6
	if len(cd) > 0 {
		r.SessionsPerS = float64(len(cd)) / wall.Seconds()
	}
	if r.Err != "" {
		e.logf("  %-12s setup: %s", s.Name(), r.Err)
	}
	e.logf("  %-12s setup  %-3s seq p50 %6.1f ms p99 %6.1f ms | %d concurrent: p50 %6.1f ms max %7.1f ms, %.1f sessions/s, %d failures",
		s.Name(), srtp, r.SeqP50Ms, r.SeqP99Ms, conc, r.ConcP50Ms, r.ConcMaxMs, r.SessionsPerS, r.Failures)
	return r
}
