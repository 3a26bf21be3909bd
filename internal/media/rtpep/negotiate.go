package rtpep

import (
	"fmt"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
)

// ProcessOffer answers a remote offer. Media flows at once: what the
// endpoint sends goes to the offer's address (or, for 0.0.0.0, to where
// the remote side's packets come from).
func (w *Endpoint) ProcessOffer(offer string) (string, error) {
	w.mu.Lock()
	answer, err := w.processOfferLocked(offer)
	w.mu.Unlock()
	if err != nil {
		return "", err
	}
	w.negotiated()
	return answer, nil
}

func (w *Endpoint) processOfferLocked(offer string) (string, error) {
	if w.released {
		return "", media.ErrReleased
	}
	if err := w.neg.CheckOffer(); err != nil {
		return "", err
	}
	remote, err := parseRemote(offer, "offer")
	if err != nil {
		return "", err
	}
	pipe := w.core.Pipeline()
	var streams [2]*stream
	var lines []localMedia
	var reasons []string
	closeAll := func() {
		for _, s := range streams {
			if s != nil {
				s.close()
			}
		}
	}
	fail := func(kind error, format string, args ...any) (string, error) {
		closeAll()
		return "", failure(kind, format, args...)
	}
	for i := range remote {
		m := &remote[i]
		reject := localMedia{media: m.media, proto: m.proto, formats: m.formats}
		chosen, why := w.accept(m, streams)
		if why != "" {
			reasons = append(reasons, fmt.Sprintf("m-line %d (%s): %s", i, m.media, why))
			lines = append(lines, reject)
			continue
		}
		s, err := newStream(w, m.kind)
		if err != nil {
			closeAll()
			return "", err // ErrNoPorts
		}
		streams[m.kind] = s
		s.codec, s.pt, s.dir, s.mux = chosen.codec, chosen.pt, m.dir.reverse(), m.mux
		line := localMedia{media: m.media, port: s.port, rtcp: s.port + 1, proto: m.proto, codecs: []codecEntry{chosen},
			dir: s.dir, mux: m.mux, ssrc: s.ssrc}
		if w.local != nil {
			rk, tag, err := remoteKeying(m.crypto, w.local.suite)
			if err != nil {
				return fail(sdpneg.ErrProcessOffer, "Error processing offer, m-line %d: %v", i, err)
			}
			if err := s.setKeys(&rk); err != nil {
				return fail(sdpneg.ErrProcessOffer, "Error processing offer: SRTP: %v", err)
			}
			line.crypto = w.local.cryptoLine(tag)
		}
		s.setDestination(m)
		lines = append(lines, line)
	}
	if streams[media.Audio] == nil && streams[media.Video] == nil {
		return fail(sdpneg.ErrProcessOffer, "Error processing offer: no media could be accepted (%s)", strings.Join(reasons, "; "))
	}
	for kind, s := range streams {
		if s != nil {
			pipe.ClaimCodec(media.MediaType(kind), s.codec)
		}
	}
	_, announce := w.engine.localAddr(w.opts.IPv6)
	w.localSDP = writeSDP(w.sessID, 1, announce, w.cname, lines)
	w.remoteSDP = offer
	w.neg = sdpneg.Done
	w.startLocked(streams)
	return w.localSDP, nil
}

// accept decides whether an offered m-line can be taken and with which
// codec; why says why not.
func (w *Endpoint) accept(m *remoteMedia, taken [2]*stream) (codecEntry, string) {
	switch {
	case !m.kindOK:
		return codecEntry{}, "only audio and video are supported"
	case m.port == 0:
		return codecEntry{}, "rejected by the offerer (port 0)"
	case !m.isRTP():
		return codecEntry{}, fmt.Sprintf("profile %s is not RTP/AVP(F) or RTP/SAVP(F)", m.proto)
	case taken[m.kind] != nil:
		return codecEntry{}, "one " + strings.ToLower(m.media) + " stream per endpoint"
	case m.secure() && w.local == nil:
		return codecEntry{}, "SRTP (" + m.proto + ") needs an endpoint created with crypto (SDES)"
	case !m.secure() && w.local != nil:
		return codecEntry{}, "the endpoint was created with crypto (SDES): the offer must use RTP/SAVP(F)"
	case m.addr.IsValid() && !m.addr.IsUnspecified() && m.addr.Is6() != w.opts.IPv6:
		return codecEntry{}, fmt.Sprintf("address %s is not of the endpoint's family (useIpv6=%v)", m.addr, w.opts.IPv6)
	}
	chosen, ok := choose(m.kind, m.codecs, w.core.Format(m.kind))
	if !ok {
		return codecEntry{}, "no supported codec (supported: VP8, H264, VP9, AV1, opus, PCMU, PCMA)"
	}
	return chosen, ""
}

// GenerateOffer makes an offer for the remote side to answer with
// ProcessAnswer: an audio and a video m-line, each with every supported
// codec (the pipeline's first), sendrecv, or sendonly for a kind the
// options do not offer to receive (as WebRtcEndpoint).
func (w *Endpoint) GenerateOffer(o OfferOptions) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.released {
		return "", media.ErrReleased
	}
	if err := w.neg.CheckOffer(); err != nil {
		return "", err
	}
	var lines []localMedia
	var opened []*stream
	proto := "RTP/AVP"
	if w.local != nil {
		proto = "RTP/SAVP"
	}
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
		recv := (kind == media.Audio && o.OfferToReceiveAudio) || (kind == media.Video && o.OfferToReceiveVideo)
		s, err := newStream(w, kind)
		if err != nil {
			for _, s := range opened {
				s.close()
			}
			return "", err // ErrNoPorts
		}
		opened = append(opened, s)
		line := localMedia{media: strings.ToLower(kind.String()), port: s.port, rtcp: s.port + 1, proto: proto,
			codecs: offerCodecs(kind, w.core.Format(kind), w.core.Pipeline().PreferredCodec(kind)), dir: direction{send: true, recv: recv}, ssrc: s.ssrc}
		if w.local != nil {
			line.crypto = w.local.cryptoLine(1)
		}
		lines = append(lines, line)
	}
	_, announce := w.engine.localAddr(w.opts.IPv6)
	w.offered = lines
	w.opened = append(w.opened, opened...)
	w.localSDP = writeSDP(w.sessID, 1, announce, w.cname, lines)
	w.neg = sdpneg.OfferGenerated
	return w.localSDP, nil
}

// ProcessAnswer applies the remote answer to a generated offer and returns
// the local offer. A refused answer leaves the offer pending.
func (w *Endpoint) ProcessAnswer(answer string) (string, error) {
	w.mu.Lock()
	local, err := w.processAnswerLocked(answer)
	w.mu.Unlock()
	if err != nil {
		return "", err
	}
	w.negotiated()
	return local, nil
}

func (w *Endpoint) processAnswerLocked(answer string) (string, error) {
	if w.released {
		return "", media.ErrReleased
	}
	if err := w.neg.CheckAnswer(); err != nil {
		return "", err
	}
	remote, err := parseRemote(answer, "answer")
	if err != nil {
		return "", err
	}
	if len(remote) != len(w.offered) {
		return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer: %d m-lines answer an offer of %d", len(remote), len(w.offered))
	}
	type plan struct {
		s     *stream
		m     *remoteMedia
		codec codecEntry
		key   *keying
	}
	var plans []plan
	for i := range remote {
		m := &remote[i]
		s := w.opened[i]
		if m.port == 0 {
			continue
		}
		if !m.kindOK || m.kind != s.kind {
			return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer: m-line %d is %s, the offer's is %s", i, m.media, w.offered[i].media)
		}
		if m.addr.IsValid() && !m.addr.IsUnspecified() && m.addr.Is6() != w.opts.IPv6 {
			return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer: m-line %d: address %s is not of the endpoint's family", i, m.addr)
		}
		c, ok := answered(m.codecs, w.offered[i].codecs)
		if !ok {
			return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer: m-line %d has none of the offered codecs", i)
		}
		p := plan{s: s, m: m, codec: c}
		if w.local != nil {
			rk, _, err := remoteKeying(m.crypto, w.local.suite)
			if err != nil {
				return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer, m-line %d: %v", i, err)
			}
			p.key = &rk
		}
		plans = append(plans, p)
	}
	if len(plans) == 0 {
		return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer: every m-line was rejected")
	}
	var streams [2]*stream
	for _, p := range plans {
		s := p.s
		offered := w.offered[indexOf(w.opened, s)].dir
		dir := p.m.dir.reverse()
		s.codec, s.pt, s.dir, s.mux = p.codec.codec, p.codec.pt, direction{send: dir.send && offered.send, recv: dir.recv && offered.recv}, p.m.mux
		if p.key != nil {
			if err := s.setKeys(p.key); err != nil {
				return "", failure(sdpneg.ErrProcessAnswer, "Error processing answer: SRTP: %v", err)
			}
		}
		s.setDestination(p.m)
		streams[s.kind] = s
		w.core.Pipeline().ClaimCodec(s.kind, s.codec)
	}
	// Streams of rejected m-lines keep their sockets until release (the
	// ports stay announced in the local offer).
	w.remoteSDP = answer
	w.neg = sdpneg.Done
	w.startLocked(streams)
	return w.localSDP, nil
}

// answered finds the answer's codec among the offered ones: the first of
// the answer that matches one offered (with the answer's payload type).
func answered(got, offered []codecEntry) (codecEntry, bool) {
	for _, g := range got {
		for _, o := range offered {
			if strings.EqualFold(g.codec.MimeType, o.codec.MimeType) && g.codec.ClockRate == o.codec.ClockRate {
				c := *g.codec
				if g.asOffered != nil || c.Fmtp == "" {
					c.Fmtp = o.codec.Fmtp // the answer did not say: what we offered
				}
				return codecEntry{pt: g.pt, codec: &c}, true
			}
		}
	}
	return codecEntry{}, false
}

// startLocked publishes the negotiated streams and starts their readers
// and the monitor.
func (w *Endpoint) startLocked(streams [2]*stream) {
	w.streamsMu.Lock()
	w.streams = streams
	w.streamsMu.Unlock()
	w.recordCodecsLocked(streams)
	for _, s := range streams {
		if s == nil {
			continue
		}
		if !contains(w.opened, s) {
			w.opened = append(w.opened, s)
		}
		s.start()
	}
	w.spawn(w.monitor)
}

func contains(list []*stream, s *stream) bool { return indexOf(list, s) >= 0 }

func indexOf(list []*stream, s *stream) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// negotiated reports the session and the transport up, and has the graph
// plan the endpoint's connections with the negotiated codecs (no lock
// held).
func (w *Endpoint) negotiated() {
	w.stateMu.Lock()
	w.connUp = true
	w.core.Post(media.MediaSessionStarted{}, media.ConnectionStateChanged{Connected: true})
	w.stateMu.Unlock()
	w.core.Deliver()
	w.core.CodecsChanged()
}
