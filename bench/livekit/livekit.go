// Package livekit is gorento-bench's LiveKit driver: it runs livekit-server
// on loopback and drives it through the signalling layer of LiveKit's Go
// server SDK. Importing it registers the "livekit" target.
package livekit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	protosignalling "github.com/livekit/protocol/signalling"
	"github.com/livekit/server-sdk-go/v2/signalling"
	"github.com/pion/webrtc/v4"
	"google.golang.org/protobuf/proto"

	"github.com/gorento/gorento/bench/internal/peer"
	"github.com/gorento/gorento/bench/internal/target"
)

// sdkProtocol is the signalling protocol version the SDK speaks.
const sdkProtocol = 16

func init() {
	target.Register(target.Factory{Name: "livekit", New: func(env target.Env) target.Server { return &LiveKit{bin: env.LiveKitBin} },
		Available: func(env target.Env) error {
			if env.LiveKitBin == "" {
				return errors.New("livekit-server not installed")
			}
			_, err := os.Stat(env.LiveKitBin)
			return err
		}})
}

// LiveKit runs livekit-server on loopback and drives it with the signalling
// layer of LiveKit's Go server SDK (server-sdk-go/v2/signalling: its
// WebSocket transport, request builders and response dispatch), with the
// generator's own Pion peers for media so they stay cheap subscribers with
// the forced SRTP profile and loopback candidates.
type LiveKit struct {
	bin    string
	proc   *target.Process
	url    string
	key    string
	secret string
}

// Name implements target.Server.
func (l *LiveKit) Name() string { return "livekit" }

// SupportsEcho implements target.Server: LiveKit has no loopback service.
func (l *LiveKit) SupportsEcho() bool { return false }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Start implements target.Server.
func (l *LiveKit) Start(ctx context.Context, o target.Options) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	l.key, l.secret = "benchkey", "bench-secret-0123456789abcdefghijklmnop"
	// One UDP port per PeerConnection (a port range, not the single-port
	// mux): the generator's peers share one socket and are told apart by the
	// server's address, as with the other servers.
	cfg := fmt.Sprintf(`port: %d
bind_addresses: ["127.0.0.1"]
rtc:
  port_range_start: 50000
  port_range_end: 60000
  tcp_port: 0
  use_external_ip: false
  node_ip: 127.0.0.1
  enable_loopback_candidate: true
  interfaces:
    includes: [lo]
  ips:
    includes: [127.0.0.0/8]
keys:
  %s: %s
logging:
  level: info
room:
  auto_create: true
`, port, l.key, l.secret)
	path := filepath.Join(o.Dir, "livekit.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return err
	}
	p, err := target.StartProcess(o.Dir, "livekit", o.CPU, nil, l.bin, "--config", path)
	if err != nil {
		return err
	}
	l.proc = p
	l.url = fmt.Sprintf("ws://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("livekit-server exited: %s", p.Tail())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			l.Stop()
			return errors.New("livekit-server did not come up")
		}
	}
}

// PID implements target.Server.
func (l *LiveKit) PID() int { return l.proc.PID() }

// Stop implements target.Server.
func (l *LiveKit) Stop() {
	if l.proc == nil {
		return
	}
	l.proc.Stop(3 * time.Second)
	l.proc = nil
}

// Echo implements target.Server.
func (l *LiveKit) Echo(context.Context, *peer.Peer) (func(context.Context) error, error) {
	return nil, target.ErrUnsupported
}

// NewRoom implements target.Server (rooms are created on first join).
func (l *LiveKit) NewRoom(ctx context.Context, name string) (target.Room, error) {
	return &lkRoom{l: l, name: name}, nil
}

type lkRoom struct {
	l     *LiveKit
	name  string
	mu    sync.Mutex
	parts []*participant
}

func (r *lkRoom) join(ctx context.Context, identity string, p *peer.Peer, autoSubscribe bool) (*participant, error) {
	at := auth.NewAccessToken(r.l.key, r.l.secret)
	at.SetVideoGrant(&auth.VideoGrant{RoomJoin: true, Room: r.name}).SetIdentity(identity).SetValidFor(time.Hour)
	token, err := at.ToJWT()
	if err != nil {
		return nil, err
	}
	pt := newParticipant(p)
	if !autoSubscribe {
		// A publisher: LiveKit still negotiates a subscriber connection with
		// it, answered by a second peer that receives nothing.
		sub, err := peer.New(peer.Config{Role: peer.Subscriber, SRTP: p.Cfg.SRTP, Epoch: p.Cfg.Epoch, SampleEvery: p.Cfg.SampleEvery})
		if err != nil {
			return nil, err
		}
		pt.peer, pt.pub = sub, p
	}
	r.mu.Lock()
	r.parts = append(r.parts, pt)
	r.mu.Unlock()
	if err := pt.connect(ctx, r.l.url, token, autoSubscribe); err != nil {
		return nil, err
	}
	return pt, nil
}

// Publish joins as "pub", announces an audio and a video track, then sends
// the publisher offer.
func (r *lkRoom) Publish(ctx context.Context, p *peer.Peer) error {
	pt, err := r.join(ctx, "pub", p, false)
	if err != nil {
		return err
	}
	for _, t := range []*livekit.AddTrackRequest{
		{Cid: "audio", Name: "audio", Type: livekit.TrackType_AUDIO, Source: livekit.TrackSource_MICROPHONE},
		{Cid: "video", Name: "video", Type: livekit.TrackType_VIDEO, Source: livekit.TrackSource_CAMERA, Width: 1280, Height: 720},
	} {
		if err := pt.send(pt.sig.SignalAddTrack(t)); err != nil {
			return err
		}
	}
	for i := 0; i < 2; i++ {
		select {
		case <-pt.published:
		case <-ctx.Done():
			return fmt.Errorf("livekit: track not published: %w", ctx.Err())
		}
	}
	offer, err := p.Offer(ctx)
	if err != nil {
		return err
	}
	mids := midsOf(offer)
	if err := pt.send(pt.sig.SignalSdpOffer(protosignalling.ToProtoSessionDescription(
		webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}, 1, mids))); err != nil {
		return err
	}
	select {
	case ans := <-pt.answers:
		if err := p.SetAnswer(ans.SDP); err != nil {
			return err
		}
	case <-ctx.Done():
		return fmt.Errorf("livekit: no publisher answer: %w", ctx.Err())
	}
	pt.pubReady()
	return p.WaitConnected(ctx)
}

// midsOf maps the offer's mids to its track ids (a=msid:<stream> <track>).
func midsOf(sdp string) map[string]string {
	out := map[string]string{}
	mid := ""
	for _, line := range strings.Split(sdp, "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "a=mid:"); ok {
			mid = v
		}
		if v, ok := strings.CutPrefix(line, "a=msid:"); ok {
			if f := strings.Fields(v); len(f) == 2 {
				out[mid] = f[1]
			}
		}
	}
	return out
}

// Subscribe joins with auto-subscribe and answers the server's offers until
// one carries the video.
func (r *lkRoom) Subscribe(ctx context.Context, p *peer.Peer) error {
	r.mu.Lock()
	id := fmt.Sprintf("sub%d", len(r.parts))
	r.mu.Unlock()
	pt, err := r.join(ctx, id, p, true)
	if err != nil {
		return err
	}
	select {
	case <-pt.gotVideo:
	case err := <-pt.errs:
		return err
	case <-ctx.Done():
		return fmt.Errorf("livekit: no subscriber offer with video: %w", ctx.Err())
	}
	return p.WaitConnected(ctx)
}

func (r *lkRoom) Close(ctx context.Context) error {
	r.mu.Lock()
	parts := r.parts
	r.parts = nil
	r.mu.Unlock()
	for _, pt := range parts {
		pt.close()
	}
	return nil
}

var quietLogger = logger.GetLogger() // LiveKit's default logger is quiet at info level here

// participant is one LiveKit signalling connection built from the SDK's
// signalling package, with one generator peer for media.
type participant struct {
	peer      *peer.Peer // the subscriber PeerConnection (answers server offers)
	pub       *peer.Peer // the publisher PeerConnection, if publishing
	sig       signalling.Signalling
	transport signalling.SignalTransport

	published chan struct{}
	answers   chan webrtc.SessionDescription
	gotVideo  chan struct{}
	errs      chan error
	videoOnce sync.Once
	stop      chan struct{}

	mu      sync.Mutex
	pending []webrtc.ICECandidateInit // publisher candidates before the answer
	ready   bool
	ping    time.Duration
}

func newParticipant(p *peer.Peer) *participant {
	return &participant{peer: p, published: make(chan struct{}, 4), answers: make(chan webrtc.SessionDescription, 4),
		gotVideo: make(chan struct{}), errs: make(chan error, 4), stop: make(chan struct{})}
}

func (pt *participant) connect(ctx context.Context, url, token string, autoSubscribe bool) error {
	pt.sig = signalling.NewSignalling(signalling.SignallingParams{Logger: quietLogger})
	handler := signalling.NewSignalHandler(signalling.SignalHandlerParams{Logger: quietLogger, Processor: pt})
	pt.transport = signalling.NewSignalTransportWebSocket(signalling.SignalTransportWebSocketParams{
		Logger: quietLogger, Version: "2.18.1", Protocol: sdkProtocol,
		Signalling: pt.sig, SignalTransportHandler: pt, SignalHandler: handler,
	})
	if err := pt.transport.Join(ctx, url, token, signalling.ConnectParams{AutoSubscribe: autoSubscribe, DisableRegionDiscovery: true},
		nil, webrtc.SessionDescription{}); err != nil {
		return fmt.Errorf("livekit: join: %w", err)
	}
	pt.transport.Start()
	go pt.keepalive()
	return nil
}

func (pt *participant) send(msg proto.Message) error { return pt.transport.SendMessage(msg) }

func (pt *participant) keepalive() {
	pt.mu.Lock()
	every := pt.ping
	pt.mu.Unlock()
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-pt.stop:
			return
		case <-t.C:
			_ = pt.transport.SendMessage(&livekit.SignalRequest{Message: &livekit.SignalRequest_PingReq{
				PingReq: &livekit.Ping{Timestamp: time.Now().UnixMilli()}}})
		}
	}
}

func (pt *participant) pubReady() {
	pt.mu.Lock()
	pt.ready = true
	pend := pt.pending
	pt.pending = nil
	pt.mu.Unlock()
	for _, c := range pend {
		_ = pt.pub.AddCandidate(c)
	}
}

func (pt *participant) close() {
	select {
	case <-pt.stop:
		return
	default:
		close(pt.stop)
	}
	_ = pt.transport.SendMessage(pt.sig.SignalLeaveRequest(&livekit.LeaveRequest{Reason: livekit.DisconnectReason_CLIENT_INITIATED}))
	pt.transport.Close()
	if pt.pub != nil {
		pt.peer.Close() // the extra subscriber peer is ours; the publisher belongs to the scenario
	}
}

// SignalProcessor: the few callbacks the benchmark needs.

func (pt *participant) OnJoinResponse(j *livekit.JoinResponse) error {
	pt.mu.Lock()
	pt.ping = time.Duration(j.PingInterval) * time.Second
	pt.mu.Unlock()
	return nil
}
func (pt *participant) OnReconnectResponse(*livekit.ReconnectResponse) error { return nil }
func (pt *participant) OnAnswer(sd webrtc.SessionDescription, _ uint32, _ map[string]string) {
	pt.answers <- sd
}

func (pt *participant) OnOffer(sd webrtc.SessionDescription, id uint32, _ map[string]string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		answer, err := pt.peer.Answer(ctx, sd.SDP)
		if err != nil {
			pt.errs <- fmt.Errorf("livekit: answer: %w", err)
			return
		}
		if err := pt.transport.SendMessage(pt.sig.SignalSdpAnswer(protosignalling.ToProtoSessionDescription(
			webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}, id, nil))); err != nil {
			pt.errs <- err
			return
		}
		if strings.Contains(sd.SDP, "m=video") {
			pt.videoOnce.Do(func() { close(pt.gotVideo) })
		}
	}()
}

func (pt *participant) OnTrickle(c webrtc.ICECandidateInit, target livekit.SignalTarget) {
	if target == livekit.SignalTarget_PUBLISHER {
		pt.mu.Lock()
		if !pt.ready {
			pt.pending = append(pt.pending, c)
			pt.mu.Unlock()
			return
		}
		pt.mu.Unlock()
		if pt.pub != nil {
			_ = pt.pub.AddCandidate(c)
		}
		return
	}
	_ = pt.peer.AddCandidate(c)
}

func (pt *participant) OnLocalTrackPublished(*livekit.TrackPublishedResponse) {
	pt.published <- struct{}{}
}
func (pt *participant) OnParticipantUpdate([]*livekit.ParticipantInfo)             {}
func (pt *participant) OnLocalTrackUnpublished(*livekit.TrackUnpublishedResponse)  {}
func (pt *participant) OnSpeakersChanged([]*livekit.SpeakerInfo)                   {}
func (pt *participant) OnConnectionQuality([]*livekit.ConnectionQualityInfo)       {}
func (pt *participant) OnRoomUpdate(*livekit.Room)                                 {}
func (pt *participant) OnRoomMoved(*livekit.RoomMovedResponse)                     {}
func (pt *participant) OnTrackRemoteMuted(*livekit.MuteTrackRequest)               {}
func (pt *participant) OnTokenRefresh(string)                                      {}
func (pt *participant) OnLeave(*livekit.LeaveRequest)                              {}
func (pt *participant) OnLocalTrackSubscribed(*livekit.TrackSubscribed)            {}
func (pt *participant) OnSubscribedQualityUpdate(*livekit.SubscribedQualityUpdate) {}
func (pt *participant) OnSubscribedAudioCodecUpdate(*livekit.SubscribedAudioCodecUpdate) {
}
func (pt *participant) OnMediaSectionsRequirement(*livekit.MediaSectionsRequirement) {}

// SignalTransportHandler.
func (pt *participant) OnTransportClose() {}
