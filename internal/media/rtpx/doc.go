// Package rtpx holds the RTP helpers shared by element packages: the header
// rewriting that keeps an output stream continuous across source changes,
// and keyframe detection per codec. It depends only on pion/rtp.
package rtpx
