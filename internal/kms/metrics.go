package kms

import (
	"sync"
	"sync/atomic"
)

// Metrics are the protocol server's counters and gauges. They are plain
// atomics so the request path never waits on a metrics library; the
// Prometheus exporter reads them on scrape.
type Metrics struct {
	connections   atomic.Int64
	sessions      atomic.Int64
	requests      atomic.Int64
	requestErrors atomic.Int64
	events        atomic.Int64

	mu      sync.Mutex // guards objects
	objects map[string]int64
}

func newMetrics() *Metrics { return &Metrics{objects: map[string]int64{}} }

func (m *Metrics) objectCreated(class string) {
	m.mu.Lock()
	m.objects[class]++
	m.mu.Unlock()
}

func (m *Metrics) objectReleased(class string) {
	m.mu.Lock()
	m.objects[class]--
	m.mu.Unlock()
}

// Snapshot is a point-in-time copy of the metrics.
type Snapshot struct {
	Connections, Sessions, Requests, RequestErrors, EventsSent int64
	Objects                                                    map[string]int64
}

// Snapshot copies the current values.
func (m *Metrics) Snapshot() Snapshot {
	m.mu.Lock()
	objs := make(map[string]int64, len(m.objects))
	for k, v := range m.objects {
		objs[k] = v
	}
	m.mu.Unlock()
	return Snapshot{
		Connections: m.connections.Load(), Sessions: m.sessions.Load(), Requests: m.requests.Load(),
		RequestErrors: m.requestErrors.Load(), EventsSent: m.events.Load(), Objects: objs,
	}
}
