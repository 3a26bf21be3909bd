package egress

import (
	"log/slog"
	"sync"
)

// Scheduler owns the egress workers: one goroutine per core, each owning
// whole transports (WebRtcEndpoints) and sending their packets. A
// transport stays on its worker for life, so the packets of one sink
// leave in the order its source pushed them, whichever core runs the
// source; and one worker sending for many transports is what lets their
// datagrams share system calls.
type Scheduler struct {
	cfg     Config
	log     *slog.Logger
	workers []*worker

	mu     sync.Mutex // guards closed
	closed bool
}

// NewScheduler starts the workers.
func NewScheduler(cfg Config, log *slog.Logger) *Scheduler { return newScheduler(cfg, log, true) }

// newScheduler makes the workers; benchmarks drive them by hand (start false).
func newScheduler(cfg Config, log *slog.Logger, start bool) *Scheduler {
	if log == nil {
		log = slog.Default()
	}
	s := &Scheduler{cfg: cfg.withDefaults(), log: log}
	for i := 0; i < s.cfg.Workers; i++ {
		w := newWorker(s, i)
		s.workers = append(s.workers, w)
		if start {
			go w.run()
		} else {
			close(w.done)
		}
	}
	return s
}

// NewTransport makes a transport on the least loaded worker (fewest
// transports, then fewest packets in the last second).
func (s *Scheduler) NewTransport(p TransportParams) *Transport {
	best := s.workers[0]
	for _, w := range s.workers[1:] {
		bt, wt := best.transports.Load(), w.transports.Load()
		if wt < bt || (wt == bt && w.rate.Load() < best.rate.Load()) {
			best = w
		}
	}
	return newTransport(best, p)
}

// Close stops the workers and waits for them. Transports still open stop
// sending; packets still queued are released.
func (s *Scheduler) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	for _, w := range s.workers {
		close(w.stop)
	}
	for _, w := range s.workers {
		<-w.done
	}
}

// WorkerStats are the counters of one worker.
type WorkerStats struct {
	Transports int64
	Packets    uint64 // packets taken from its queue
	Overflows  uint64 // packets refused because its queue was full
	Wakeups    uint64 // times it was woken from sleep
	SendErrors uint64 // datagrams of the fast path the kernel refused
}

// Stats returns the counters of every worker.
func (s *Scheduler) Stats() []WorkerStats {
	out := make([]WorkerStats, len(s.workers))
	for i, w := range s.workers {
		out[i] = WorkerStats{Transports: w.transports.Load(), Packets: w.packets.Load(),
			Overflows: w.overflows.Load(), Wakeups: w.wakeups.Load(), SendErrors: w.sendErrors.Load()}
	}
	return out
}
