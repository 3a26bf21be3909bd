package webrtcep

import (
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/gorento/gorento/internal/media/interceptor/rtxnack"
)

// RTX (RFC 4588, issue 15.4): every video codec is offered and accepted
// with its RTX codec (codecs.go). Outbound, the egress answers NACKs on the
// track's RTX SSRC when the receiver negotiated RTX for the codec, and on
// the media SSRC otherwise (egress.Downtrack). Inbound, Pion unwraps the
// sender's RTX into the track; rtxnack tells the NACK generator which
// packets those repaired, given the SSRC pairs of the remote description.

// pairRTX declares the remote description's RTX SSRCs (a=ssrc-group:FID
// media rtx) to the NACK generator's rtxnack wrapper.
func pairRTX(n *rtxnack.Interceptor, d *sdp.SessionDescription) {
	if n == nil || d == nil {
		return
	}
	for _, m := range d.MediaDescriptions {
		for _, a := range m.Attributes {
			if a.Key != "ssrc-group" {
				continue
			}
			f := strings.Fields(a.Value)
			if len(f) != 3 || f[0] != "FID" {
				continue
			}
			media, err1 := strconv.ParseUint(f[1], 10, 32)
			rtx, err2 := strconv.ParseUint(f[2], 10, 32)
			if err1 == nil && err2 == nil {
				n.Pair(uint32(media), uint32(rtx))
			}
		}
	}
}
