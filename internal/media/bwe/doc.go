// Package bwe is a send-side bandwidth estimator in the style of Google
// Congestion Control (GCC): what one WebRTC transport may send to one peer,
// learned from the peer's transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions).
//
// It is pure logic: no goroutines, no locks, no clock. The owner (one egress
// worker per transport) calls it with its own monotonic time in nanoseconds:
//
//	e, _ := bwe.New(bwe.Config{Initial: 600_000, Min: 50_000, Max: 4_000_000})
//	e.OnPacketSent(twccSeq, size, now, probeID)  // every RTP packet (media, RTX, padding)
//	e.OnFeedback(rtcpTransportCC, now)          // every transport-cc feedback
//	e.OnTick(now)                                // every few ms: timers, ALR, probe controller
//	e.Target()                                   // bits/s the allocator may use
//	e.NextProbe(now)                             // a probe cluster to send, if one is due
//
// Inside, as in libwebrtc's goog_cc (read, not copied; draft-ietf-rmcat-gcc):
//
//   - sendHistory: a ring of per-packet send records (seq, time, size, probe);
//   - feedback: a zero-allocation reader of the transport-cc FCI;
//   - interArrival + trendline: packets grouped in 5 ms send bursts, the
//     growth of their one-way delay fitted by least squares over 20 groups,
//     compared with an adaptive threshold (overuse / normal / underuse);
//   - aimd: additive-increase multiplicative-decrease rate control driven by
//     that signal, decreasing to 0.85 × the acknowledged rate on overuse;
//   - lossController: a loss-based bound from the feedback's lost packets,
//     which tolerates the inherent (random) loss of a link and backs off on
//     loss that comes on top of it;
//   - ackRate: the rate the peer acknowledged (what actually got through);
//   - alrDetector: application-limited region (sending well below the estimate);
//   - probeController + probeResult: when and how much to probe (exponential
//     probing at start, periodic probes in ALR, fast recovery after a drop,
//     probes the allocator asks for), and the rate a probe cluster proved.
//
// Probes are plans (ProbeCluster); the egress sends them as RTX copies or
// padding tagged with the cluster's id.
package bwe
