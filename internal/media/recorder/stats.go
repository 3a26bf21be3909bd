package recorder

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/uriep"
)

// Stats describe a recording so far.
type Stats struct {
	State uriep.State
	// Queue counts the slow-sink queue: packets dropped because the
	// recorder fell behind.
	Queue media.QueueStats
	// Mux counts samples, fragments, writes and bytes (the write pattern).
	Mux    container.MuxStats
	Tracks []TrackStats
}

// TrackStats describe one track of the file.
type TrackStats struct {
	Kind        media.MediaType
	Codec       frames.Codec // in the file
	Input       string       // MIME type of the packets feeding it
	Transcoding bool
	Frames      uint64       // frames handed to the muxer
	RTP         frames.Stats // the depacketizer of the current leg
}

// Stats returns the recording's counters.
func (r *Recorder) Stats() Stats {
	st := Stats{}
	st.Queue, _ = r.core.QueueStats()
	r.mu.Lock()
	defer r.mu.Unlock()
	st.State = r.state
	if r.mux != nil {
		st.Mux = r.mux.Stats()
	}
	for _, t := range r.tracks {
		if t == nil {
			continue
		}
		ts := TrackStats{Kind: t.kind, Codec: t.codec, Transcoding: t.tc != nil}
		if t.in != nil {
			ts.Input = t.in.MimeType
		}
		f := t.direct
		if f == nil {
			f = t.tcFeed
		}
		if f != nil {
			ts.Frames, ts.RTP = f.frames, f.dp.Stats()
		}
		st.Tracks = append(st.Tracks, ts)
	}
	return st
}
