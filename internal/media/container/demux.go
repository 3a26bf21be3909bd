package container

import "time"

// Demuxer reads samples from a file. ReadSample returns samples in file
// order (interleaved, each track in decode order) and io.EOF at the end; a
// file cut short ends at its last complete sample. Video keyframes of
// H.264 carry their SPS/PPS, so a decoder or an RTP receiver can start on
// any of them.
type Demuxer interface {
	Tracks() []Track
	ReadSample() (Sample, error)
	// Duration is the file's duration, when it says or could be computed.
	Duration() (time.Duration, bool)
	// Seekable reports whether Seek works (a seekable source and an index
	// or a scannable file).
	Seekable() bool
	// Seek moves to the video keyframe at or before pos (for audio-only
	// files, the sample at or before it) and returns that keyframe's time;
	// the next ReadSample returns it, and no sample of another track
	// earlier than it follows.
	Seek(pos time.Duration) (time.Duration, error)
}

// DemuxLimits bound what a demuxer buffers from an untrusted file.
type DemuxLimits struct {
	// MaxElement is the largest header element or sample read into memory
	// (default 64 MiB).
	MaxElement int64
	// MaxIndexEntries bounds the cue/fragment/sample index (default 4M).
	MaxIndexEntries int
}

// WithDefaults fills zero limits.
func (l DemuxLimits) WithDefaults() DemuxLimits {
	if l.MaxElement <= 0 {
		l.MaxElement = 64 << 20
	}
	if l.MaxIndexEntries <= 0 {
		l.MaxIndexEntries = 4 << 20
	}
	return l
}
