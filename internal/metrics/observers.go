package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// maxMethods bounds the method label of one component: a client cannot
// grow the metrics by inventing method names. (The Kurento server labels
// invoke and create by operation and class: its class table has fewer.)
const maxMethods = 256

type requestMetrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec

	mu      sync.Mutex // guards methods
	methods map[string]bool
}

func newRequestMetrics(reg prometheus.Registerer, component string) *requestMetrics {
	m := &requestMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:        "Time to answer a request, by protocol component and method.",
			ConstLabels: prometheus.Labels{"component": component},
			Buckets:     []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "request_errors_total",
			Help:        "Requests answered with an error, by protocol component and error code.",
			ConstLabels: prometheus.Labels{"component": component},
		}, []string{"code"}),
		methods: map[string]bool{},
	}
	reg.MustRegister(m.duration, m.errors)
	return m
}

func (m *requestMetrics) ObserveRequest(method string, d time.Duration, code int) {
	m.mu.Lock()
	if !m.methods[method] {
		if len(m.methods) >= maxMethods {
			method = "other"
		}
		m.methods[method] = true
	}
	m.mu.Unlock()
	m.duration.WithLabelValues(method).Observe(d.Seconds())
	if code != 0 {
		m.errors.WithLabelValues(strconv.Itoa(code)).Inc()
	}
}

type streamMetrics struct {
	loss, rtt, jitter *prometheus.HistogramVec
}

func newStreamMetrics(reg prometheus.Registerer) *streamMetrics {
	h := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, []string{"kind", "direction"})
	}
	const per = " Received streams (direction in): once a second while packets arrive; sent streams (out): per receiver report of the peer."
	m := &streamMetrics{
		loss:   h("media_loss_ratio", "Fraction of packets lost."+per, []float64{0, .001, .005, .01, .02, .05, .1, .2, .5, 1}),
		rtt:    h("media_rtt_seconds", "Round-trip time to the receiving peer, per receiver report (direction out).", []float64{.001, .005, .01, .025, .05, .1, .2, .4, .8, 1.6}),
		jitter: h("media_jitter_seconds", "Interarrival jitter."+per, []float64{.001, .0025, .005, .01, .02, .04, .08, .16, .32}),
	}
	reg.MustRegister(m.loss, m.rtt, m.jitter)
	return m
}

func (m *streamMetrics) ObserveLoss(kind, dir string, f float64) {
	m.loss.WithLabelValues(kind, dir).Observe(f)
}
func (m *streamMetrics) ObserveRTT(kind, dir string, d time.Duration) {
	m.rtt.WithLabelValues(kind, dir).Observe(d.Seconds())
}
func (m *streamMetrics) ObserveJitter(kind, dir string, d time.Duration) {
	m.jitter.WithLabelValues(kind, dir).Observe(d.Seconds())
}

type connMetrics struct {
	open    *prometheus.GaugeVec
	refused *prometheus.CounterVec
}

func newConnMetrics(reg prometheus.Registerer) *connMetrics {
	m := &connMetrics{
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: namespace, Name: "websocket_connections",
			Help: "Open WebSocket connections by endpoint."}, []string{"endpoint"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: "websocket_refused_total",
			Help: "WebSocket handshakes refused, by endpoint and reason."}, []string{"endpoint", "reason"}),
	}
	reg.MustRegister(m.open, m.refused)
	return m
}

func (m *connMetrics) ConnOpened(endpoint string) { m.open.WithLabelValues(endpoint).Inc() }
func (m *connMetrics) ConnClosed(endpoint string) { m.open.WithLabelValues(endpoint).Dec() }
func (m *connMetrics) ConnRefused(endpoint, reason string) {
	m.refused.WithLabelValues(endpoint, reason).Inc()
}
