package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// namespace prefixes every Gorento metric.
const namespace = "gorento"

// Registry holds Gorento's metrics: the Go runtime and process collectors,
// the sources components add, and the observers they are handed.
type Registry struct {
	reg *prometheus.Registry

	mu      sync.Mutex // guards sources
	kurento KurentoSource
	media   MediaSource
	room    RoomSource

	conns    *connMetrics
	requests map[string]*requestMetrics // by component
	streams  *streamMetrics
}

// New returns a registry with the process and Go collectors registered.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry(), requests: map[string]*requestMetrics{}}
	r.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	r.reg.MustRegister(&sourceCollector{r: r})
	r.conns = newConnMetrics(r.reg)
	r.streams = newStreamMetrics(r.reg)
	return r
}

// SetKurento makes the registry read the Kurento Protocol server on scrape.
func (r *Registry) SetKurento(s KurentoSource) { r.mu.Lock(); r.kurento = s; r.mu.Unlock() }

// SetMedia makes the registry read the media engine on scrape.
func (r *Registry) SetMedia(s MediaSource) { r.mu.Lock(); r.media = s; r.mu.Unlock() }

// SetRoom makes the registry read the room server on scrape.
func (r *Registry) SetRoom(s RoomSource) { r.mu.Lock(); r.room = s; r.mu.Unlock() }

// Requests returns the request observer of a component ("kurento", "room").
func (r *Registry) Requests(component string) RequestObserver {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.requests[component]
	if m == nil {
		m = newRequestMetrics(r.reg, component)
		r.requests[component] = m
	}
	return m
}

// Streams returns the observer of media quality reports.
func (r *Registry) Streams() StreamObserver { return r.streams }

// Conns returns the observer of WebSocket admissions.
func (r *Registry) Conns() ConnObserver { return r.conns }

// Handler serves the metrics in the Prometheus text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// Gatherer exposes the registry to tests and embedding programs.
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }

func (r *Registry) sources() (KurentoSource, MediaSource, RoomSource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.kurento, r.media, r.room
}
