// Package peer is the load generator's synthetic WebRTC peer: a Pion
// PeerConnection on loopback whose UDP socket is wrapped so that received
// SRTP is counted from the clear RTP header in batched reads, and only a
// sample (plus all RTCP, STUN and DTLS) goes up to Pion for decryption —
// the "cheap subscriber" that keeps the generator's cost per received
// packet far below the server's.
package peer
