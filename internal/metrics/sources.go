// Package metrics is Gorento's Prometheus exporter and health checks. The
// components report into it through small interfaces, so none of them
// imports Prometheus:
//
//   - sources are read on each scrape (KurentoSource, MediaSource,
//     RoomSource): components keep plain atomics on their hot paths and
//     copy them out here;
//   - observers are called as things happen (RequestObserver for request
//     latency and error codes, StreamObserver for loss, RTT and jitter
//     reports, ConnObserver for WebSocket admissions).
//
// docs/operations.md lists every metric.
package metrics

import "time"

// KurentoStats is what the Kurento Protocol server reports on scrape.
type KurentoStats struct {
	Connections, Sessions               int64 // open now
	Requests, RequestErrors, EventsSent int64 // since start
	// Objects counts live media objects by Kurento class (MediaPipeline,
	// WebRtcEndpoint …).
	Objects map[string]int64
}

// KurentoSource is implemented by the Kurento Protocol server.
type KurentoSource interface {
	KurentoStats() KurentoStats
}

// Direction of media counters, seen from the server.
const (
	In  = "in"
	Out = "out"
)

// StreamCounters are packet counters of one media kind and direction:
// In is the media the server receives, Out what it sends. The feedback
// counters are about those streams: for In, the NACK, PLI and FIR packets
// the server sent to the senders; for Out, those its receivers sent.
type StreamCounters struct {
	Kind      string // "audio" or "video"
	Direction string // In or Out
	Packets   uint64
	Bytes     uint64 // RTP payload bytes
	NACKs     uint64
	PLIs      uint64
	FIRs      uint64
	Lost      uint64 // packets lost (In only)
}

// MediaStats is what the media engine reports on scrape.
type MediaStats struct {
	Pipelines int64
	// Endpoints counts endpoints by class and state ("CONNECTED",
	// "DISCONNECTED", … as MediaStateChanged/ConnectionStateChanged say).
	Endpoints []EndpointCount
	Streams   []StreamCounters // totals since start
	// Workers is the number of processing worker processes (GStreamer).
	Workers int64
	// WorkerRestarts counts workers that crashed or hung, since start.
	WorkerFailures uint64
}

// EndpointCount is the number of endpoints of one class in one state.
type EndpointCount struct {
	Class, State string
	Count        int64
}

// MediaSource is implemented by the media engine.
type MediaSource interface {
	MediaStats() MediaStats
}

// RoomStats is what the room server reports on scrape.
type RoomStats struct {
	Rooms, Participants, Publishers, Subscriptions int64
	MediaServers                                   []MediaServerState
}

// MediaServerState is one media server as the room server sees it.
type MediaServerState struct {
	URI   string
	Up    bool
	Rooms int
}

// RoomSource is implemented by the room server.
type RoomSource interface {
	RoomStats() RoomStats
}

// RequestObserver is told of every request a protocol server answered.
// method must come from the protocol's fixed set (unknown client-sent
// names are reported as "other"); code is 0 for success, else the error
// code answered.
type RequestObserver interface {
	ObserveRequest(method string, d time.Duration, code int)
}

// StreamObserver receives the quality of media streams, kind "audio" or
// "video": for streams the server receives (direction In) once a second
// while packets arrive, as its own receiver reports say; for streams it
// sends (Out) per receiver report of the remote peer, with the round trip.
type StreamObserver interface {
	ObserveLoss(kind, direction string, fractionLost float64)
	ObserveRTT(kind, direction string, rtt time.Duration)
	ObserveJitter(kind, direction string, jitter time.Duration)
}

// ConnObserver is told of WebSocket admissions by endpoint ("kurento",
// "room"): opened and closed connections, and refusals with their reason
// ("origin", "credential", "address-limit", "draining").
type ConnObserver interface {
	ConnOpened(endpoint string)
	ConnClosed(endpoint string)
	ConnRefused(endpoint, reason string)
}
