package rtpep

import (
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
)

// The endpoint tells the media graph what it emits and takes, so that the
// graph puts a transcoder between it and elements of another codec
// (media/transcode.go): what the remote side sends leaves its source pad
// in the negotiated codec (media.CodecSource), and its sink pad takes only
// the negotiated codec (media.CodecSink) when it sends.

var (
	_ media.CodecSource = (*Endpoint)(nil)
	_ media.CodecSink   = (*Endpoint)(nil)
)

// kindCodecs are what one kind negotiated, for the graph's plan (read
// without locks).
type kindCodecs struct {
	recv *media.Codec   // nil when the remote side sends nothing of this kind
	send []*media.Codec // empty (not nil) when nothing of this kind is sent
}

// codecState holds each kind's kindCodecs: nil before negotiating.
type codecState [2]atomic.Pointer[kindCodecs]

// recordCodecsLocked keeps what the negotiated streams send and receive;
// a kind without a stream takes nothing.
func (w *Endpoint) recordCodecsLocked(streams [2]*stream) {
	for kind, s := range streams {
		k := &kindCodecs{send: []*media.Codec{}}
		if s != nil {
			if s.dir.recv {
				k.recv = s.codec
			}
			if s.dir.send {
				k.send = []*media.Codec{s.codec}
			}
		}
		w.codecs[kind].Store(k)
	}
}

func (w *Endpoint) kindCodecs(mt media.MediaType) *kindCodecs {
	if mt != media.Audio && mt != media.Video {
		return nil
	}
	return w.codecs[mt].Load()
}

// SourceCodec implements media.CodecSource: the codec the remote side sends.
func (w *Endpoint) SourceCodec(p *media.SourcePad) *media.Codec {
	if k := w.kindCodecs(p.MediaType()); k != nil {
		return k.recv
	}
	return nil
}

// SinkCodecs implements media.CodecSink: the codec the remote side
// receives (nil before negotiating: anything may be connected).
func (w *Endpoint) SinkCodecs(p *media.SinkPad) []*media.Codec {
	if k := w.kindCodecs(p.MediaType()); k != nil {
		return k.send
	}
	return nil
}
