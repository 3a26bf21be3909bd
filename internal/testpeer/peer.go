// Package testpeer is an in-process WebRTC peer that plays the browser in
// Gorento's tests and tools: it sends marked VP8/Opus RTP, counts and checks
// what it receives, and keeps ICE on loopback only.
package testpeer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testnet/impair"
)

// Magic starts the payload of every packet a test peer sends, followed by
// the peer id and a per-kind counter, so receivers can tell exactly which
// packets of which sender arrived.
const Magic = 0x60A3E1F0

// Options choose what a peer sends and receives.
type Options struct {
	SendAudio, SendVideo bool
	RecvAudio, RecvVideo bool
	// VideoMime is the video codec offered (default VP8).
	VideoMime string
	// AudioMime is the audio codec offered: Opus (the default) or PCMU.
	AudioMime string
	// PeerID is written into every payload (default: random).
	PeerID uint32
	// DataChannel adds a data channel named "test" to the offer.
	DataChannel bool
	// AcceptReplays turns off SRTP replay protection, so retransmissions of
	// packets that did arrive are counted (tests of NACK handling).
	AcceptReplays bool
	// MoreVideoMimes are offered after VideoMime (a browser offers several).
	MoreVideoMimes []string
	// KeepPackets keeps a copy of every packet received (up to 100000 per
	// kind, with arrival times), for tests that decode what arrived.
	KeepPackets bool
	// SRTPProfiles restricts the SRTP profiles offered (nil: Pion's default).
	SRTPProfiles []dtls.SRTPProtectionProfile
	// VideoRTP, when set, is the video StartMedia sends instead of marked
	// packets: real RTP packets (e.g. made by gst-launch-1.0), paced at
	// VideoFPS by their timestamps and looped (media.go).
	VideoRTP [][]byte
	VideoFPS int
	// AudioRTP, when set, is the audio StartMedia sends: recorded packets
	// of 20 ms, looped.
	AudioRTP [][]byte
	// OnVideoFrameSent, when set, is called as each frame of VideoRTP goes
	// out (frame counts from 0 across loops); OnVideoReceived for each video
	// packet that arrives. For latency measurements (benchmarks).
	OnVideoFrameSent func(frame int, at time.Time)
	OnVideoReceived  func(pkt *rtp.Packet, at time.Time)
	// RTX offers video/rtx (RFC 4588) for the video codec: retransmissions
	// both ways on their own SSRC.
	RTX bool
	// DropVideo, when set, drops the first transmission of each sent video
	// packet whose sequence number it selects (loss on the way out; what
	// the other side NACKs is still resent).
	DropVideo func(seq uint16) bool
	// InitialSeq is the first sequence number the marked media of
	// StartMedia uses (0: 1), e.g. just below a wrap.
	InitialSeq uint16
	// TWCC stamps sent packets with the transport-cc header extension, as
	// browsers do, so the other side sends transport-cc feedback.
	TWCC bool
	// REMBOnly leaves transport-cc out of the negotiation: the peer sends no
	// transport-cc feedback on what it receives, so the other side knows
	// what it can take from its REMBs alone (older clients), not from a
	// send-side estimate that a loaded machine's delays move.
	REMBOnly bool
	// ResendGap, when set, resends one packet at most once per gap as RTX
	// (NACKs for it within the gap are ignored), as libwebrtc's sender
	// does within one round trip.
	ResendGap time.Duration
	// Link, when set, puts the peer behind an impaired link: its ICE runs
	// on one UDP socket whose packets go through the profiles (loss, delay,
	// jitter; internal/testnet/impair). SetLink changes them later.
	Link *Link
}

// Link is the impairment of a peer's link, each direction seen from the
// peer: Send is what it sends, Recv what it receives.
type Link struct{ Send, Recv impair.Profile }

// Peer is one test peer. Close releases it.
type Peer struct {
	PC   *webrtc.PeerConnection
	opts Options

	video, audio *webrtc.TrackLocalStaticRTP

	candMu     sync.Mutex
	candidates []webrtc.ICECandidateInit
	candDone   bool
	candSignal chan struct{}

	mu        sync.Mutex // guards received
	received  map[webrtc.RTPCodecType]*Received
	connected chan struct{}
	connOnce  sync.Once

	rtxSent atomic.Int64 // RTX packets sent (retransmissions on the RTX SSRC)
	rtxHeld atomic.Int64 // RTX resends not sent (Options.ResendGap)
	dropped atomic.Int64 // video packets dropped by Options.DropVideo
	plis    atomic.Int64 // PLI/FIR received on our senders
	rembs   atomic.Int64 // last REMB received (bps)
	fb      feedbackSeen // receiver reports and transport-cc feedback received
	sent    [2]atomic.Uint32
	stop    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Once
	link    *impair.Conn // Options.Link's socket (nil: none)

	DataIn chan string // messages received on data channels
	dc     *webrtc.DataChannel
	dcOpen chan struct{}
}

// Received counts what arrived on one kind of track.
type Received struct {
	SSRC     uint32
	Packets  int
	Bytes    int
	Marked   int            // packets carrying Magic
	Senders  map[uint32]int // peer id → packets
	Counters map[uint32]bool
	Seqs     []uint16 // sequence numbers in arrival order (first 10000)
	Payloads [][]byte // first 50 payloads, copied
	// All and At are every packet and its arrival (Options.KeepPackets).
	All []*rtp.Packet
	At  []time.Time
	// Mime is the codec the track was negotiated with.
	Mime string
	// Repaired counts packets that arrived as RTX on the repair SSRC.
	Repaired int
}

// New creates a peer restricted to loopback.
func New(opts Options) (*Peer, error) {
	if opts.VideoMime == "" {
		opts.VideoMime = webrtc.MimeTypeVP8
	}
	audio := webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}}
	if opts.AudioMime == webrtc.MimeTypePCMU {
		audio = webrtc.RTPCodecParameters{PayloadType: 0, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}}
	}
	opts.AudioMime = audio.MimeType
	if opts.PeerID == 0 {
		opts.PeerID = uint32(time.Now().UnixNano())
	}
	m := &webrtc.MediaEngine{}
	fb := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	codecs := []struct {
		c    webrtc.RTPCodecParameters
		kind webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: opts.VideoMime, ClockRate: 90000, SDPFmtpLine: videoFmtp(opts.VideoMime), RTCPFeedback: fb}}, webrtc.RTPCodecTypeVideo},
		{audio, webrtc.RTPCodecTypeAudio},
	}
	for i, mime := range opts.MoreVideoMimes {
		codecs = append(codecs, struct {
			c    webrtc.RTPCodecParameters
			kind webrtc.RTPCodecType
		}{webrtc.RTPCodecParameters{PayloadType: webrtc.PayloadType(100 + i), RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: mime, ClockRate: 90000, SDPFmtpLine: videoFmtp(mime), RTCPFeedback: fb}}, webrtc.RTPCodecTypeVideo})
	}
	if opts.RTX {
		codecs = append(codecs, struct {
			c    webrtc.RTPCodecParameters
			kind webrtc.RTPCodecType
		}{webrtc.RTPCodecParameters{PayloadType: 97, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000, SDPFmtpLine: "apt=96"}}, webrtc.RTPCodecTypeVideo})
	}
	for _, c := range codecs {
		if err := m.RegisterCodec(c.c, c.kind); err != nil {
			return nil, err
		}
	}
	p := &Peer{opts: opts, received: map[webrtc.RTPCodecType]*Received{}, connected: make(chan struct{}),
		candSignal: make(chan struct{}, 1), stop: make(chan struct{}), DataIn: make(chan string, 64), dcOpen: make(chan struct{})}
	ir := &interceptor.Registry{}
	// First, so it sits next to the wire, below the NACK responder.
	ir.Add(&wireTapFactory{p})
	if err := registerInterceptors(m, ir, !opts.REMBOnly); err != nil {
		return nil, err
	}
	if opts.TWCC {
		if err := webrtc.ConfigureTWCCHeaderExtensionSender(m, ir); err != nil {
			return nil, err
		}
	}
	se := LoopbackSettings()
	se.DisableSRTPReplayProtection(opts.AcceptReplays)
	if len(opts.SRTPProfiles) > 0 {
		se.SetSRTPProtectionProfiles(opts.SRTPProfiles...)
	}
	if opts.Link != nil {
		uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return nil, fmt.Errorf("testpeer: link socket: %w", err)
		}
		// The impaired socket's Up is what it reads: what the peer receives.
		if p.link, err = impair.NewConn(uc, opts.Link.Recv, opts.Link.Send); err != nil {
			_ = uc.Close()
			return nil, fmt.Errorf("testpeer: link: %w", err)
		}
		se.SetICEUDPMux(ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: p.link}))
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		if p.link != nil {
			_ = p.link.Close()
		}
		return nil, err
	}
	p.PC = pc
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		p.candMu.Lock()
		if c == nil {
			p.candDone = true
		} else {
			p.candidates = append(p.candidates, c.ToJSON())
		}
		p.candMu.Unlock()
		select {
		case p.candSignal <- struct{}{}:
		default:
		}
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			p.connOnce.Do(func() { close(p.connected) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver) {
		p.wg.Add(1)
		go p.drainRTCP(rc)
		p.readTrack(tr)
	})
	pc.OnDataChannel(p.watchDataChannel)
	return p, nil
}

func videoFmtp(mime string) string {
	if mime == webrtc.MimeTypeH264 {
		return "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
	}
	return ""
}

// LoopbackSettings is the Pion setting engine every test uses: only the
// loopback interface and addresses, loopback candidates on, mDNS off.
func LoopbackSettings() webrtc.SettingEngine {
	s := webrtc.SettingEngine{}
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return s
}

// addTracks adds the transceivers of the options.
func (p *Peer) addTracks() error {
	kinds := []struct {
		kind       webrtc.RTPCodecType
		send, recv bool
		mime       string
		track      **webrtc.TrackLocalStaticRTP
	}{
		{webrtc.RTPCodecTypeAudio, p.opts.SendAudio, p.opts.RecvAudio, p.opts.AudioMime, &p.audio},
		{webrtc.RTPCodecTypeVideo, p.opts.SendVideo, p.opts.RecvVideo, p.opts.VideoMime, &p.video},
	}
	for _, k := range kinds {
		dir := webrtc.RTPTransceiverDirectionSendrecv
		switch {
		case k.send && !k.recv:
			dir = webrtc.RTPTransceiverDirectionSendonly
		case !k.send && k.recv:
			dir = webrtc.RTPTransceiverDirectionRecvonly
		case !k.send && !k.recv:
			continue
		}
		if !k.send {
			if _, err := p.PC.AddTransceiverFromKind(k.kind, webrtc.RTPTransceiverInit{Direction: dir}); err != nil {
				return err
			}
			continue
		}
		t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: k.mime}, k.kind.String(), "testpeer")
		if err != nil {
			return err
		}
		*k.track = t
		tr, err := p.PC.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: dir})
		if err != nil {
			return err
		}
		p.readSenderRTCP(tr.Sender())
	}
	if p.opts.DataChannel {
		dc, err := p.PC.CreateDataChannel("test", nil)
		if err != nil {
			return err
		}
		p.dc = dc
		dc.OnOpen(func() { close(p.dcOpen) })
		p.watchDataChannel(dc)
	}
	return nil
}

// Offer makes and applies a local offer; candidates trickle afterwards.
func (p *Peer) Offer() (string, error) {
	if err := p.addTracks(); err != nil {
		return "", err
	}
	o, err := p.PC.CreateOffer(nil)
	if err != nil {
		return "", err
	}
	if err := p.PC.SetLocalDescription(o); err != nil {
		return "", err
	}
	return o.SDP, nil
}

// SetAnswer applies the remote answer.
func (p *Peer) SetAnswer(sdp string) error {
	return p.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
}

// Answer answers a remote offer (the generateOffer flow).
func (p *Peer) Answer(offer string) (string, error) {
	if err := p.PC.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	for _, tr := range p.PC.GetTransceivers() {
		var t **webrtc.TrackLocalStaticRTP
		send := false
		switch tr.Kind() {
		case webrtc.RTPCodecTypeAudio:
			t, send = &p.audio, p.opts.SendAudio
		case webrtc.RTPCodecTypeVideo:
			t, send = &p.video, p.opts.SendVideo
		default:
			continue
		}
		if !send {
			continue
		}
		track, err := webrtc.NewTrackLocalStaticRTP(tr.Receiver().GetParameters().Codecs[0].RTPCodecCapability, tr.Kind().String(), "testpeer")
		if err != nil {
			return "", err
		}
		*t = track
		s, err := p.PC.AddTrack(track)
		if err != nil {
			return "", err
		}
		p.readSenderRTCP(s)
	}
	a, err := p.PC.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	if err := p.PC.SetLocalDescription(a); err != nil {
		return "", err
	}
	return a.SDP, nil
}

// AddRemoteCandidate adds a candidate from the server.
func (p *Peer) AddRemoteCandidate(candidate, mid string, index int) error {
	idx := uint16(index)
	return p.PC.AddICECandidate(webrtc.ICECandidateInit{Candidate: candidate, SDPMid: &mid, SDPMLineIndex: &idx})
}

// WaitCandidates waits until gathering completes and returns the local candidates.
func (p *Peer) WaitCandidates(timeout time.Duration) ([]webrtc.ICECandidateInit, error) {
	deadline := time.After(timeout)
	for {
		p.candMu.Lock()
		done, out := p.candDone, append([]webrtc.ICECandidateInit(nil), p.candidates...)
		p.candMu.Unlock()
		if done {
			return out, nil
		}
		select {
		case <-p.candSignal:
		case <-deadline:
			return out, errors.New("testpeer: ICE gathering did not complete")
		}
	}
}

// WaitConnected waits for ICE and DTLS.
func (p *Peer) WaitConnected(timeout time.Duration) error {
	select {
	case <-p.connected:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("testpeer: not connected after %v (state %s)", timeout, p.PC.ConnectionState())
	}
}

// StartMedia sends marked video (30 packets/s) and audio (50 packets/s)
// until Close.
func (p *Peer) StartMedia() {
	if p.video != nil && len(p.opts.VideoRTP) > 0 {
		p.wg.Add(1)
		go p.sendRecorded(p.video, 1, p.opts.VideoRTP, p.opts.VideoFPS, 90000)
	} else if p.video != nil {
		p.wg.Add(1)
		go p.sendLoop(p.video, 1, 33*time.Millisecond, 90000/30, 1000)
	}
	if p.audio != nil && len(p.opts.AudioRTP) > 0 {
		p.wg.Add(1)
		rate := uint32(48000)
		if p.opts.AudioMime == webrtc.MimeTypePCMU {
			rate = 8000
		}
		go p.sendRecorded(p.audio, 0, p.opts.AudioRTP, 50, rate)
	} else if p.audio != nil {
		p.wg.Add(1)
		go p.sendLoop(p.audio, 0, 20*time.Millisecond, 960, 100)
	}
}

func (p *Peer) sendLoop(t *webrtc.TrackLocalStaticRTP, idx int, every time.Duration, tsStep uint32, size int) {
	defer p.wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	payload := make([]byte, size)
	binary.BigEndian.PutUint32(payload, Magic)
	binary.BigEndian.PutUint32(payload[4:], p.opts.PeerID)
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 0, Timestamp: 1}}
	if p.opts.InitialSeq != 0 {
		pkt.SequenceNumber = p.opts.InitialSeq - 1
	}
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		n := p.sent[idx].Add(1)
		binary.BigEndian.PutUint32(payload[8:], n)
		pkt.SequenceNumber++
		pkt.Timestamp += tsStep
		pkt.Marker = true
		pkt.Payload = payload
		_ = t.WriteRTP(pkt)
	}
}

// Sent returns how many packets were sent per kind (audio, video).
func (p *Peer) Sent() (audio, video uint32) { return p.sent[0].Load(), p.sent[1].Load() }

// drainRTCP reads the sender reports of a received track, as a browser
// does, so that the peer's receiver reports echo them (LSR/DLSR) and the
// server can measure round-trip times. It ends when the connection closes.
func (p *Peer) drainRTCP(rc *webrtc.RTPReceiver) {
	defer p.wg.Done()
	buf := make([]byte, 1500)
	for {
		if _, _, err := rc.Read(buf); err != nil {
			return
		}
	}
}

func (p *Peer) readTrack(tr *webrtc.TrackRemote) {
	p.wg.Add(1)
	defer p.wg.Done()
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, attrs, err := tr.Read(buf)
		if err != nil {
			return
		}
		repaired := attrs != nil && attrs.Get(webrtc.AttributeRtxSsrc) != nil
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		if f := p.opts.OnVideoReceived; f != nil && tr.Kind() == webrtc.RTPCodecTypeVideo {
			f(&pkt, time.Now())
		}
		p.mu.Lock()
		r := p.received[tr.Kind()]
		if r == nil {
			r = &Received{Senders: map[uint32]int{}, Counters: map[uint32]bool{}}
			p.received[tr.Kind()] = r
		}
		r.SSRC = pkt.SSRC
		r.Mime = tr.Codec().MimeType
		if p.opts.KeepPackets && len(r.All) < 100000 {
			r.All = append(r.All, pkt.Clone())
			r.At = append(r.At, time.Now())
		}
		r.Packets++
		if repaired {
			r.Repaired++
		}
		r.Bytes += len(pkt.Payload)
		if len(r.Seqs) < 10000 {
			r.Seqs = append(r.Seqs, pkt.SequenceNumber)
		}
		if len(r.Payloads) < 50 {
			r.Payloads = append(r.Payloads, append([]byte(nil), pkt.Payload...))
		}
		if len(pkt.Payload) >= 12 && binary.BigEndian.Uint32(pkt.Payload) == Magic {
			r.Marked++
			r.Senders[binary.BigEndian.Uint32(pkt.Payload[4:])]++
			r.Counters[binary.BigEndian.Uint32(pkt.Payload[8:])] = true
		}
		p.mu.Unlock()
	}
}

// Received returns a copy of what arrived for a kind (zero value if nothing).
func (p *Peer) Received(kind webrtc.RTPCodecType) Received {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.received[kind]
	if r == nil {
		return Received{}
	}
	c := *r
	c.Senders = map[uint32]int{}
	for k, v := range r.Senders {
		c.Senders[k] = v
	}
	c.Counters = map[uint32]bool{}
	for k, v := range r.Counters {
		c.Counters[k] = v
	}
	c.Seqs = append([]uint16(nil), r.Seqs...)
	c.All = append([]*rtp.Packet(nil), r.All...)
	c.At = append([]time.Time(nil), r.At...)
	return c
}

func (p *Peer) readSenderRTCP(s *webrtc.RTPSender) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			pkts, _, err := s.ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				switch v := pk.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					p.plis.Add(1)
				case *rtcp.ReceiverEstimatedMaximumBitrate:
					p.rembs.Store(int64(v.Bitrate))
				case *rtcp.ReceiverReport:
					p.fb.report(v.Reports)
				case *rtcp.TransportLayerCC:
					p.fb.twcc(v)
				}
			}
		}
	}()
}

// KeyframeRequests is the number of PLI/FIR received for our tracks.
func (p *Peer) KeyframeRequests() int64 { return p.plis.Load() }

// LastREMB is the last receiver estimate received (bps).
func (p *Peer) LastREMB() int64 { return p.rembs.Load() }

// SendPLI asks the sender of the received video for a keyframe.
func (p *Peer) SendPLI() error {
	r := p.Received(webrtc.RTPCodecTypeVideo)
	if r.SSRC == 0 {
		return errors.New("testpeer: no video received yet")
	}
	return p.PC.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: r.SSRC}})
}

// SendNACK asks the sender of the received video to retransmit a packet.
func (p *Peer) SendNACK(seq uint16) error {
	r := p.Received(webrtc.RTPCodecTypeVideo)
	if r.SSRC == 0 {
		return errors.New("testpeer: no video received yet")
	}
	return p.PC.WriteRTCP([]rtcp.Packet{&rtcp.TransportLayerNack{MediaSSRC: r.SSRC,
		Nacks: []rtcp.NackPair{{PacketID: seq}}}})
}

// SendREMB reports a receiver estimate for the received video.
func (p *Peer) SendREMB(bps float32) error {
	r := p.Received(webrtc.RTPCodecTypeVideo)
	return p.PC.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: bps, SSRCs: []uint32{r.SSRC}}})
}

func (p *Peer) watchDataChannel(dc *webrtc.DataChannel) {
	dc.OnMessage(func(m webrtc.DataChannelMessage) {
		select {
		case p.DataIn <- string(m.Data):
		default:
		}
	})
}

// SendData sends a text message on the peer's data channel once it is open.
func (p *Peer) SendData(msg string, timeout time.Duration) error {
	if p.dc == nil {
		return errors.New("testpeer: no data channel (Options.DataChannel)")
	}
	select {
	case <-p.dcOpen:
	case <-time.After(timeout):
		return errors.New("testpeer: data channel did not open")
	}
	return p.dc.SendText(msg)
}

// Close stops sending and closes the connection.
func (p *Peer) Close() {
	p.closeMu.Do(func() {
		close(p.stop)
		_ = p.PC.Close()
		p.wg.Wait()
		if p.link != nil {
			_ = p.link.Close()
		}
	})
}

// SetLink changes the impairment of the peer's link (Options.Link must
// have been set).
func (p *Peer) SetLink(l Link) error {
	if p.link == nil {
		return errors.New("testpeer: no impaired link (Options.Link)")
	}
	if err := p.link.SetProfile(impair.Down, l.Send); err != nil {
		return err
	}
	return p.link.SetProfile(impair.Up, l.Recv)
}

// LinkStats counts what the impaired link did per direction (zero
// without Options.Link).
func (p *Peer) LinkStats() (send, recv impair.DirStats) {
	if p.link == nil {
		return
	}
	return p.link.Stats(impair.Down), p.link.Stats(impair.Up)
}

// Feedback is what the peer's senders got about the packets they sent.
type Feedback struct {
	ReceiverReports int               // report blocks received
	HighestSeq      map[uint32]uint32 // per SSRC, the extended highest sequence number last reported
	TWCC            int               // transport-cc feedback packets received
	TWCCReceived    int               // packets those reported as received
}

type feedbackSeen struct {
	mu sync.Mutex
	f  Feedback
}

func (s *feedbackSeen) report(reps []rtcp.ReceptionReport) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f.HighestSeq == nil {
		s.f.HighestSeq = map[uint32]uint32{}
	}
	for _, r := range reps {
		s.f.ReceiverReports++
		s.f.HighestSeq[r.SSRC] = r.LastSequenceNumber
	}
}

func (s *feedbackSeen) twcc(cc *rtcp.TransportLayerCC) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.f.TWCC++
	s.f.TWCCReceived += len(cc.RecvDeltas)
}

// Feedback returns a copy of the feedback received so far.
func (p *Peer) Feedback() Feedback {
	p.fb.mu.Lock()
	defer p.fb.mu.Unlock()
	f := p.fb.f
	f.HighestSeq = map[uint32]uint32{}
	for k, v := range p.fb.f.HighestSeq {
		f.HighestSeq[k] = v
	}
	return f
}

// SentSSRC is the SSRC of a kind's sent track (0: none).
func (p *Peer) SentSSRC(kind webrtc.RTPCodecType) uint32 {
	for _, tr := range p.PC.GetTransceivers() {
		if s := tr.Sender(); s != nil && s.Track() != nil && s.Track().Kind() == kind {
			if ps := s.GetParameters().Encodings; len(ps) > 0 {
				return uint32(ps[0].SSRC)
			}
		}
	}
	return 0
}

// registerInterceptors registers Pion's default interceptors, the
// transport-cc feedback sender only with twcc.
func registerInterceptors(m *webrtc.MediaEngine, ir *interceptor.Registry, twcc bool) error {
	if twcc {
		return webrtc.RegisterDefaultInterceptors(m, ir)
	}
	if err := webrtc.ConfigureNack(m, ir); err != nil {
		return err
	}
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return err
	}
	if err := webrtc.ConfigureSimulcastExtensionHeaders(m); err != nil {
		return err
	}
	return webrtc.ConfigureStatsInterceptor(ir)
}
