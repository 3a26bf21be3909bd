package kms

import (
	"sort"
	"sync"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/internal/metrics"
)

// mediaTotals keeps what the media metrics read on scrape: the endpoints
// alive, and the counters of the ones released (so totals never go back).
// The packet path is not involved: the counters are those rtpstats keeps
// for getStats, read when Prometheus asks.
type mediaTotals struct {
	mu      sync.Mutex // guards live and retired; a scrape holds it throughout, so an endpoint counts once
	live    map[*Object]*webrtcep.Endpoint
	retired map[streamKey]metrics.StreamCounters
}

type streamKey struct{ kind, dir string }

// workerCounter is the processing back end as the metrics read it
// (process.Manager).
type workerCounter interface {
	Workers() int
	Failures() uint64
}

func newMediaTotals() *mediaTotals {
	return &mediaTotals{live: map[*Object]*webrtcep.Endpoint{}, retired: map[streamKey]metrics.StreamCounters{}}
}

// track starts counting an endpoint object.
func (m *mediaTotals) track(o *Object) {
	if ep, ok := o.impl.(*webrtcep.Endpoint); ok {
		m.mu.Lock()
		m.live[o] = ep
		m.mu.Unlock()
	}
}

// retire moves a released endpoint's final counters into the totals.
func (m *mediaTotals) retire(o *Object) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep := m.live[o]
	if ep == nil {
		return
	}
	delete(m.live, o)
	addStreams(m.retired, ep.Stats(nil))
}

// addStreams adds an endpoint's RTP counters to totals. Direction "in" is
// what the server receives, with the feedback it sent about it; "out" what
// it sends, with the feedback its receivers sent.
func addStreams(totals map[streamKey]metrics.StreamCounters, st webrtcep.EndpointStats) {
	for _, r := range st.RTP {
		k := streamKey{r.Kind.String(), metrics.Out}
		if r.Inbound {
			k.dir = metrics.In
		}
		c := totals[k]
		c.Kind, c.Direction = k.kind, k.dir
		c.Packets += r.Packets
		c.Bytes += r.Bytes
		c.NACKs += uint64(r.NACK)
		c.PLIs += uint64(r.PLI)
		c.FIRs += uint64(r.FIR)
		if r.Inbound && r.PacketsLost > 0 {
			c.Lost += uint64(r.PacketsLost)
		}
		totals[k] = c
	}
}

// MediaStats implements metrics.MediaSource: pipelines, endpoints by class
// and ICE state, and packet, byte, feedback and loss totals since start.
func (s *Server) MediaStats() metrics.MediaStats {
	var out metrics.MediaStats
	s.mu.Lock()
	for _, o := range s.objects {
		if o.class.isA("MediaPipeline") {
			out.Pipelines++
		}
	}
	s.mu.Unlock()
	m := s.media
	m.mu.Lock()
	totals := make(map[streamKey]metrics.StreamCounters, len(m.retired))
	for k, v := range m.retired {
		totals[k] = v
	}
	states := map[[2]string]int64{}
	for o, ep := range m.live {
		addStreams(totals, ep.Stats(nil))
		states[[2]string{o.class.Name, iceStateName(ep.State().ICE)}]++
	}
	m.mu.Unlock()
	for k, n := range states {
		out.Endpoints = append(out.Endpoints, metrics.EndpointCount{Class: k[0], State: k[1], Count: n})
	}
	sort.Slice(out.Endpoints, func(i, j int) bool {
		a, b := out.Endpoints[i], out.Endpoints[j]
		return a.Class < b.Class || a.Class == b.Class && a.State < b.State
	})
	if w, ok := s.cfg.Processing.(workerCounter); ok {
		out.Workers, out.WorkerFailures = int64(w.Workers()), w.Failures()
	}
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
		for _, dir := range []string{metrics.In, metrics.Out} {
			c := totals[streamKey{kind.String(), dir}]
			c.Kind, c.Direction = kind.String(), dir
			out.Streams = append(out.Streams, c)
		}
	}
	return out
}
