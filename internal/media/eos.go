package media

// End of stream.
//
// RTP has no end: a WebRTC publisher that leaves just stops sending. A
// player does reach the end of its file, and Kurento lets that end travel
// downstream (a RecorderEndpoint created with stopOnEndOfStream finishes its
// file when the player it records reaches the end). An element that ends a
// stream calls SourcePad.PushEndOfStream after its last packet; sinks that
// care implement EndOfStreamHandler, forwarding elements pass it on.

// EndOfStreamHandler is implemented by element handlers that react to the
// end of the stream feeding a sink pad.
type EndOfStreamHandler interface {
	// EndOfStream is called, on the goroutine of the element that ended
	// the stream, after the last packet was pushed to p. An element that
	// consumes through a queue still has that packet (and perhaps others)
	// queued; it must not block.
	EndOfStream(p *SinkPad)
}

// PushEndOfStream tells every sink connected to p that the stream ended.
func (p *SourcePad) PushEndOfStream() {
	for _, sink := range p.Sinks() {
		if h, ok := sink.owner.handler.(EndOfStreamHandler); ok {
			h.EndOfStream(sink)
		}
	}
}

// EndOfStream implements EndOfStreamHandler: pass it on.
func (pt *PassThrough) EndOfStream(p *SinkPad) {
	pt.core.defaultSources[p.mediaType].PushEndOfStream()
}
