package rtpep

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pion/sdp/v3"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/sdpneg"
)

// direction is an m-line's a=sendrecv/sendonly/recvonly/inactive, from
// the point of view of the side that wrote it.
type direction struct{ send, recv bool }

func (d direction) String() string {
	switch {
	case d.send && d.recv:
		return "sendrecv"
	case d.send:
		return "sendonly"
	case d.recv:
		return "recvonly"
	}
	return "inactive"
}

// reverse is the direction of the answer to an m-line with direction d.
func (d direction) reverse() direction { return direction{send: d.recv, recv: d.send} }

// remoteMedia is one m-line of a remote description, as the endpoint uses it.
type remoteMedia struct {
	kind    media.MediaType
	kindOK  bool   // audio or video
	media   string // the m-line's media name
	port    int
	proto   string
	formats []string     // as written in the m-line
	codecs  []codecEntry // the formats with their codecs, in order
	addr    netip.Addr   // unspecified: learn it from the first packets
	rtcp    netip.AddrPort
	mux     bool
	dir     direction
	crypto  []string // a=crypto values
}

// secure reports whether the m-line's profile is SRTP (RTP/SAVP, RTP/SAVPF).
func (m *remoteMedia) secure() bool { return strings.Contains(strings.ToUpper(m.proto), "SAVP") }

// isRTP reports whether the m-line's profile is RTP/AVP(F) or RTP/SAVP(F).
func (m *remoteMedia) isRTP() bool {
	switch strings.ToUpper(m.proto) {
	case "RTP/AVP", "RTP/AVPF", "RTP/SAVP", "RTP/SAVPF":
		return true
	}
	return false
}

// parseRemote parses an offer or answer (what names it in errors).
func parseRemote(text, what string) ([]remoteMedia, error) {
	if strings.TrimSpace(text) == "" {
		return nil, failure(sdpneg.ErrInvalidSDP, "Empty %s not valid", what)
	}
	var d sdp.SessionDescription
	if err := d.UnmarshalString(text); err != nil {
		return nil, failure(sdpneg.ErrInvalidSDP, "Error parsing SDP %s: %v", what, err)
	}
	if len(d.MediaDescriptions) == 0 {
		return nil, failure(sdpneg.ErrInvalidSDP, "SDP %s has no media (m=) line", what)
	}
	sessionAddr, sessionHasAddr, err := connectionAddr(d.ConnectionInformation)
	if err != nil {
		return nil, failure(sdpneg.ErrInvalidSDP, "SDP %s: %v", what, err)
	}
	sessionDir := direction{true, true}
	for _, a := range d.Attributes {
		if dir, ok := parseDirection(a.Key); ok {
			sessionDir = dir
		}
	}
	out := make([]remoteMedia, 0, len(d.MediaDescriptions))
	for i, md := range d.MediaDescriptions {
		m, err := parseMedia(md, sessionAddr, sessionHasAddr, sessionDir)
		if err != nil {
			return nil, failure(sdpneg.ErrInvalidSDP, "SDP %s, m-line %d: %v", what, i, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func parseMedia(md *sdp.MediaDescription, sessionAddr netip.Addr, sessionHasAddr bool, dir direction) (remoteMedia, error) {
	m := remoteMedia{media: md.MediaName.Media, port: md.MediaName.Port.Value, proto: strings.Join(md.MediaName.Protos, "/"),
		formats: md.MediaName.Formats, dir: dir}
	switch strings.ToLower(m.media) {
	case "audio":
		m.kind, m.kindOK = media.Audio, true
	case "video":
		m.kind, m.kindOK = media.Video, true
	}
	if m.port < 0 || m.port > 65535 {
		return m, fmt.Errorf("port %d out of range", m.port)
	}
	m.addr = sessionAddr
	addr, has, err := connectionAddr(md.ConnectionInformation)
	if err != nil {
		return m, err
	}
	if has {
		m.addr = addr
	} else if !sessionHasAddr && m.port != 0 {
		return m, fmt.Errorf("no connection address (c=) for the session or the m-line")
	}
	rtpmap := map[string]*media.Codec{}
	fmtp := map[string]string{}
	rtcpPort, rtcpAddr := m.port+1, m.addr
	for _, a := range md.Attributes {
		switch a.Key {
		case "rtpmap":
			pt, c, err := parseRtpmap(a.Value, m.media)
			if err != nil {
				return m, err
			}
			rtpmap[pt] = c
		case "fmtp":
			pt, v, _ := strings.Cut(a.Value, " ")
			fmtp[pt] = strings.TrimSpace(v)
		case "rtcp":
			f := strings.Fields(a.Value)
			if len(f) == 0 {
				return m, fmt.Errorf("a=rtcp without a port")
			}
			p, err := strconv.Atoi(f[0])
			if err != nil || p <= 0 || p > 65535 {
				return m, fmt.Errorf("a=rtcp:%s: bad port", a.Value)
			}
			rtcpPort = p
			if len(f) >= 4 {
				ad, err := netip.ParseAddr(f[3])
				if err != nil {
					return m, fmt.Errorf("a=rtcp:%s: bad address", a.Value)
				}
				rtcpAddr = ad.Unmap()
			}
		case "rtcp-mux":
			m.mux = true
		case "crypto":
			m.crypto = append(m.crypto, a.Value)
		default:
			if d, ok := parseDirection(a.Key); ok {
				m.dir = d
			}
		}
	}
	if m.mux {
		rtcpPort, rtcpAddr = m.port, m.addr
	}
	if rtcpPort > 65535 {
		rtcpPort = m.port
	}
	m.rtcp = netip.AddrPortFrom(rtcpAddr, uint16(rtcpPort))
	for _, f := range m.formats {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || n > 127 {
			continue // not an RTP payload type (another profile)
		}
		c := rtpmap[f]
		if c == nil {
			c = staticCodecs[uint8(n)]
		}
		if c == nil {
			continue
		}
		cc := *c
		cc.Fmtp = fmtp[f]
		entry := codecEntry{pt: uint8(n), codec: &cc}
		if cc.Fmtp == "" && strings.EqualFold(cc.MimeType, "video/H264") {
			// RFC 6184 makes packetization-mode 0 the default, but the
			// senders that omit a=fmtp (the rtp-receiver tutorial's SDP,
			// rtph264pay, ffmpeg) send FU-A, i.e. mode 1: take it as mode 1
			// so that browsers can watch, and answer without a=fmtp.
			cc.Fmtp = "packetization-mode=1"
			entry.asOffered = new(string)
		}
		m.codecs = append(m.codecs, entry)
	}
	return m, nil
}

// connectionAddr parses a c= line (has=false when there is none).
func connectionAddr(c *sdp.ConnectionInformation) (netip.Addr, bool, error) {
	if c == nil || c.Address == nil {
		return netip.Addr{}, false, nil
	}
	if c.NetworkType != "IN" {
		return netip.Addr{}, false, fmt.Errorf("c= network type %q (want IN)", c.NetworkType)
	}
	a, err := netip.ParseAddr(c.Address.Address)
	if err != nil {
		return netip.Addr{}, false, fmt.Errorf("c= address %q is not an IP address (host names are not resolved)", c.Address.Address)
	}
	return a.Unmap(), true, nil
}

func parseDirection(key string) (direction, bool) {
	switch key {
	case "sendrecv":
		return direction{true, true}, true
	case "sendonly":
		return direction{send: true}, true
	case "recvonly":
		return direction{recv: true}, true
	case "inactive":
		return direction{}, true
	}
	return direction{}, false
}

// parseRtpmap parses "<pt> <name>/<rate>[/<channels>]".
func parseRtpmap(v, kind string) (string, *media.Codec, error) {
	pt, enc, ok := strings.Cut(v, " ")
	if !ok {
		return "", nil, fmt.Errorf("a=rtpmap:%s: want <pt> <encoding>/<rate>", v)
	}
	parts := strings.Split(strings.TrimSpace(enc), "/")
	if len(parts) < 2 || len(parts) > 3 {
		return "", nil, fmt.Errorf("a=rtpmap:%s: want <encoding>/<rate>[/<channels>]", v)
	}
	rate, err := strconv.ParseUint(parts[1], 10, 32)
	if err != nil || rate == 0 {
		return "", nil, fmt.Errorf("a=rtpmap:%s: bad clock rate", v)
	}
	c := &media.Codec{MimeType: strings.ToLower(kind) + "/" + parts[0], ClockRate: uint32(rate)}
	if len(parts) == 3 {
		ch, err := strconv.ParseUint(parts[2], 10, 8)
		if err != nil || ch == 0 {
			return "", nil, fmt.Errorf("a=rtpmap:%s: bad channel count", v)
		}
		c.Channels = uint16(ch)
	} else if strings.EqualFold(kind, "audio") {
		c.Channels = 1
	}
	return pt, c, nil
}

// localMedia is one m-line the endpoint writes.
type localMedia struct {
	media   string // audio, video (or what a rejected m-line said)
	port    int    // 0: rejected
	rtcp    int
	proto   string
	formats []string
	codecs  []codecEntry
	dir     direction
	mux     bool
	crypto  string // a=crypto value ("" none)
	ssrc    uint32
}

// writeSDP writes a session description.
func writeSDP(sessID uint64, version int, addr netip.Addr, cname string, lines []localMedia) string {
	var b strings.Builder
	ipv := "IP4"
	if addr.Is6() {
		ipv = "IP6"
	}
	fmt.Fprintf(&b, "v=0\r\no=- %d %d IN %s %s\r\ns=Gorento\r\nc=IN %s %s\r\nt=0 0\r\n", sessID, version, ipv, addr, ipv, addr)
	for _, m := range lines {
		formats := m.formats
		if len(m.codecs) > 0 {
			formats = nil
			for _, c := range m.codecs {
				formats = append(formats, strconv.Itoa(int(c.pt)))
			}
		}
		if len(formats) == 0 {
			formats = []string{"0"}
		}
		fmt.Fprintf(&b, "m=%s %d %s %s\r\n", m.media, m.port, m.proto, strings.Join(formats, " "))
		if m.port == 0 {
			continue
		}
		if m.mux {
			b.WriteString("a=rtcp-mux\r\n")
		} else {
			fmt.Fprintf(&b, "a=rtcp:%d\r\n", m.rtcp)
		}
		fmt.Fprintf(&b, "a=%s\r\n", m.dir)
		for _, c := range m.codecs {
			fmt.Fprintf(&b, "a=rtpmap:%d %s/%d", c.pt, rtpmapName(c.codec), c.codec.ClockRate)
			if c.codec.Channels > 1 {
				fmt.Fprintf(&b, "/%d", c.codec.Channels)
			}
			b.WriteString("\r\n")
			if f := c.fmtpLine(); f != "" {
				fmt.Fprintf(&b, "a=fmtp:%d %s\r\n", c.pt, f)
			}
		}
		if m.crypto != "" {
			fmt.Fprintf(&b, "a=crypto:%s\r\n", m.crypto)
		}
		fmt.Fprintf(&b, "a=ssrc:%d cname:%s\r\n", m.ssrc, cname)
	}
	return b.String()
}
