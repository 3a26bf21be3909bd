package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(namespace+"_"+name, help, labels, nil)
}

// Descriptions of the metrics read from sources on scrape.
var (
	kmsConnections   = desc("kurento_connections", "Open Kurento Protocol WebSocket connections.")
	kmsSessions      = desc("kurento_sessions", "Kurento sessions held (connected or waiting for reconnection/garbage collection).")
	kmsRequests      = desc("kurento_requests_total", "Kurento Protocol requests received.")
	kmsRequestErrors = desc("kurento_request_errors_total", "Kurento Protocol requests answered with an error.")
	kmsEvents        = desc("kurento_events_sent_total", "Kurento events (onEvent notifications) sent.")
	kmsObjects       = desc("kurento_objects", "Live media objects by Kurento class.", "class")
	pipelines        = desc("pipelines", "Live media pipelines.")

	mediaEndpoints = desc("media_endpoints", "Endpoints by class and state.", "class", "state")
	mediaPackets   = desc("media_packets_total", "RTP packets by media kind and direction.", "kind", "direction")
	mediaBytes     = desc("media_bytes_total", "RTP payload bytes by media kind and direction.", "kind", "direction")
	mediaFeedback  = desc("media_rtcp_feedback_total", "RTCP feedback (nack, pli, fir) about the streams of a media kind and direction: for in, sent by the server to senders; for out, sent to the server by receivers.", "type", "kind", "direction")
	mediaLost      = desc("media_packets_lost_total", "Incoming RTP packets lost, by media kind.", "kind")
	mediaWorkers   = desc("media_workers", "Media processing worker processes running.")
	workerFailures = desc("media_worker_failures_total", "Media processing workers that crashed or hung.")

	rooms         = desc("rooms", "Open rooms.")
	participants  = desc("room_participants", "Participants in rooms.")
	publishers    = desc("room_publishers", "Participants publishing media.")
	subscriptions = desc("room_subscriptions", "Subscriptions (one per viewer and publisher).")
	serverUp      = desc("room_media_server_up", "1 when the room server reaches the media server.", "uri")
	serverRooms   = desc("room_media_server_rooms", "Rooms placed on the media server.", "uri")
)

// sourceCollector reads the registered sources on every scrape.
type sourceCollector struct{ r *Registry }

func (c *sourceCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{kmsConnections, kmsSessions, kmsRequests, kmsRequestErrors, kmsEvents, kmsObjects,
		pipelines, mediaEndpoints, mediaPackets, mediaBytes, mediaFeedback, mediaLost, mediaWorkers, workerFailures,
		rooms, participants, publishers, subscriptions, serverUp, serverRooms} {
		ch <- d
	}
}

func (c *sourceCollector) Collect(ch chan<- prometheus.Metric) {
	k, m, r := c.r.sources()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	if k != nil {
		s := k.KurentoStats()
		gauge(kmsConnections, float64(s.Connections))
		gauge(kmsSessions, float64(s.Sessions))
		counter(kmsRequests, float64(s.Requests))
		counter(kmsRequestErrors, float64(s.RequestErrors))
		counter(kmsEvents, float64(s.EventsSent))
		for class, n := range s.Objects {
			gauge(kmsObjects, float64(n), class)
		}
		if m == nil { // until the media engine reports, pipelines are Kurento objects
			gauge(pipelines, float64(s.Objects["MediaPipeline"]))
		}
	}
	if m != nil {
		s := m.MediaStats()
		gauge(pipelines, float64(s.Pipelines))
		for _, e := range s.Endpoints {
			gauge(mediaEndpoints, float64(e.Count), e.Class, e.State)
		}
		for _, st := range s.Streams {
			counter(mediaPackets, float64(st.Packets), st.Kind, st.Direction)
			counter(mediaBytes, float64(st.Bytes), st.Kind, st.Direction)
			counter(mediaFeedback, float64(st.NACKs), "nack", st.Kind, st.Direction)
			counter(mediaFeedback, float64(st.PLIs), "pli", st.Kind, st.Direction)
			counter(mediaFeedback, float64(st.FIRs), "fir", st.Kind, st.Direction)
			if st.Direction == In {
				counter(mediaLost, float64(st.Lost), st.Kind)
			}
		}
		gauge(mediaWorkers, float64(s.Workers))
		counter(workerFailures, float64(s.WorkerFailures))
	}
	if r != nil {
		s := r.RoomStats()
		gauge(rooms, float64(s.Rooms))
		gauge(participants, float64(s.Participants))
		gauge(publishers, float64(s.Publishers))
		gauge(subscriptions, float64(s.Subscriptions))
		for _, ms := range s.MediaServers {
			up := 0.0
			if ms.Up {
				up = 1
			}
			gauge(serverUp, up, ms.URI)
			gauge(serverRooms, float64(ms.Rooms), ms.URI)
		}
	}
}
