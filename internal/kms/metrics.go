package kms

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/jsonrpc"
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

type noObserver struct{}

// noObserver stands in for a missing metrics.RequestObserver.
func (noObserver) ObserveRequest(string, time.Duration, int) {}

// requestLabel names a request in metrics: the method, with the operation
// of an invoke ("invoke:processOffer") and the class of a create
// ("create:WebRtcEndpoint") once they were found in the class table, so
// the label set stays bounded by the table whatever clients send.
func requestLabel(method string, r *request) string {
	switch {
	case r != nil && r.label != "":
		return r.label
	case handlers[method] != nil:
		return method
	}
	return "unknown"
}

// errorCode is the code reported for a response (0: success).
func errorCode(e *jsonrpc.Error) int {
	if e == nil {
		return 0
	}
	return e.Code
}
