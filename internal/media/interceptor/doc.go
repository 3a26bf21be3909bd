// Package interceptor holds what Gorento's own pion/interceptor
// implementations share. Each feature is its own package, in the shape of
// pion/interceptor's pkg/…: a factory built with option functions, and an
// interceptor that wraps the readers and writers it is bound to.
//
//   - rtpstats: the statistics recorder (per-SSRC counters, jitter, loss,
//     round-trip time); registered first, it parses each received packet
//     once for every interceptor above it.
//
// NACKs from receivers are not an interceptor's business any more: each
// sent track answers them from its source's shared history
// (internal/media/egress.Sequencer, media.SourceRing).
//
// The WebRtcEndpoint (internal/media/webrtcep) builds the chain of each
// peer connection from these and from Pion's NACK generator, reports and
// TWCC interceptors.
package interceptor
