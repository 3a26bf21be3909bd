package webrtcep

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	pionnack "github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/egress"
	"github.com/gorento/gorento/internal/media/interceptor/rtpstats"
	"github.com/gorento/gorento/internal/media/interceptor/rtxnack"
	"github.com/gorento/gorento/internal/media/interceptor/twccrx"
)

// newAPI builds the Pion API of one endpoint: its own media engine (so the
// answer can be restricted per endpoint), interceptors whose statistics
// belong to this endpoint, and the ICE settings in force.
func (e *Engine) newAPI(ice ICESettings, onStats func(*rtpstats.Recorder), onNACK func(*rtxnack.Interceptor), onTWCC func(*twccrx.Recorder), tap *keyTap, sim *atomic.Pointer[simulcastInfo]) (*webrtc.API, webrtc.Configuration, error) {
	m := &webrtc.MediaEngine{}
	if err := registerCodecs(m); err != nil {
		return nil, webrtc.Configuration{}, err
	}
	var own func(*twccrx.Recorder)
	if e.cfg.DirectInbound {
		own = onTWCC
	}
	ir, err := interceptors(m, onStats, onNACK, own)
	if err != nil {
		return nil, webrtc.Configuration{}, err
	}
	if err := registerSimulcast(m, ir, sim); err != nil {
		return nil, webrtc.Configuration{}, err
	}
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: "urn:ietf:params:rtp-hdrext:sdes:mid"}, kind); err != nil {
			return nil, webrtc.Configuration{}, err
		}
	}
	if e.cfg.Egress.MaxPlayoutDelay > 0 { // sent to viewers (egress/playout.go), never read
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: egress.PlayoutDelayURI}, webrtc.RTPCodecTypeVideo,
			webrtc.RTPTransceiverDirectionSendonly); err != nil {
			return nil, webrtc.Configuration{}, err
		}
	}
	se, err := e.settingEngine(ice)
	if err != nil {
		return nil, webrtc.Configuration{}, err
	}
	if tap != nil {
		if err := tapKeys(&se, tap, len(e.cfg.SRTPProfiles) > 0); err != nil {
			return nil, webrtc.Configuration{}, err
		}
	}
	servers, err := iceServers(ice)
	if err != nil {
		return nil, webrtc.Configuration{}, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	return api, webrtc.Configuration{ICEServers: servers, BundlePolicy: webrtc.BundlePolicyMaxBundle, RTCPMuxPolicy: webrtc.RTCPMuxPolicyRequire}, nil
}

// interceptors builds the per-packet RTP/RTCP processing of one endpoint
// and registers the RTCP feedback it implies on m.
// With ownFeedback set the endpoint sends NACKs, receiver reports and
// transport-cc feedback itself (feedback_rx.go): Pion's generator, report
// and transport-cc interceptors are left out, and twccrx records for
// ownFeedback.
func interceptors(m *webrtc.MediaEngine, onStats func(*rtpstats.Recorder), onNACK func(*rtxnack.Interceptor), ownFeedback func(*twccrx.Recorder)) (*interceptor.Registry, error) {
	ir := &interceptor.Registry{}
	// The recorder goes first (innermost) so it sees the RTCP the other
	// interceptors generate (NACKs and PLIs we send) and parses received
	// packets for all of them.
	rec, err := rtpstats.NewRecorderFactory(rtpstats.OnNew(onStats))
	if err != nil {
		return nil, err
	}
	ir.Add(rec)
	// NACK: Pion's generator asks for what we miss (and learns of RTX
	// repairs through rtxnack); what receivers miss is resent from the
	// source's history by the egress, no interceptor.
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack"}, webrtc.RTPCodecTypeVideo)
	m.RegisterFeedback(webrtc.RTCPFeedback{Type: "nack", Parameter: "pli"}, webrtc.RTPCodecTypeVideo)
	if ownFeedback == nil {
		// At most 10 requests per lost packet (libwebrtc's limit), so a
		// repair that never arrives, or one not recognized, costs the
		// publisher a bounded number of resends.
		gen, err := pionnack.NewGeneratorInterceptor(pionnack.GeneratorMaxNacksPerPacket(maxNACKsPerPacket))
		if err != nil {
			return nil, err
		}
		ir.Add(rtxnack.Wrap(gen, onNACK))
	}
	// Receiver reports for what we receive. Sender reports are the egress
	// worker's (egress/sr.go): Pion's sender interceptor would report
	// only the packets that pass through its writer.
	if ownFeedback == nil {
		rr, err := report.NewReceiverInterceptor()
		if err != nil {
			return nil, err
		}
		ir.Add(rr)
	}
	if ownFeedback != nil {
		if err := twccrx.Configure(m, ir, ownFeedback); err != nil {
			return nil, err
		}
	} else if err := webrtc.ConfigureTWCCSender(m, ir); err != nil {
		return nil, err
	}
	return ir, nil
}

// maxNACKsPerPacket bounds how often one lost packet is asked for.
const maxNACKsPerPacket = 10

// ICE timers once connected. Pion's agent sends a binding request on the
// selected pair every 2 s by default, each one a STUN transaction (HMAC,
// CRC, a system call each way) per endpoint: at 100 endpoints a visible
// share of the server's fixed costs (docs/performance.md, issue 13).
// RFC 7675 asks for a consent check every 5 s (randomized 4–6 s), which
// libnice (Kurento) does; the peer's own checks (Chromium: every 2.5 s on
// a stable pair; Pion: 2 s) and its RTCP keep the pair alive between ours.
// 4 s stays under the 5 s after which a silent pair turns disconnected.
const (
	DefaultICEKeepalive        = 4 * time.Second
	defaultDisconnectedTimeout = 5 * time.Second  // Pion's default
	defaultFailedTimeout       = 25 * time.Second // Pion's default
)

func (e *Engine) settingEngine(s ICESettings) (webrtc.SettingEngine, error) {
	se := webrtc.SettingEngine{}
	se.LoggerFactory = pionLogger{e.log}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetIncludeLoopbackCandidate(e.cfg.IncludeLoopback || e.cfg.LoopbackOnly)
	se.SetICETimeouts(cmp.Or(e.cfg.DisconnectedTimeout, defaultDisconnectedTimeout), cmp.Or(e.cfg.FailedTimeout, defaultFailedTimeout),
		cmp.Or(e.cfg.ICEKeepalive, DefaultICEKeepalive))
	types := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	if e.cfg.IPv6 {
		types = append(types, webrtc.NetworkTypeUDP6)
	}
	if s.ICETCP && e.tcpMux != nil {
		se.SetICETCPMux(e.tcpMux)
		types = append(types, webrtc.NetworkTypeTCP4)
		if e.cfg.IPv6 {
			types = append(types, webrtc.NetworkTypeTCP6)
		}
	}
	se.SetNetworkTypes(types)
	if ifaces := splitNames(s.NetworkInterfaces); len(ifaces) > 0 {
		se.SetInterfaceFilter(func(name string) bool {
			for _, n := range ifaces {
				if n == name {
					return true
				}
			}
			return false
		})
	} else if e.cfg.LoopbackOnly {
		se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	}
	nets, loop := e.cfg.IPFilter, e.cfg.LoopbackOnly
	if loop || len(nets) > 0 {
		se.SetIPFilter(func(ip net.IP) bool {
			if loop {
				return ip.IsLoopback()
			}
			for _, n := range nets {
				if n.Contains(ip) {
					return true
				}
			}
			return false
		})
	}
	if loop {
		se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if e.udp != nil {
		se.SetICEUDPMux(e.endpointUDPMux(s))
	} else if e.cfg.MinPort != 0 || e.cfg.MaxPort != 0 {
		maxPort := e.cfg.MaxPort
		if maxPort == 0 {
			maxPort = 65535
		}
		if err := se.SetEphemeralUDPPortRange(uint16(e.cfg.MinPort), uint16(maxPort)); err != nil {
			return se, fmt.Errorf("webrtc: port range: %w", err)
		}
	}
	var rules []webrtc.ICEAddressRewriteRule
	if s.ExternalIPv4 != "" {
		rules = append(rules, webrtc.ICEAddressRewriteRule{External: []string{s.ExternalIPv4}, AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode: webrtc.ICEAddressRewriteReplace, Networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeTCP4}})
	}
	if s.ExternalIPv6 != "" {
		rules = append(rules, webrtc.ICEAddressRewriteRule{External: []string{s.ExternalIPv6}, AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode: webrtc.ICEAddressRewriteReplace, Networks: []webrtc.NetworkType{webrtc.NetworkTypeUDP6, webrtc.NetworkTypeTCP6}})
	}
	if len(rules) > 0 {
		if err := se.SetICEAddressRewriteRules(rules...); err != nil {
			return se, fmt.Errorf("webrtc: external address: %w", err)
		}
	}
	if len(e.cfg.SRTPProfiles) > 0 {
		profiles, err := srtpProfiles(e.cfg.SRTPProfiles)
		if err != nil {
			return se, err
		}
		se.SetSRTPProtectionProfiles(profiles...)
	}
	return se, nil
}

// iceServers turns the endpoint's STUN and TURN settings into Pion ICE servers.
func iceServers(s ICESettings) ([]webrtc.ICEServer, error) {
	var out []webrtc.ICEServer
	if s.STUNAddress != "" {
		out = append(out, webrtc.ICEServer{URLs: []string{"stun:" + net.JoinHostPort(s.STUNAddress, strconv.Itoa(s.STUNPort))}})
	}
	if s.TURNURL != "" {
		creds, hostPart, ok := strings.Cut(s.TURNURL, "@")
		if !ok {
			return nil, errors.New("turnUrl must look like user:password@host:port[?transport=udp]")
		}
		user, pass, _ := strings.Cut(creds, ":")
		scheme := "turn:"
		if strings.Contains(hostPart, "transport=tls") {
			scheme = "turns:"
			hostPart = strings.Replace(hostPart, "transport=tls", "transport=tcp", 1)
		}
		out = append(out, webrtc.ICEServer{URLs: []string{scheme + hostPart}, Username: user, Credential: pass})
	}
	return out, nil
}

func splitNames(s string) []string {
	var out []string
	for _, n := range strings.Split(s, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}
