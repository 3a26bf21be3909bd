// Package media prepares what the load generator sends: a looped VP8 + Opus
// stream (real bitstreams made with ffmpeg, or a synthetic stand-in with
// the same packet rate for smoke runs), already cut into RTP payloads, and
// the send-time trailer appended to every payload for one-way latency and
// exact loss counting.
package media
