package peer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/logging"
	"github.com/pion/webrtc/v4"
)

// Role says what a peer does with media.
type Role int

// Roles of a generator peer.
const (
	Subscriber Role = iota // receives audio+video (recvonly)
	Publisher              // sends audio+video (sendonly)
	Echo                   // sends and receives its own media back (sendrecv)
)

// Config configures a generator peer.
type Config struct {
	Role Role
	// SRTP forces the protection profile: "cm" (AES_CM_128_HMAC_SHA1_80),
	// "gcm" (AEAD_AES_128_GCM) or "" (Pion's default order).
	SRTP string
	// SampleEvery: pass 1 in SampleEvery received SRTP packets up to Pion
	// for decryption (0 → 32; 1 → every packet, an ordinary Pion peer).
	SampleEvery int
	// Epoch is the time origin of trailers and arrival times.
	Epoch time.Time
	// StreamBase is the stream id of the peer's audio; video is StreamBase+1.
	StreamBase uint16
	// Socket is shared by many peers (one reader for all of them, an
	// address of its own for each); nil gives the peer a socket of its own.
	Socket *Socket
}

// Peer is one synthetic browser.
type Peer struct {
	Cfg     Config
	PC      *webrtc.PeerConnection
	Counter *Counter
	Audio   *webrtc.TrackLocalStaticRTP
	Video   *webrtc.TrackLocalStaticRTP

	sock      *Socket
	mux       ice.UDPMux // the peer's own view of sock
	ownSock   bool
	connected chan struct{}
	failed    chan struct{}
	once      sync.Once
	fonce     sync.Once
	wg        sync.WaitGroup
}

// SRTPProfiles maps the -srtp names to Pion profiles.
func SRTPProfiles(name string) ([]dtls.SRTPProtectionProfile, error) {
	switch name {
	case "":
		return nil, nil
	case "cm":
		return []dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80}, nil
	case "gcm":
		return []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_128_GCM}, nil
	}
	return nil, fmt.Errorf("unknown SRTP profile %q (cm or gcm)", name)
}

// New creates a peer with its own wrapped UDP socket on loopback.
func New(cfg Config) (*Peer, error) {
	if cfg.SampleEvery <= 0 {
		cfg.SampleEvery = 32
	}
	profiles, err := SRTPProfiles(cfg.SRTP)
	if err != nil {
		return nil, err
	}
	p := &Peer{Cfg: cfg, sock: cfg.Socket, connected: make(chan struct{}), failed: make(chan struct{})}
	if p.sock == nil {
		sock, err := NewSocket(cfg.SampleEvery, cfg.Epoch)
		if err != nil {
			return nil, err
		}
		p.sock, p.ownSock = sock, true
	}
	p.Counter = p.sock.Counter
	if p.mux, err = p.sock.newMux(); err != nil {
		return nil, p.closeErr(err)
	}

	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "nack"}, {Type: "nack", Parameter: "pli"}, {Type: "ccm", Parameter: "fir"}}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb}}, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, p.closeErr(err)
	}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, p.closeErr(err)
	}
	// Sending peers answer NACKs and send sender reports, as a browser does.
	// Receiving peers run no interceptor: packets the socket wrapper drops
	// must not turn into NACKs.
	ir := &interceptor.Registry{}
	if cfg.Role != Subscriber {
		resp, err := nack.NewResponderInterceptor()
		if err != nil {
			return nil, p.closeErr(err)
		}
		ir.Add(resp)
		sr, err := report.NewSenderInterceptor()
		if err != nil {
			return nil, p.closeErr(err)
		}
		ir.Add(sr)
	}
	se := webrtc.SettingEngine{}
	quiet := logging.NewDefaultLoggerFactory()
	quiet.DefaultLogLevel = logging.LogLevelDisabled // teardown noise ("write on closed pipe")
	se.LoggerFactory = quiet
	se.SetICEUDPMux(p.mux)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetInterfaceFilter(func(string) bool { return true })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	if profiles != nil {
		se.SetSRTPProtectionProfiles(profiles...)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{BundlePolicy: webrtc.BundlePolicyMaxBundle})
	if err != nil {
		return nil, p.closeErr(err)
	}
	p.PC = pc
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			p.once.Do(func() { close(p.connected) })
		case webrtc.PeerConnectionStateFailed:
			p.fonce.Do(func() { close(p.failed) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		p.wg.Add(1)
		go p.readTrack(tr)
	})
	return p, nil
}

func (p *Peer) closeErr(err error) error {
	if p.mux != nil {
		_ = p.mux.Close()
	}
	if p.ownSock {
		p.sock.Close()
	}
	return err
}

func (p *Peer) readTrack(tr *webrtc.TrackRemote) {
	defer p.wg.Done()
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		p.Counter.sample(uint32(tr.SSRC()), pkt.SequenceNumber, pkt.Payload, time.Since(p.Cfg.Epoch).Nanoseconds())
	}
}

// addTransceivers adds the audio and video m-lines of the peer's role.
func (p *Peer) addTransceivers() error {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if p.Cfg.Role == Subscriber {
			if _, err := p.PC.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return err
			}
			continue
		}
		if err := p.addTrack(kind, true); err != nil {
			return err
		}
	}
	return nil
}

func (p *Peer) addTrack(kind webrtc.RTPCodecType, transceiver bool) error {
	mime, id := webrtc.MimeTypeOpus, "audio"
	dst := &p.Audio
	if kind == webrtc.RTPCodecTypeVideo {
		mime, id, dst = webrtc.MimeTypeVP8, "video", &p.Video
	}
	t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: mime}, id, fmt.Sprintf("bench%d", p.Cfg.StreamBase))
	if err != nil {
		return err
	}
	*dst = t
	var s *webrtc.RTPSender
	if transceiver {
		dir := webrtc.RTPTransceiverDirectionSendrecv
		if p.Cfg.Role == Publisher {
			dir = webrtc.RTPTransceiverDirectionSendonly
		}
		tr, err := p.PC.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: dir})
		if err != nil {
			return err
		}
		s = tr.Sender()
	} else if s, err = p.PC.AddTrack(t); err != nil {
		return err
	}
	p.wg.Add(1)
	go func() { // drain RTCP so the interceptors see it
		defer p.wg.Done()
		buf := make([]byte, 1500)
		for {
			if _, _, err := s.Read(buf); err != nil {
				return
			}
		}
	}()
	return nil
}

// Offer creates the local offer, waits for ICE gathering (instant on
// loopback) and returns the SDP with its candidates.
func (p *Peer) Offer(ctx context.Context) (string, error) {
	if err := p.addTransceivers(); err != nil {
		return "", err
	}
	o, err := p.PC.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	return p.setLocal(ctx, o)
}

func (p *Peer) setLocal(ctx context.Context, d webrtc.SessionDescription) (string, error) {
	done := webrtc.GatheringCompletePromise(p.PC)
	if err := p.PC.SetLocalDescription(d); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return p.PC.LocalDescription().SDP, nil
}

// SetAnswer applies the server's answer.
func (p *Peer) SetAnswer(sdp string) error {
	return p.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
}

// Answer answers a server offer (servers that offer to subscribers).
// Sending roles add their tracks to the offered m-lines.
func (p *Peer) Answer(ctx context.Context, offer string) (string, error) {
	if err := p.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	if p.Cfg.Role != Subscriber {
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			if err := p.addTrack(kind, false); err != nil {
				return "", err
			}
		}
	}
	a, err := p.PC.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	return p.setLocal(ctx, a)
}

// LocalCandidates returns the candidates of the local description (for
// servers that want them trickled rather than read from the SDP).
func (p *Peer) LocalCandidates() []webrtc.ICECandidateInit {
	var out []webrtc.ICECandidateInit
	ld := p.PC.LocalDescription()
	if ld == nil {
		return nil
	}
	mid := ""
	var idx uint16
	first := true
	for _, line := range strings.Split(ld.SDP, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "a=mid:") && first:
			mid, first = strings.TrimPrefix(line, "a=mid:"), false
		case strings.HasPrefix(line, "a=candidate:"):
			m, i := mid, idx
			out = append(out, webrtc.ICECandidateInit{Candidate: strings.TrimPrefix(line, "a="), SDPMid: &m, SDPMLineIndex: &i})
		}
	}
	// a bundle: every candidate belongs to the first m-line
	seen := map[string]bool{}
	uniq := out[:0]
	for _, c := range out {
		if !seen[c.Candidate] {
			seen[c.Candidate] = true
			uniq = append(uniq, c)
		}
	}
	for i := range uniq {
		m := mid
		uniq[i].SDPMid = &m
	}
	return uniq
}

// AddCandidate adds a remote candidate.
func (p *Peer) AddCandidate(c webrtc.ICECandidateInit) error { return p.PC.AddICECandidate(c) }

// WaitConnected waits for ICE + DTLS.
func (p *Peer) WaitConnected(ctx context.Context) error {
	select {
	case <-p.connected:
		return nil
	case <-p.failed:
		return errors.New("peer connection failed")
	case <-ctx.Done():
		return fmt.Errorf("not connected (state %s): %w", p.PC.ConnectionState(), ctx.Err())
	}
}

// Socket is the socket the peer receives on.
func (p *Peer) Socket() *Socket { return p.sock }

// Close closes the connection and its socket.
func (p *Peer) Close() {
	if p.PC != nil {
		_ = p.PC.Close()
	}
	if p.mux != nil {
		_ = p.mux.Close()
	}
	if p.ownSock {
		p.sock.Close()
	}
	p.wg.Wait()
}
