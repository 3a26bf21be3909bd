package webrtcep

import (
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/egress"
	"github.com/gorento/gorento/internal/media/interceptor/rtpstats"
	"github.com/gorento/gorento/internal/media/interceptor/rtxnack"
	"github.com/gorento/gorento/internal/media/interceptor/twccrx"
	"github.com/gorento/gorento/internal/media/sdpneg"
	"github.com/gorento/gorento/internal/media/srtpx"
)

// Options are the constructor parameters of an Endpoint.
type Options struct {
	RecvOnly           bool
	SendOnly           bool
	UseDataChannels    bool
	CertificateKeyType string // "RSA" (the default) or "ECDSA"
	// MaxRemoteCandidates bounds the remote ICE candidates, trickled and in
	// the SDP together (0 = DefaultMaxRemoteCandidates; ice.go).
	MaxRemoteCandidates int
	// Quality, when set, is told the quality of the streams (quality.go).
	Quality QualityObserver
}

// OfferOptions are the options of GenerateOffer.
type OfferOptions struct {
	OfferToReceiveAudio bool
	OfferToReceiveVideo bool
}

// Endpoint is a WebRTC peer inside a pipeline: media received from the
// remote peer leaves through its source pads, media arriving on its sink
// pads is sent to the remote peer. Negotiation is processOffer, or
// generateOffer then processAnswer; ICE gathering starts only when the
// client calls GatherCandidates.
//
// Events are posted under the lock that orders the state they report and
// delivered after it is released (media.Core.Post/Deliver), so handlers may
// call back into the endpoint.
type Endpoint struct {
	core   media.Core
	engine *Engine
	opts   Options
	log    *slog.Logger
	stream string // msid stream id

	// mu guards the negotiation state below. Pion callbacks never take it,
	// so holding it while calling into Pion cannot deadlock.
	mu               sync.Mutex
	ice              ICESettings
	pc               *webrtc.PeerConnection
	pcRef            atomic.Pointer[webrtc.PeerConnection] // pc, for goroutines that must not take mu
	neg              sdpneg.State
	localSDP         string // as sent to the remote peer
	remoteSDP        string
	pending          *webrtc.SessionDescription // local description not applied yet
	remoteCandidates []webrtc.ICECandidateInit  // received before the remote description
	remoteCount      int                        // remote candidates accepted (ice.go)
	released         bool

	bw     bandwidths
	gather gatherGate
	state  connectionTracker
	tx     *egress.Transport // what the endpoint sends, on an egress worker
	bwe    *egress.BWE       // its send-side bandwidth estimation (bwe.go; nil: none)
	tracks [2]*sinkTrack     // audio, video
	tap    *keyTap           // SRTP keys of the peer connection's DTLS (nil: no fast path)

	fastMu   sync.Mutex     // guards fastSess and fastDone
	fastSess *srtpx.Session // keys the egress sends with (nil: Pion's writer)
	// fastRemote holds the keys of what the peer sends, for the direct
	// inbound path (nil: Pion unprotects).
	fastRemote *srtpx.Session
	fastDone   bool // released: no fast path any more
	in         [2]atomic.Pointer[inboundStream]
	direct     directIn        // the direct inbound path (direct.go; Config.DirectInbound)
	simul      simulcastIngest // simulcast_ingress.go
	stats      atomic.Pointer[rtpstats.Recorder]
	nack       atomic.Pointer[rtxnack.Interceptor] // the NACK generator (learns RTX repairs)
	twcc       atomic.Pointer[twccrx.Recorder]     // transport-cc feedback with DirectInbound
	dc         dataChannels
	statIDs    statsIDs
	quality    qualitySeen // the engine monitor's goroutine only
	uplink     uplinkWatch // the publisher's uplink congestion (publisher_feedback.go)
	codecs     codecState  // negotiated codecs, for the transcoding plan (codecs.go)

	life *media.Goroutines // the endpoint's goroutines, joined by Release
}

var _ media.Element = (*Endpoint)(nil)

// New creates an endpoint in p. The peer connection is made when the
// endpoint negotiates, so settings may be changed until then.
func New(p *media.Pipeline, e *Engine, opts Options, events media.EventHandler) (*Endpoint, error) {
	if opts.CertificateKeyType == "" {
		opts.CertificateKeyType = "RSA"
	}
	if opts.MaxRemoteCandidates <= 0 {
		opts.MaxRemoteCandidates = DefaultMaxRemoteCandidates
	}
	if opts.RecvOnly && opts.SendOnly {
		return nil, ErrBothDirections
	}
	w := &Endpoint{engine: e, opts: opts, ice: e.Defaults(), life: media.NewGoroutines(), stream: uuid.NewString()}
	w.log = e.log.With("endpoint", w.stream[:8])
	w.bw.init(e.cfg.Video)
	w.state.init(w)
	w.dc.init(w)
	w.bwe = w.newBWE()
	params := egress.TransportParams{RTCP: rtcpWriter{w}, OnError: w.transportError}
	if w.bwe != nil {
		params.Hooks = w.bwe
	}
	w.tx = e.egress.NewTransport(params)
	w.tracks[media.Audio] = newSinkTrack(w, media.Audio)
	w.tracks[media.Video] = newSinkTrack(w, media.Video)
	if err := w.core.Init(p, w, w, events); err != nil {
		w.tx.Close()
		return nil, err
	}
	return w, nil
}

// Core implements media.Element.
func (w *Endpoint) Core() *media.Core { return &w.core }

// now returns the pipeline clock's time.
func (w *Endpoint) now() int64 { return w.core.Pipeline().Now() }

// Forwards implements media.Handler: media received on sink pads goes to
// the network, never back into the pipeline.
func (w *Endpoint) Forwards() bool { return false }

// ICESettings returns the endpoint's ICE settings.
func (w *Endpoint) ICESettings() ICESettings {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ice
}

// SetICESettings changes the ICE settings; they apply to negotiations that
// have not started yet (set them before GatherCandidates).
func (w *Endpoint) SetICESettings(s ICESettings) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ice = s
}

// spawn runs f in a goroutine owned by the endpoint; false (f not run)
// once the endpoint is being released.
func (w *Endpoint) spawn(f func()) bool { return w.life.Go(f) }

// Release closes the peer connection and waits for every goroutine of the
// endpoint. It is idempotent.
func (w *Endpoint) Release() {
	w.mu.Lock()
	if w.released {
		w.mu.Unlock()
		return
	}
	w.released = true
	pc := w.pc
	w.mu.Unlock()
	w.core.Detach()
	w.tx.Close()
	w.fastMu.Lock()
	if w.fastSess != nil {
		w.engine.fastPaths.Add(-1)
		w.fastSess = nil
	}
	w.fastDone = true
	w.fastMu.Unlock()
	w.direct.close()
	w.life.Stop()
	if pc != nil {
		if err := pc.Close(); err != nil {
			w.log.Debug("closing peer connection", "err", err)
		}
	}
	w.life.Wait()
	w.engine.mon.unregister(w) // after Wait: no callback registers it again
}
