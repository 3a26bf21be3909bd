package webrtcep

import (
	"fmt"
	"strings"

	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

var videoFeedback = []webrtc.RTCPFeedback{
	{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"},
}

// supportedCodecs are the codecs an endpoint negotiates, in preference order
// per kind. Gorento forwards media without transcoding, so what matters is
// that every endpoint of a pipeline agrees on one codec per kind (see
// chooseCodec).
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
	// RTX (RFC 4588) for each video codec: retransmissions both ways on
	// their own SSRC where the peer negotiates it (issue 15.4).
	{webrtc.RTPCodecTypeVideo, rtxcodec(97, 96)},
	{webrtc.RTPCodecTypeVideo, rtxcodec(103, 102)},
	{webrtc.RTPCodecTypeVideo, rtxcodec(105, 104)},
	{webrtc.RTPCodecTypeVideo, rtxcodec(107, 106)},
	{webrtc.RTPCodecTypeVideo, rtxcodec(109, 108)},
	{webrtc.RTPCodecTypeVideo, rtxcodec(99, 98)},
	{webrtc.RTPCodecTypeVideo, rtxcodec(46, 45)},
	{webrtc.RTPCodecTypeAudio, acodec(111, webrtc.MimeTypeOpus, 48000, 2, "minptime=10;useinbandfec=1")},
	{webrtc.RTPCodecTypeAudio, acodec(0, webrtc.MimeTypePCMU, 8000, 1, "")},
	{webrtc.RTPCodecTypeAudio, acodec(8, webrtc.MimeTypePCMA, 8000, 1, "")},
}

func vcodec(pt uint8, mime, fmtp string) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: mime, ClockRate: 90000, SDPFmtpLine: fmtp, RTCPFeedback: videoFeedback}}
}

func rtxcodec(pt, apt uint8) webrtc.RTPCodecParameters {
	return webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(pt), RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: fmt.Sprintf("apt=%d", apt)}}
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

// chooseCodec picks the one codec of an m-line to keep in the answer: the
// codec already in use in the pipeline when the offer has it (so media can
// be forwarded without transcoding), else the best supported one.
func chooseCodec(offered []webrtc.RTPCodecParameters, inUse *media.Codec) (webrtc.RTPCodecParameters, bool) {
	best, bestRank := webrtc.RTPCodecParameters{}, -1
	for _, c := range offered {
		if isRTX(c) {
			continue
		}
		if inUse != nil && inUse.Matches(codecOf(c)) {
			return c, true
		}
		if r := preference(c); r >= 0 && (bestRank < 0 || r < bestRank) {
			best, bestRank = c, r
		}
	}
	return best, bestRank >= 0
}

// withRTX is chosen and, when offered, the RTX codec whose apt is chosen.
func withRTX(offered []webrtc.RTPCodecParameters, chosen webrtc.RTPCodecParameters) []webrtc.RTPCodecParameters {
	out := []webrtc.RTPCodecParameters{chosen}
	if pt := rtxFor(offered, chosen.PayloadType); pt != 0 {
		for _, c := range offered {
			if isRTX(c) && uint8(c.PayloadType) == pt {
				out = append(out, c)
				break
			}
		}
	}
	return out
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
