package webrtcep

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"},
}

// supportedCodecs are the codecs an endpoint negotiates, in Gorento's
// preference order per kind (used when Gorento offers). An answer keeps
// every one of them the peer offered, in the peer's order (acceptCodecs):
// the peer sends what it prefers, and may receive any of them, so media
// is forwarded untouched when its codec is among them and transcoded
// otherwise (media/transcode.go).
var supportedCodecs = []struct {
	kind  webrtc.RTPCodecType
	codec webrtc.RTPCodecParameters
}{
	{webrtc.RTPCodecTypeVideo, vcodec(96, webrtc.MimeTypeVP8, "")},
	{webrtc.RTPCodecTypeVideo, vcodec(102, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")},
	{webrtc.RTPCodecTypeVideo, vcodec(104, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f")},
	{webrtc.RTPCodecTypeVideo, vcodec(106, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d001f")},
	{webrtc.RTPCodecTypeVideo, vcodec(108, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f")},
	{webrtc.RTPCodecTypeVideo, vcodec(98, webrtc.MimeTypeVP9, "profile-id=0")},
	{webrtc.RTPCodecTypeVideo, vcodec(45, webrtc.MimeTypeAV1, "")},
	{webrtc.RTPCodecTypeAudio, acodec(111, webrtc.MimeTypeOpus, 48000, 2, "minptime=10;useinbandfec=1")},
	{webrtc.RTPCodecTypeAudio, acodec(0, webrtc.MimeTypePCMU, 8000, 1, "")},
	{webrtc.RTPCodecTypeAudio, acodec(8, webrtc.MimeTypePCMA, 8000, 1, "")},
}

func vcodec(pt uint8, mime, fmtp string) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback}}
}

func acodec(pt uint8, mime string, rate uint32, ch uint16, fmtp string) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: mime, ClockRate: rate, Channels: ch, SDPFmtpLine: fmtp}}
}

func registerCodecs(m *webrtc.MediaEngine) error {
	for _, c := range supportedCodecs {
		if err := m.RegisterCodec(c.codec, c.kind); err != nil {
			return fmt.Errorf("register %s: %w", c.codec.MimeType, err)
		}
	}
	return nil
}

// codecOf converts negotiated parameters to the engine's codec identity.
func codecOf(c webrtc.RTPCodecParameters) *media.Codec {
	return &media.Codec{MimeType: c.MimeType, ClockRate: c.ClockRate, Channels: c.Channels, Fmtp: c.SDPFmtpLine}
}

func isRTX(c webrtc.RTPCodecParameters) bool {
	return strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX)
}

// preference ranks a negotiated codec: lower is better (-1 = unsupported).
func preference(c webrtc.RTPCodecParameters) int {
	for i, s := range supportedCodecs {
		if strings.EqualFold(s.codec.MimeType, c.MimeType) && (!strings.EqualFold(c.MimeType, webrtc.MimeTypeH264) ||
			codecOf(s.codec).Matches(codecOf(c))) {
			return i
		}
	}
	return -1
}

// acceptCodecs returns the codecs of an offered m-line to keep in the
// answer: every supported one, in the offer's order (the peer's
// preference), with a forced format's codec (setVideoFormat before
// negotiating) first when offered. False when none is supported.
func acceptCodecs(offered []webrtc.RTPCodecParameters, forced *media.Format) ([]webrtc.RTPCodecParameters, bool) {
	var first, rest []webrtc.RTPCodecParameters
	for _, c := range offered {
		if isRTX(c) || preference(c) < 0 {
			continue
		}
		if forced != nil && forced.Codec != nil && forced.Codec.Matches(codecOf(c)) {
			first = append(first, c)
		} else {
			rest = append(rest, c)
		}
	}
	out := append(first, rest...)
	return out, len(out) > 0
}

// negotiatedCodecs are what one kind of an endpoint negotiated: the codec
// the peer sends (the first of the answer) and those it can receive.
type negotiatedCodecs struct {
	recv *media.Codec   // nil when the peer sends nothing of this kind
	send []*media.Codec // empty (not nil) when we send nothing of this kind
}

// codecState keeps the negotiated codecs per kind for the graph's
// transcoding plan, which reads them without locks.
type codecState struct {
	kinds [2]atomic.Pointer[negotiatedCodecs] // audio, video
}

func (s *codecState) set(kind media.MediaType, n *negotiatedCodecs) { s.kinds[kind].Store(n) }

func (s *codecState) get(kind media.MediaType) *negotiatedCodecs {
	if kind != media.Audio && kind != media.Video {
		return nil
	}
	return s.kinds[kind].Load()
}

// recordAbsent marks the kinds a negotiation left out: nothing sent,
// nothing received.
func (w *Endpoint) recordAbsent(recorded [2]bool) {
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
		if !recorded[kind] {
			w.codecs.set(kind, &negotiatedCodecs{send: []*media.Codec{}})
		}
	}
}

// SourceCodec implements media.CodecSource: the codec the peer sends.
func (w *Endpoint) SourceCodec(p *media.SourcePad) *media.Codec {
	if n := w.codecs.get(p.MediaType()); n != nil && !w.opts.SendOnly {
		return n.recv
	}
	return nil
}

// SinkCodecs implements media.CodecSink: the codecs the peer can decode
// (nil before negotiating: anything may be connected).
func (w *Endpoint) SinkCodecs(p *media.SinkPad) []*media.Codec {
	if n := w.codecs.get(p.MediaType()); n != nil {
		return n.send
	}
	return nil
}

// recordCodecs keeps what each transceiver negotiated: params lists the
// negotiated codecs of a kind in the answer's order.
func (w *Endpoint) recordCodecs(kind media.MediaType, params []webrtc.RTPCodecParameters, peerSends, weSend bool) {
	n := &negotiatedCodecs{send: []*media.Codec{}}
	for _, c := range params {
		if isRTX(c) || preference(c) < 0 {
			continue
		}
		mc := codecOf(c)
		if peerSends && n.recv == nil {
			n.recv = mc
		}
		if weSend {
			n.send = append(n.send, mc)
		}
	}
	w.codecs.set(kind, n)
}

// srtpProfiles parses SRTP profile names.
func srtpProfiles(names []string) ([]dtls.SRTPProtectionProfile, error) {
	var out []dtls.SRTPProtectionProfile
	for _, n := range names {
		switch strings.ToUpper(n) {
		case "AES_CM_128_HMAC_SHA1_80", "SRTP_AES128_CM_HMAC_SHA1_80", "CM":
			out = append(out, dtls.SRTP_AES128_CM_HMAC_SHA1_80)
		case "AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM", "GCM":
			out = append(out, dtls.SRTP_AEAD_AES_128_GCM)
		case "AEAD_AES_256_GCM", "SRTP_AEAD_AES_256_GCM":
			out = append(out, dtls.SRTP_AEAD_AES_256_GCM)
		default:
			return nil, fmt.Errorf("webrtc: unknown SRTP profile %q", n)
		}
	}
	return out, nil
}
