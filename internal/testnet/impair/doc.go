// Package impair makes impaired network links on loopback for tests, benchmarks
// and users who want to reproduce a bad network by hand.
//
// This kernel has no netem (no sch_netem, no tc actions), so the harness has two
// halves:
//
//   - Relay: a TURN server (pion/turn) on 127.0.0.1 whose client-facing socket
//     drops, delays, jitters and (optionally) reorders packets, per direction. A
//     browser gets it as its only ICE server with iceTransportPolicy "relay"; every
//     packet it sends or receives (STUN, DTLS, RTP, RTCP) then crosses the relay.
//     One relay per impaired peer, so each peer has its own port.
//   - Shaper: kernel rate limits with tc htb on lo, keyed on a UDP port (a relay's
//     port, or any server port). It refuses to run outside a loopback-only network
//     namespace (scripts/netns-run.sh), so it can never shape the host's traffic.
//
// Direction is always seen from the owner of the port: Up is what a peer sends
// (packets to the port), Down is what it receives (packets from the port).
//
// Usage from Go: see Relay and Shaper; from a shell: cmd/impair (docs/impaired-links.md).
package impair
