package webrtcep

import (
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
)

// ProcessOffer answers a remote offer. The answer is returned at once; ICE
// starts when GatherCandidates is called.
func (w *Endpoint) ProcessOffer(offer string) (string, error) {
	w.mu.Lock()
	answer, err := w.processOfferLocked(offer)
	w.mu.Unlock()
	if err != nil {
		return "", err
	}
	w.core.Emit(media.MediaSessionStarted{})
	w.core.CodecsChanged()
	return answer, nil
}

func (w *Endpoint) processOfferLocked(offer string) (string, error) {
	if w.released {
		return "", media.ErrReleased
	}
	if err := w.neg.CheckOffer(); err != nil {
		return "", err
	}
	parsed, err := parseSDP(offer, "offer")
	if err != nil {
		return "", err
	}
	if err := w.admitSDPCandidatesLocked(parsed); err != nil {
		return "", err
	}
	pionOffer, sim, err := w.acceptSimulcast(offer, parsed)
	if err != nil {
		return "", err
	}
	pc, err := w.newPeerConnection()
	if err != nil {
		return "", failure(sdpneg.ErrProcessOffer, "Cannot create peer connection: %v", err)
	}
	fail := func(format string, args ...any) (string, error) {
		w.closePeerConnectionLocked()
		return "", failure(sdpneg.ErrProcessOffer, format, args...)
	}
	pairRTX(w.nack.Load(), parsed)
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: pionOffer}); err != nil {
		return fail("Error processing offer: %v", err)
	}
	pipe := w.core.Pipeline()
	recorded := [2]bool{}
	for _, tr := range pc.GetTransceivers() {
		kind := kindOf(tr.Kind())
		if kind == media.Data {
			continue
		}
		offered := tr.Receiver().GetParameters().Codecs
		accepted, ok := acceptCodecs(offered, w.core.Format(kind))
		if !ok {
			continue // Pion rejects the m-line (port 0)
		}
		if err := tr.SetCodecPreferences(withRTX(offered, accepted)); err != nil {
			return fail("Error selecting codec: %v", err)
		}
		pipe.ClaimCodec(kind, codecOf(accepted[0]))
		send := !w.opts.RecvOnly && tr.Sender() == nil && remoteReceives(parsed, tr.Mid())
		if send {
			if _, err := pc.AddTrack(w.tracks[kind]); err != nil {
				return fail("Error adding %s track: %v", kind, err)
			}
		}
		if !recorded[kind] {
			recorded[kind] = true
			w.recordCodecs(kind, accepted, remoteSends(parsed, tr.Mid()), send)
		}
	}
	w.recordAbsent(recorded)
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
	w.neg = sdpneg.Done
	w.remoteSDP = offer
	w.localSDP = w.bw.annotate(simulcastAnswer(answer.SDP, sim), w.engine.cfg.Video)
	if w.gather.wasRequested() {
		if err := w.applyLocalLocked(); err != nil {
			return fail("Error starting ICE: %v", err)
		}
	}
	return w.localSDP, nil
}

// GenerateOffer makes an offer for the remote peer to answer with ProcessAnswer.
func (w *Endpoint) GenerateOffer(o OfferOptions) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return "", media.ErrReleased
	}
	if err := w.neg.CheckOffer(); err != nil {
		return "", err
	}
	pc, err := w.newPeerConnection()
	if err != nil {
		return "", failure(sdpneg.ErrGenerateOffer, "Cannot create peer connection: %v", err)
	}
	fail := func(format string, args ...any) (string, error) {
		w.closePeerConnectionLocked()
		return "", failure(sdpneg.ErrGenerateOffer, format, args...)
	}
	recv := [2]bool{o.OfferToReceiveAudio, o.OfferToReceiveVideo}
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
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
		w.preferCodecs(tr, w.core.Format(kind), w.core.Pipeline().PreferredCodec(kind))
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return fail("Error creating offer: %v", err)
	}
	w.startSenderReaders(pc)
	w.pending = &offer
	w.neg = sdpneg.OfferGenerated
	w.localSDP = w.bw.annotate(offer.SDP, w.engine.cfg.Video)
	if w.gather.wasRequested() {
		if err := w.applyLocalLocked(); err != nil {
			return fail("Error starting ICE: %v", err)
		}
	}
	return w.localSDP, nil
}

// preferCodecs orders an offered transceiver's codecs: a forced format's
// codec first, then the codec already received in the pipeline (an
// answerer that takes it spares a transcoder), then Gorento's order.
func (w *Endpoint) preferCodecs(tr *webrtc.RTPTransceiver, forced *media.Format, inUse *media.Codec) {
	var ranked [3][]webrtc.RTPCodecParameters
	for _, c := range supportedCodecs {
		if kindOf(c.kind) != kindOf(tr.Kind()) {
			continue
		}
		switch mc := codecOf(c.codec); {
		case forced != nil && forced.Codec != nil && forced.Codec.Matches(mc):
			ranked[0] = append(ranked[0], c.codec)
		case inUse != nil && inUse.Matches(mc):
			ranked[1] = append(ranked[1], c.codec)
		default:
			ranked[2] = append(ranked[2], c.codec)
		}
	}
	if len(ranked[0])+len(ranked[1]) > 0 {
		_ = tr.SetCodecPreferences(append(append(ranked[0], ranked[1]...), ranked[2]...))
	}
}

// ProcessAnswer applies the remote answer to a generated offer and returns
// the local offer.
func (w *Endpoint) ProcessAnswer(answer string) (string, error) {
	w.mu.Lock()
	local, err := w.processAnswerLocked(answer)
	w.mu.Unlock()
	if err != nil {
		return "", err
	}
	w.core.Emit(media.MediaSessionStarted{})
	w.core.CodecsChanged()
	return local, nil
}

func (w *Endpoint) processAnswerLocked(answer string) (string, error) {
	if w.released {
		return "", media.ErrReleased
	}
	if err := w.neg.CheckAnswer(); err != nil {
		return "", err
	}
	parsed, err := parseSDP(answer, "answer")
	if err != nil {
		return "", err
	}
	if err := w.admitSDPCandidatesLocked(parsed); err != nil {
		return "", err
	}
	if err := w.applyLocalLocked(); err != nil {
		return "", failure(sdpneg.ErrProcessAnswer, "Error applying local offer: %v", err)
	}
	pairRTX(w.nack.Load(), parsed)
	if err := w.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer: %v", err)
	}
	recorded := [2]bool{}
	for _, tr := range w.pc.GetTransceivers() {
		k := kindOf(tr.Kind())
		if k == media.Data || recorded[k] {
			continue
		}
		codecs := tr.Receiver().GetParameters().Codecs
		if len(codecs) == 0 {
			continue
		}
		recorded[k] = true
		w.core.Pipeline().ClaimCodec(k, codecOf(codecs[0]))
		weSend := tr.Sender() != nil && tr.Sender().Track() != nil && remoteReceives(parsed, tr.Mid())
		w.recordCodecs(k, codecs, remoteSends(parsed, tr.Mid()) && !w.opts.SendOnly, weSend)
	}
	w.recordAbsent(recorded)
	for _, c := range w.remoteCandidates {
		if err := w.pc.AddICECandidate(c); err != nil {
			w.log.Warn("dropping remote candidate", "candidate", c.Candidate, "err", err)
		}
	}
	w.remoteCandidates = nil
	w.neg = sdpneg.Done
	w.remoteSDP = answer
	return w.localSDP, nil
}

// remoteSends reports whether the SDP's m-line with this mid sends media
// to us (sendrecv or sendonly).
func remoteSends(d *sdp.SessionDescription, mid string) bool {
	for _, m := range d.MediaDescriptions {
		if v, _ := m.Attribute("mid"); v != mid {
			continue
		}
		for _, dir := range []string{"recvonly", "inactive"} {
			if _, ok := m.Attribute(dir); ok {
				return false
			}
		}
		return m.MediaName.Port.Value != 0
	}
	return false
}

// applyLocalLocked sets the pending local description, which makes Pion
// start gathering (and, on the answering side, start media).
func (w *Endpoint) applyLocalLocked() error {
	if w.pending == nil {
		return nil
	}
	d := *w.pending
	w.pending = nil
	return w.pc.SetLocalDescription(d)
}

// LocalDescription returns the SDP sent to the remote peer ("" if none).
func (w *Endpoint) LocalDescription() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.localSDP
}

// RemoteDescription returns the SDP received from the remote peer ("" if none).
func (w *Endpoint) RemoteDescription() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.remoteSDP
}

// newPeerConnection creates the Pion peer connection with the current settings.
func (w *Endpoint) newPeerConnection() (*webrtc.PeerConnection, error) {
	cert, err := w.engine.certificate(w.opts.CertificateKeyType)
	if err != nil {
		return nil, err
	}
	if w.engine.udp != nil {
		w.tap = &keyTap{}
	}
	api, cfg, err := w.engine.newAPI(w.ice, w.stats.Store, w.nack.Store, w.twcc.Store, w.tap, &w.simul.info)
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
func (w *Endpoint) closePeerConnectionLocked() {
	if w.pc != nil {
		pc := w.pc
		w.pc = nil
		w.pcRef.Store(nil)
		if !w.spawn(func() { _ = pc.Close() }) {
			_ = pc.Close()
		}
	}
}
