// Package rtpep is the RtpEndpoint: plain RTP/RTCP over UDP, negotiated
// with SDP offer/answer (RFC 3264) both ways, optionally protected with
// SDES-SRTP (RFC 4568, keys exchanged in a=crypto lines). It is how a
// pipeline talks to SIP gateways, ffmpeg and GStreamer senders and
// receivers, and other media servers.
//
// Each accepted m-line gets its own pair of UDP sockets (RTP on an even
// port, RTCP on the next one; RTCP is also accepted on the RTP port, and
// sent there when the remote side offers a=rtcp-mux). Media received from
// the remote side leaves through the element's source pads; media reaching
// its sink pads is rewritten into one continuous stream per kind (SSRC,
// payload type, sequence numbers, timestamps) and sent. When the remote
// SDP gives no address (c=IN IP4 0.0.0.0, as the Kurento rtp-receiver
// tutorial sends), the endpoint sends back to where the first packets
// come from (symmetric RTP).
//
// An m-line is answered with one codec: a forced format's when offered,
// else the remote side's first supported one. The endpoint tells the graph
// what it emits and takes (graph.go), so the graph transcodes between it
// and elements of another codec, both ways; packets of another codec that
// still reach a sink pad (no transcoder) are dropped and counted.
package rtpep
