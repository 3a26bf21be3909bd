// Package egress is the send path of WebRtcEndpoints: what happens to a
// packet between a sink pad and the network.
//
// A Scheduler runs one worker goroutine per core. Each WebRtcEndpoint is a
// Transport pinned to one worker for life, and each track it sends a
// Downtrack. The pipeline's producers call Downtrack.Enqueue, which holds
// the packet's buffer (media.PacketBuf: no copy) and pushes it into the
// worker's lock-free ring; the worker rewrites the header (SSRC, payload
// type, continuous sequence numbers and timestamps), records it in the
// track's Sequencer (so NACKs are answered from the source's shared
// history) and sends it. Because a transport has one worker and a source
// one producer, a sink's packets leave in the order they were pushed; and
// because one worker sends for many transports, their datagrams can share
// system calls.
//
// Sending: through the transport's fallback writer (Pion's RTP writer:
// its SRTP session and ICE connection) unless the transport has a fast
// path (own SRTP into the worker's batch, see fastpath.go).
//
// The worker also answers NACKs (control operations posted by the RTCP
// readers), sends the RTCP sender reports of its tracks (Pion's report
// interceptor is not used: it only sees what passes through its writer),
// and calls the hooks of bandwidth estimation, pacing, probing and layer
// selection (hooks.go).
//
// The package imports no Pion transport package (webrtc, ice, dtls): the
// WebRtcEndpoint wires its PeerConnection in.
package egress
