package rtpep

import (
	"encoding/binary"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
)

// Options are the constructor parameters of an Endpoint.
type Options struct {
	// Crypto turns SDES-SRTP on (the zero value: plain RTP).
	Crypto SDES
	// IPv6 binds and announces Config.Address6 instead of Address.
	IPv6 bool
}

// OfferOptions are the options of GenerateOffer.
type OfferOptions struct {
	OfferToReceiveAudio bool
	OfferToReceiveVideo bool
}

// Endpoint is a plain-RTP peer inside a pipeline (Kurento's RtpEndpoint).
// Media received from the remote side leaves through its source pads;
// media reaching its sink pads is sent to the remote side.
type Endpoint struct {
	core   media.Core
	engine *Engine
	opts   Options
	log    *slog.Logger
	local  *keying // our SRTP key (nil: plain RTP)
	cname  string
	sessID uint64

	// mu guards the negotiation state below.
	mu        sync.Mutex
	neg       sdpneg.State
	localSDP  string
	remoteSDP string
	offered   []localMedia
	opened    []*stream // every stream with sockets, closed on Release
	released  bool

	streams [2]*stream // audio, video: set once when negotiated (under mu), read by Consume after
	codecs  codecState // what each kind sends and receives, for the graph (graph.go)

	stateMu   sync.Mutex // guards mediaUp, connUp
	mediaUp   bool
	connUp    bool
	streamsMu sync.RWMutex // guards streams for readers outside mu

	life *media.Goroutines // the endpoint's goroutines, joined by Release
}

var _ media.Element = (*Endpoint)(nil)

// New creates an endpoint in p. Sockets are opened when it negotiates.
func New(p *media.Pipeline, e *Engine, opts Options, events media.EventHandler) (*Endpoint, error) {
	w := &Endpoint{engine: e, opts: opts, life: media.NewGoroutines()}
	if opts.Crypto.Enabled() {
		k, err := localKeying(opts.Crypto)
		if err != nil {
			return nil, err
		}
		w.local = &k
	}
	var id [8]byte
	_, _ = randRead(id[:])
	w.sessID = binary.BigEndian.Uint64(id[:]) >> 2
	w.cname = "gorento-" + hex.EncodeToString(id[:6])
	w.log = e.cfg.Logger.With("rtpEndpoint", w.cname[8:])
	if !e.admit() {
		return nil, failure(ErrTooManyEndpoints, "Too many RtpEndpoints (limit %d, rtp.maxEndpoints)", e.cfg.MaxEndpoints)
	}
	if err := w.core.Init(p, w, w, events); err != nil {
		e.leave()
		return nil, err
	}
	return w, nil
}

// Core implements media.Element.
func (w *Endpoint) Core() *media.Core { return &w.core }

func (w *Endpoint) now() int64 { return w.core.Pipeline().Now() }

// Forwards implements media.Handler: media received on sink pads goes to
// the network, never back into the pipeline.
func (w *Endpoint) Forwards() bool { return false }

// stream returns the negotiated stream of kind (nil if none).
func (w *Endpoint) stream(kind media.MediaType) *stream {
	if kind != media.Audio && kind != media.Video {
		return nil
	}
	w.streamsMu.RLock()
	defer w.streamsMu.RUnlock()
	return w.streams[kind]
}

// Consume implements media.Handler: send a packet that reached a sink pad.
func (w *Endpoint) Consume(p *media.SinkPad, pkt *media.Packet) {
	if s := w.stream(p.MediaType()); s != nil {
		s.write(pkt)
	}
}

// SourceChanged implements media.Handler: continue the output stream
// across the change and ask the new source for a keyframe.
func (w *Endpoint) SourceChanged(p *media.SinkPad) {
	s := w.stream(p.MediaType())
	if s == nil {
		return
	}
	s.sourceChanged()
	if p.MediaType() == media.Video {
		p.RequestKeyframe()
	}
}

// RequestKeyframe implements media.Handler: a receiver downstream wants a
// keyframe; ask the remote sender with a PLI.
func (w *Endpoint) RequestKeyframe(p *media.SourcePad) {
	if s := w.stream(p.MediaType()); s != nil {
		s.requestKeyframe()
	}
}

// RequestKeyframeNow asks the remote sender for a keyframe (Kurento's
// requestKeyframe); false when no video is received.
func (w *Endpoint) RequestKeyframeNow() bool {
	s := w.stream(media.Video)
	if s == nil || !s.dir.recv {
		return false
	}
	if _, ok := s.recv.remoteSSRC(); !ok {
		return false
	}
	s.requestKeyframe()
	return true
}

// BitrateEstimate implements media.Handler (plain RTP carries no estimate).
func (w *Endpoint) BitrateEstimate(*media.SinkPad) uint64 { return 0 }

// spawn runs f in a goroutine owned by the endpoint; false (f not run)
// once the endpoint is being released.
func (w *Endpoint) spawn(f func()) bool { return w.life.Go(f) }

// Release closes the sockets and waits for every goroutine of the
// endpoint. It is idempotent.
func (w *Endpoint) Release() {
	w.mu.Lock()
	if w.released {
		w.mu.Unlock()
		return
	}
	w.released = true
	opened := w.opened
	w.opened = nil
	w.mu.Unlock()
	w.core.Detach()
	w.life.Stop()
	for _, s := range opened {
		s.close()
	}
	w.life.Wait()
	w.engine.leave()
}

// State is a snapshot of the endpoint's states.
type State struct {
	MediaConnected      bool // RTCP arrives
	ConnectionConnected bool // negotiated, sockets open
}

// State returns the endpoint's current states.
func (w *Endpoint) State() State {
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	return State{MediaConnected: w.mediaUp, ConnectionConnected: w.connUp}
}

// checkMedia updates the media state from the RTCP seen by the streams.
func (w *Endpoint) checkMedia() {
	now := w.now()
	up := false
	w.streamsMu.RLock()
	for _, s := range w.streams {
		if s == nil {
			continue
		}
		if t := s.lastRTCP.Load(); t != 0 && now-t < int64(w.engine.cfg.MediaTimeout) {
			up = true
		}
	}
	w.streamsMu.RUnlock()
	w.stateMu.Lock()
	changed := up != w.mediaUp
	w.mediaUp = up
	if changed {
		w.core.Post(media.MediaStateChanged{Connected: up})
	}
	w.stateMu.Unlock()
	w.core.Deliver()
}

// monitor sends RTCP reports and watches the media state until release.
func (w *Endpoint) monitor() {
	t := time.NewTicker(w.engine.cfg.ReportInterval)
	defer t.Stop()
	for {
		select {
		case <-w.life.Done():
			return
		case wall := <-t.C:
			now := w.now()
			for _, kind := range []media.MediaType{media.Audio, media.Video} {
				if s := w.stream(kind); s != nil {
					s.sendReport(now, wall)
				}
			}
			w.checkMedia()
		}
	}
}

// Stats are counters of one kind's stream (bytes are payload bytes).
type Stats struct {
	Negotiated              bool
	Codec                   *media.Codec
	LocalPort               int
	SSRC, RemoteSSRC        uint32 // RemoteSSRC: 0 before any packet
	Sent, SentBytes         uint64
	Received, ReceivedBytes uint64
	Lost                    int64
	PLIReceived, PLISent    uint64
	Sending, Receiving      bool // negotiated directions
	// Dropped counts packets of another codec reaching the sink pad;
	// AuthFailed counts SRTP/SRTCP packets that failed authentication.
	Dropped, AuthFailed uint64
}

// Stats returns the counters of kind's stream.
func (w *Endpoint) Stats(kind media.MediaType) Stats {
	s := w.stream(kind)
	if s == nil {
		return Stats{}
	}
	remote, _ := s.recv.remoteSSRC()
	return Stats{Negotiated: true, Codec: s.codec, LocalPort: s.port, SSRC: s.ssrc, RemoteSSRC: remote,
		Sent: s.sentTotal.Load(), SentBytes: s.sentBytes.Load(), Received: s.received.Load(), ReceivedBytes: s.recvBytes.Load(),
		Lost: s.recv.lost(), PLIReceived: s.plisIn.Load(), PLISent: s.plisOut.Load(), Sending: s.dir.send, Receiving: s.dir.recv,
		Dropped: s.mismatch.Load(), AuthFailed: s.authFailed.Load()}
}

// LocalDescription returns the SDP sent to the remote side ("" if none).
func (w *Endpoint) LocalDescription() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.localSDP
}

// RemoteDescription returns the SDP received ("" if none).
func (w *Endpoint) RemoteDescription() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.remoteSDP
}
