// Package mediapeer is an in-process WebRTC peer for media tests: it
// offers exactly the codecs a test gives it (an H.264-only phone, a
// PCMU-only gateway), sends real RTP (made by gst-launch-1.0, see package
// testmedia) at the pace of its timestamps, and keeps every packet it
// receives so the test can decode them. ICE stays on loopback.
package mediapeer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testpeer"
)

var feedback = []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"}, {Type: "nack"}, {Type: "nack", Parameter: "pli"}}

// Codecs a test peer may offer.
var (
	VP8  = webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: feedback}}
	H264 = webrtc.RTPCodecParameters{PayloadType: 102, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeH264, ClockRate: 90000,
		SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", RTCPFeedback: feedback}}
	Opus = webrtc.RTPCodecParameters{PayloadType: 111, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2, SDPFmtpLine: "minptime=10;useinbandfec=1"}}
	PCMU = webrtc.RTPCodecParameters{PayloadType: 0, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypePCMU, ClockRate: 8000, Channels: 1}}
)

// Options choose what a peer offers, sends and receives. A kind without
// codecs is not offered.
type Options struct {
	Video, Audio         []webrtc.RTPCodecParameters
	SendVideo, SendAudio bool
	RecvVideo, RecvAudio bool
}

// Peer is one media test peer. Close releases it.
type Peer struct {
	PC   *webrtc.PeerConnection
	opts Options

	tracks map[webrtc.RTPCodecType]*webrtc.TrackLocalStaticRTP

	candMu     sync.Mutex
	candidates []webrtc.ICECandidateInit
	candDone   chan struct{}
	connected  chan struct{}
	connOnce   sync.Once

	mu       sync.Mutex // guards the fields below
	received map[webrtc.RTPCodecType][][]byte
	codecs   map[webrtc.RTPCodecType]string
	plis     int

	stop    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Once
}

// New creates a peer restricted to loopback.
func New(opts Options) (*Peer, error) {
	m := &webrtc.MediaEngine{}
	for kind, list := range map[webrtc.RTPCodecType][]webrtc.RTPCodecParameters{webrtc.RTPCodecTypeVideo: opts.Video, webrtc.RTPCodecTypeAudio: opts.Audio} {
		for _, c := range list {
			if err := m.RegisterCodec(c, kind); err != nil {
				return nil, err
			}
		}
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(testpeer.LoopbackSettings()))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	p := &Peer{PC: pc, opts: opts, tracks: map[webrtc.RTPCodecType]*webrtc.TrackLocalStaticRTP{}, candDone: make(chan struct{}),
		connected: make(chan struct{}), received: map[webrtc.RTPCodecType][][]byte{}, codecs: map[webrtc.RTPCodecType]string{}, stop: make(chan struct{})}
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		p.candMu.Lock()
		defer p.candMu.Unlock()
		if c == nil {
			close(p.candDone)
			return
		}
		p.candidates = append(p.candidates, c.ToJSON())
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			p.connOnce.Do(func() { close(p.connected) })
		}
	})
	pc.OnTrack(func(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver) {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := rc.Read(buf); err != nil {
					return
				}
			}
		}()
		p.read(tr)
	})
	return p, nil
}

// Offer adds the transceivers and returns the applied local offer.
func (p *Peer) Offer() (string, error) {
	for _, k := range []struct {
		kind       webrtc.RTPCodecType
		codecs     []webrtc.RTPCodecParameters
		send, recv bool
	}{
		{webrtc.RTPCodecTypeAudio, p.opts.Audio, p.opts.SendAudio, p.opts.RecvAudio},
		{webrtc.RTPCodecTypeVideo, p.opts.Video, p.opts.SendVideo, p.opts.RecvVideo},
	} {
		if len(k.codecs) == 0 || (!k.send && !k.recv) {
			continue
		}
		if !k.send {
			if _, err := p.PC.AddTransceiverFromKind(k.kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
				return "", err
			}
			continue
		}
		dir := webrtc.RTPTransceiverDirectionSendrecv
		if !k.recv {
			dir = webrtc.RTPTransceiverDirectionSendonly
		}
		t, err := webrtc.NewTrackLocalStaticRTP(k.codecs[0].RTPCodecCapability, k.kind.String(), "mediapeer")
		if err != nil {
			return "", err
		}
		tr, err := p.PC.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: dir})
		if err != nil {
			return "", err
		}
		p.tracks[k.kind] = t
		p.readRTCP(tr.Sender())
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

// AddRemoteCandidate adds a candidate from the server.
func (p *Peer) AddRemoteCandidate(candidate, mid string, index int) error {
	idx := uint16(index)
	return p.PC.AddICECandidate(webrtc.ICECandidateInit{Candidate: candidate, SDPMid: &mid, SDPMLineIndex: &idx})
}

// Candidates waits until gathering completes and returns the local candidates.
func (p *Peer) Candidates(timeout time.Duration) ([]webrtc.ICECandidateInit, error) {
	select {
	case <-p.candDone:
	case <-time.After(timeout):
		return nil, errors.New("mediapeer: ICE gathering did not complete")
	}
	p.candMu.Lock()
	defer p.candMu.Unlock()
	return append([]webrtc.ICECandidateInit(nil), p.candidates...), nil
}

// WaitConnected waits for ICE and DTLS.
func (p *Peer) WaitConnected(timeout time.Duration) error {
	select {
	case <-p.connected:
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("mediapeer: not connected after %v (state %s)", timeout, p.PC.ConnectionState())
	}
}

// Play sends RTP packets (made by gst-launch-1.0) on the kind's track at the
// pace of their timestamps, in a goroutine, looping until Close. Sequence
// numbers and timestamps continue from one loop to the next.
func (p *Peer) Play(kind webrtc.RTPCodecType, clockRate uint32, pkts [][]byte) {
	t := p.tracks[kind]
	if t == nil || len(pkts) == 0 {
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		first := binary.BigEndian.Uint32(pkts[0][4:8])
		span := binary.BigEndian.Uint32(pkts[len(pkts)-1][4:8]) - first + clockRate/30
		start := time.Now()
		var seq uint16
		for loop := uint32(0); ; loop++ {
			for _, b := range pkts {
				var pk rtp.Packet
				if pk.Unmarshal(b) != nil {
					continue
				}
				rel := pk.Timestamp - first + loop*span
				select {
				case <-p.stop:
					return
				case <-time.After(time.Until(start.Add(time.Duration(rel) * time.Second / time.Duration(clockRate)))):
				}
				pk.SequenceNumber, pk.Timestamp = seq, rel
				seq++
				_ = t.WriteRTP(&pk)
			}
		}
	}()
}

func (p *Peer) read(tr *webrtc.TrackRemote) {
	p.mu.Lock()
	p.codecs[tr.Kind()] = tr.Codec().MimeType
	p.mu.Unlock()
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.received[tr.Kind()] = append(p.received[tr.Kind()], append([]byte(nil), buf[:n]...))
		p.mu.Unlock()
	}
}

func (p *Peer) readRTCP(s *webrtc.RTPSender) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			pkts, _, err := s.ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				switch pk.(type) {
				case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
					p.mu.Lock()
					p.plis++
					p.mu.Unlock()
				}
			}
		}
	}()
}

// Received returns every packet received of a kind so far.
func (p *Peer) Received(kind webrtc.RTPCodecType) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.received[kind]...)
}

// Reset forgets the packets received.
func (p *Peer) Reset() {
	p.mu.Lock()
	p.received = map[webrtc.RTPCodecType][][]byte{}
	p.mu.Unlock()
}

// Codec returns the MIME type of the track received of a kind ("" if none).
func (p *Peer) Codec(kind webrtc.RTPCodecType) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.codecs[kind]
}

// KeyframeRequests returns the PLI/FIR received for the peer's tracks.
func (p *Peer) KeyframeRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.plis
}

// SendPLI asks the sender of the received video for a keyframe.
func (p *Peer) SendPLI() error {
	pkts := p.Received(webrtc.RTPCodecTypeVideo)
	if len(pkts) == 0 {
		return errors.New("mediapeer: no video received yet")
	}
	return p.PC.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: binary.BigEndian.Uint32(pkts[0][8:12])}})
}

// Close stops sending and closes the connection.
func (p *Peer) Close() {
	p.closeMu.Do(func() {
		close(p.stop)
		_ = p.PC.Close()
		p.wg.Wait()
	})
}
