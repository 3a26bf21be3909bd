package webrtcep

import (
	"strings"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
)

// parseSDP checks that s is an SDP Gorento can negotiate: parsable, with
// media and DTLS-SRTP.
func parseSDP(s, what string) (*sdp.SessionDescription, error) {
	if strings.TrimSpace(s) == "" {
		return nil, failure(sdpneg.ErrInvalidSDP, "Empty %s not valid", what)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(s); err != nil {
		return nil, failure(sdpneg.ErrInvalidSDP, "Error parsing SDP: %v", err)
	}
	if len(d.MediaDescriptions) == 0 {
		return nil, failure(sdpneg.ErrInvalidSDP, "Error parsing SDP: the %s has no media", what)
	}
	_, fp := d.Attribute("fingerprint")
	for _, m := range d.MediaDescriptions {
		if _, ok := m.Attribute("fingerprint"); ok {
			fp = true
		}
	}
	if !fp {
		return nil, failure(sdpneg.ErrInvalidSDP, "Error parsing SDP: no DTLS fingerprint; WebRtcEndpoint only does DTLS-SRTP")
	}
	return &d, nil
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

func kindOf(k webrtc.RTPCodecType) media.MediaType {
	switch k {
	case webrtc.RTPCodecTypeAudio:
		return media.Audio
	case webrtc.RTPCodecTypeVideo:
		return media.Video
	}
	return media.Data
}

func rtpKind(m media.MediaType) webrtc.RTPCodecType {
	if m == media.Audio {
		return webrtc.RTPCodecTypeAudio
	}
	return webrtc.RTPCodecTypeVideo
}
