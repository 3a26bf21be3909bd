package media

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/pion/ice/v4"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// WebRtcEndpointOptions are the constructor parameters of a WebRtcEndpoint.
type WebRtcEndpointOptions struct {
	RecvOnly           bool
	SendOnly           bool
	UseDataChannels    bool
	CertificateKeyType string // "RSA" (KMS's default) or "ECDSA"
}

// OfferOptions are the options of GenerateOffer.
type OfferOptions struct {
	OfferToReceiveAudio bool
	OfferToReceiveVideo bool
}

type negotiation int

const (
	negIdle negotiation = iota
	negOfferGenerated
	negDone
)

// WebRtcEndpoint is a WebRTC peer inside a pipeline: media received from the
// remote peer leaves through its source pads, media arriving on its sink
// pads is sent to the remote peer. Negotiation follows KMS: processOffer or
// generateOffer/processAnswer, and ICE gathering starts only when the client
// calls GatherCandidates.
type WebRtcEndpoint struct {
	core   Core
	engine *WebRTCEngine
	opts   WebRtcEndpointOptions
	log    *slog.Logger
	stream string // msid stream id

	// mu guards the negotiation state below. Pion callbacks never take it,
	// so holding it while calling into Pion cannot deadlock.
	mu               sync.Mutex
	ice              ICESettings
	pc               *webrtc.PeerConnection
	pcRef            atomic.Pointer[webrtc.PeerConnection] // pc, for goroutines that must not take mu
	neg              negotiation
	localSDP         string // as sent to the remote peer
	remoteSDP        string
	pending          *webrtc.SessionDescription // local description not applied yet
	remoteCandidates []webrtc.ICECandidateInit  // received before the remote description
	released         bool

	bw      bandwidths
	gather  gatherGate
	state   connectionTracker
	tracks  [2]*sinkTrack // audio, video
	in      [2]atomic.Pointer[inboundStream]
	stats   atomic.Pointer[rtpRecorder]
	dc      dataChannels
	statIDs statsIDs

	lifeMu  sync.Mutex // guards closing and wg.Add
	closing bool
	done    chan struct{}
	wg      sync.WaitGroup
}

var _ Element = (*WebRtcEndpoint)(nil)

// NewWebRtcEndpoint creates an endpoint in p. The peer connection is made
// when the endpoint negotiates, so settings may be changed until then.
func NewWebRtcEndpoint(p *Pipeline, e *WebRTCEngine, opts WebRtcEndpointOptions, events EventHandler) (*WebRtcEndpoint, error) {
	if opts.CertificateKeyType == "" {
		opts.CertificateKeyType = "RSA"
	}
	if opts.RecvOnly && opts.SendOnly {
		return nil, errors.New("webrtc: an endpoint cannot be both recvonly and sendonly")
	}
	w := &WebRtcEndpoint{engine: e, opts: opts, ice: e.Defaults(), done: make(chan struct{}), stream: uuid.NewString()}
	w.log = e.log.With("endpoint", w.stream[:8])
	w.bw.init()
	w.state.init(w)
	w.dc.init(w)
	w.tracks[0] = newSinkTrack(w, Audio)
	w.tracks[1] = newSinkTrack(w, Video)
	if err := w.core.Init(p, w, w, events); err != nil {
		return nil, err
	}
	return w, nil
}

// Core implements Element.
func (w *WebRtcEndpoint) Core() *Core { return &w.core }

// Forwards implements Handler: media received on sink pads goes to the
// network, never back into the pipeline.
func (w *WebRtcEndpoint) Forwards() bool { return false }

// ICESettings returns the endpoint's ICE settings.
func (w *WebRtcEndpoint) ICESettings() ICESettings {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ice
}

// SetICESettings changes the ICE settings; they apply to negotiations that
// have not started yet (KMS: set them before gatherCandidates).
func (w *WebRtcEndpoint) SetICESettings(s ICESettings) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ice = s
}

// SDPError is a negotiation error with the Kurento error code it maps to.
type SDPError struct {
	Code int
	Msg  string
}

func (e *SDPError) Error() string { return e.Msg }

func sdpErr(code int, format string, args ...any) *SDPError {
	return &SDPError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// Kurento error codes of negotiation failures.
const (
	codeSDPParse             = 40201
	codeSDPGenerateOffer     = 40204
	codeSDPProcessOffer      = 40205
	codeSDPProcessAnswer     = 40206
	codeAlreadyNegotiated    = 40208
	codeNotOfferGenerated    = 40209
	codeAnswerAlreadyDone    = 40210
	codeICEGather            = 40400
	codeICEAddCandidate      = 40401
	codeOperationUnsupported = 40111
)

// parseSDP checks that s is an SDP Gorento can negotiate: parsable, with
// media and DTLS-SRTP.
func parseSDP(s, what string) (*sdp.SessionDescription, error) {
	if strings.TrimSpace(s) == "" {
		return nil, sdpErr(codeSDPParse, "Empty %s not valid", what)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		return nil, sdpErr(codeSDPParse, "Error parsing SDP: %v", err)
	}
	if len(d.MediaDescriptions) == 0 {
		return nil, sdpErr(codeSDPParse, "Error parsing SDP: the %s has no media", what)
	}
	_, fp := d.Attribute("fingerprint")
	for _, m := range d.MediaDescriptions {
		if _, ok := m.Attribute("fingerprint"); ok {
			fp = true
		}
	}
	if !fp {
		return nil, sdpErr(codeSDPParse, "Error parsing SDP: no DTLS fingerprint; WebRtcEndpoint only does DTLS-SRTP")
	}
	return &d, nil
}

// ProcessOffer answers a remote offer. The answer is returned at once; ICE
// starts when GatherCandidates is called.
func (w *WebRtcEndpoint) ProcessOffer(offer string) (string, error) {
	w.mu.Lock()
	answer, err := w.processOfferLocked(offer)
	w.mu.Unlock()
	if err != nil {
		return "", err
	}
	w.core.Emit(MediaSessionStarted{})
	return answer, nil
}

func (w *WebRtcEndpoint) processOfferLocked(offer string) (string, error) {
	if w.released {
		return "", ErrReleased
	}
	if w.neg != negIdle {
		return "", sdpErr(codeAlreadyNegotiated, "Endpoint already negotiated")
	}
	parsed, err := parseSDP(offer, "offer")
	if err != nil {
		return "", err
	}
	pc, err := w.newPeerConnection()
	if err != nil {
		return "", sdpErr(codeSDPProcessOffer, "Cannot create peer connection: %v", err)
	}
	fail := func(format string, args ...any) (string, error) {
		w.closePeerConnectionLocked()
		return "", sdpErr(codeSDPProcessOffer, format, args...)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return fail("Error processing offer: %v", err)
	}
	pipe := w.core.pipeline
	for _, tr := range pc.GetTransceivers() {
		kind := kindOf(tr.Kind())
		if kind == Data {
			continue
		}
		offered := tr.Receiver().GetParameters().Codecs
		chosen, ok := chooseCodec(offered, pipe.PreferredCodec(kind))
		if !ok {
			continue // Pion rejects the m-line (port 0)
		}
		if err := tr.SetCodecPreferences([]webrtc.RTPCodecParameters{chosen}); err != nil {
			return fail("Error selecting codec: %v", err)
		}
		pipe.ClaimCodec(kind, codecOf(chosen))
		if w.opts.RecvOnly || tr.Sender() != nil || !remoteReceives(parsed, tr.Mid()) {
			continue
		}
		if _, err := pc.AddTrack(w.tracks[kind]); err != nil {
			return fail("Error adding %s track: %v", kind, err)
		}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return fail("Error creating answer: %v", err)
	}
	if !hasActiveMedia(answer.SDP) {
		return fail("Error creating answer: no media of the offer could be accepted (supported: VP8, H264, VP9, AV1, opus, PCMU, PCMA)")
	}
	w.startSenderReaders(pc)
	for _, c := range w.remoteCandidates {
		if err := pc.AddICECandidate(c); err != nil {
			w.log.Warn("dropping remote candidate", "candidate", c.Candidate, "err", err)
		}
	}
	w.remoteCandidates = nil
	w.pending = &answer
	w.neg = negDone
	w.remoteSDP = offer
	w.localSDP = w.bw.annotate(answer.SDP)
	if w.gather.wasRequested() {
		if err := w.applyLocalLocked(); err != nil {
			return fail("Error starting ICE: %v", err)
		}
	}
	return w.localSDP, nil
}

// GenerateOffer makes an offer for the remote peer to answer with ProcessAnswer.
func (w *WebRtcEndpoint) GenerateOffer(o OfferOptions) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return "", ErrReleased
	}
	if w.neg != negIdle {
		return "", sdpErr(codeAlreadyNegotiated, "Endpoint already negotiated")
	}
	pc, err := w.newPeerConnection()
	if err != nil {
		return "", sdpErr(codeSDPGenerateOffer, "Cannot create peer connection: %v", err)
	}
	fail := func(format string, args ...any) (string, error) {
		w.closePeerConnectionLocked()
		return "", sdpErr(codeSDPGenerateOffer, format, args...)
	}
	recv := [2]bool{o.OfferToReceiveAudio, o.OfferToReceiveVideo}
	for _, kind := range []MediaType{Audio, Video} {
		send := !w.opts.RecvOnly
		receive := recv[kind] && !w.opts.SendOnly
		dir := webrtc.RTPTransceiverDirectionSendrecv
		switch {
		case send && !receive:
			dir = webrtc.RTPTransceiverDirectionSendonly
		case !send && receive:
			dir = webrtc.RTPTransceiverDirectionRecvonly
		case !send && !receive:
			continue
		}
		var tr *webrtc.RTPTransceiver
		if send {
			tr, err = pc.AddTransceiverFromTrack(w.tracks[kind], webrtc.RTPTransceiverInit{Direction: dir})
		} else {
			tr, err = pc.AddTransceiverFromKind(rtpKind(kind), webrtc.RTPTransceiverInit{Direction: dir})
		}
		if err != nil {
			return fail("Error adding %s transceiver: %v", kind, err)
		}
		if inUse := w.core.pipeline.PreferredCodec(kind); inUse != nil {
			w.preferCodec(tr, inUse)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail("Error creating offer: %v", err)
	}
	w.startSenderReaders(pc)
	w.pending = &offer
	w.neg = negOfferGenerated
	w.localSDP = w.bw.annotate(offer.SDP)
	if w.gather.wasRequested() {
		if err := w.applyLocalLocked(); err != nil {
			return fail("Error starting ICE: %v", err)
		}
	}
	return w.localSDP, nil
}

// preferCodec puts the pipeline's codec first in an offered transceiver.
func (w *WebRtcEndpoint) preferCodec(tr *webrtc.RTPTransceiver, inUse *Codec) {
	var first, rest []webrtc.RTPCodecParameters
	for _, c := range supportedCodecs {
		if kindOf(c.kind) != kindOf(tr.Kind()) {
			continue
		}
		if inUse.Matches(codecOf(c.codec)) {
			first = append(first, c.codec)
		} else {
			rest = append(rest, c.codec)
		}
	}
	if len(first) > 0 {
		_ = tr.SetCodecPreferences(append(first, rest...))
	}
}

// ProcessAnswer applies the remote answer to a generated offer and returns
// the local offer.
func (w *WebRtcEndpoint) ProcessAnswer(answer string) (string, error) {
	w.mu.Lock()
	local, err := w.processAnswerLocked(answer)
	w.mu.Unlock()
	if err != nil {
		return "", err
	}
	w.core.Emit(MediaSessionStarted{})
	return local, nil
}

func (w *WebRtcEndpoint) processAnswerLocked(answer string) (string, error) {
	switch {
	case w.released:
		return "", ErrReleased
	case w.neg == negIdle:
		return "", sdpErr(codeNotOfferGenerated, "Offer not generated. It is not possible to process an answer.")
	case w.neg == negDone:
		return "", sdpErr(codeAnswerAlreadyDone, "Sdp Answer already processed")
	}
	if _, err := parseSDP(answer, "answer"); err != nil {
		return "", err
	}
	if err := w.applyLocalLocked(); err != nil {
		return "", sdpErr(codeSDPProcessAnswer, "Error applying local offer: %v", err)
	}
	if err := w.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return "", sdpErr(codeSDPProcessAnswer, "Error processing answer: %v", err)
	}
	for _, tr := range w.pc.GetTransceivers() {
		if k := kindOf(tr.Kind()); k != Data {
			if codecs := tr.Receiver().GetParameters().Codecs; len(codecs) > 0 {
				w.core.pipeline.ClaimCodec(k, codecOf(codecs[0]))
			}
		}
	}
	for _, c := range w.remoteCandidates {
		if err := w.pc.AddICECandidate(c); err != nil {
			w.log.Warn("dropping remote candidate", "candidate", c.Candidate, "err", err)
		}
	}
	w.remoteCandidates = nil
	w.neg = negDone
	w.remoteSDP = answer
	return w.localSDP, nil
}

// applyLocalLocked sets the pending local description, which makes Pion
// start gathering (and, on the answering side, start media).
func (w *WebRtcEndpoint) applyLocalLocked() error {
	if w.pending == nil {
		return nil
	}
	d := *w.pending
	w.pending = nil
	return w.pc.SetLocalDescription(d)
}

// GatherCandidates starts ICE gathering: each local candidate is reported
// with IceCandidateFound, then IceGatheringDone.
func (w *WebRtcEndpoint) GatherCandidates() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return ErrReleased
	}
	if !w.gather.request() {
		return nil
	}
	w.state.gathering()
	if w.pc != nil {
		if err := w.applyLocalLocked(); err != nil {
			return sdpErr(codeICEGather, "Error gathering candidates: %v", err)
		}
	}
	w.gather.flush(w)
	w.state.reportICE()
	return nil
}

// AddIceCandidate adds a remote candidate; it may come at any time, before
// the offer too. An empty candidate (end of candidates) is ignored.
func (w *WebRtcEndpoint) AddIceCandidate(c IceCandidateFound) error {
	if strings.TrimSpace(c.Candidate) == "" {
		return nil
	}
	if _, err := ice.UnmarshalCandidate(strings.TrimPrefix(c.Candidate, "candidate:")); err != nil {
		return sdpErr(codeICEAddCandidate, "Error adding candidate: %v", err)
	}
	mid := c.SdpMid
	idx := uint16(c.SdpMLineIndex)
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: &mid, SDPMLineIndex: &idx}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return ErrReleased
	}
	if w.pc == nil || w.pc.RemoteDescription() == nil {
		w.remoteCandidates = append(w.remoteCandidates, init)
		return nil
	}
	if err := w.pc.AddICECandidate(init); err != nil {
		return sdpErr(codeICEAddCandidate, "Error adding candidate: %v", err)
	}
	return nil
}

// LocalDescription returns the SDP sent to the remote peer ("" if none).
func (w *WebRtcEndpoint) LocalDescription() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.localSDP
}

// RemoteDescription returns the SDP received from the remote peer ("" if none).
func (w *WebRtcEndpoint) RemoteDescription() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.remoteSDP
}

// newPeerConnection creates the Pion peer connection with the current settings.
func (w *WebRtcEndpoint) newPeerConnection() (*webrtc.PeerConnection, error) {
	cert, err := w.engine.certificate(w.opts.CertificateKeyType)
	if err != nil {
		return nil, err
	}
	api, cfg, err := w.engine.newAPI(w.ice, w.stats.Store)
	if err != nil {
		return nil, err
	}
	cfg.Certificates = []webrtc.Certificate{*cert}
	cfg.AlwaysNegotiateDataChannels = w.opts.UseDataChannels
	pc, err := api.NewPeerConnection(cfg)
	if err != nil {
		return nil, err
	}
	w.pc = pc
	w.pcRef.Store(pc)
	w.state.watch(pc)
	pc.OnTrack(w.onTrack)
	if w.opts.UseDataChannels {
		w.dc.watch(pc)
	}
	return pc, nil
}

// closePeerConnectionLocked drops a peer connection whose negotiation
// failed; it is closed on a goroutine the endpoint owns (Release waits).
func (w *WebRtcEndpoint) closePeerConnectionLocked() {
	if w.pc != nil {
		pc := w.pc
		w.pc = nil
		w.pcRef.Store(nil)
		if !w.spawn(func() { _ = pc.Close() }) {
			_ = pc.Close()
		}
	}
}

// spawn runs f in a goroutine owned by the endpoint; it returns false (and
// does not run f) once the endpoint is being released.
func (w *WebRtcEndpoint) spawn(f func()) bool {
	w.lifeMu.Lock()
	defer w.lifeMu.Unlock()
	if w.closing {
		return false
	}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		f()
	}()
	return true
}

// Release closes the peer connection and waits for every goroutine of the
// endpoint. It is idempotent.
func (w *WebRtcEndpoint) Release() {
	w.mu.Lock()
	if w.released {
		w.mu.Unlock()
		return
	}
	w.released = true
	pc := w.pc
	w.mu.Unlock()
	w.core.Detach()
	w.lifeMu.Lock()
	w.closing = true
	close(w.done)
	w.lifeMu.Unlock()
	if pc != nil {
		if err := pc.Close(); err != nil {
			w.log.Debug("closing peer connection", "err", err)
		}
	}
	w.wg.Wait()
}

// remoteReceives reports whether the offer's m-line with this mid accepts
// media from us (sendrecv or recvonly).
func remoteReceives(d *sdp.SessionDescription, mid string) bool {
	for _, m := range d.MediaDescriptions {
		if v, _ := m.Attribute("mid"); v != mid {
			continue
		}
		for _, dir := range []string{"sendonly", "inactive"} {
			if _, ok := m.Attribute(dir); ok {
				return false
			}
		}
		return true
	}
	return false
}

// hasActiveMedia reports whether an SDP accepts at least one m-line.
func hasActiveMedia(s string) bool {
	var d sdp.SessionDescription
	if d.UnmarshalString(s) != nil {
		return false
	}
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Port.Value != 0 {
			return true
		}
	}
	return false
}

func kindOf(k webrtc.RTPCodecType) MediaType {
	switch k {
	case webrtc.RTPCodecTypeAudio:
		return Audio
	case webrtc.RTPCodecTypeVideo:
		return Video
	}
	return Data
}

func rtpKind(m MediaType) webrtc.RTPCodecType {
	if m == Audio {
		return webrtc.RTPCodecTypeAudio
	}
	return webrtc.RTPCodecTypeVideo
}
