// Package floor is the benchmark's bare Pion floor: the smallest server
// that does the same job with stock Pion — a reflect (echo) handler that
// reads each incoming track and writes it back, and a broadcast room where
// one TrackLocalStaticRTP per kind is shared by all subscribers — with
// Pion's default interceptors and a periodic PLI, as Pion's examples do.
// It runs as its own process (`gorento-bench floor`) so its CPU can be
// measured and pinned like any other server.
package floor

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/intervalpli"
	"github.com/pion/webrtc/v4"
)

// Server serves /echo, /publish/{room} and /subscribe/{room}: each takes an
// SDP offer as the request body and returns the answer (non-trickle).
type Server struct {
	api   *webrtc.API
	mu    sync.Mutex
	rooms map[string]*room
	pcs   []*webrtc.PeerConnection
}

type room struct {
	audio, video *webrtc.TrackLocalStaticRTP
}

// New builds the floor with the given SRTP profile ("cm", "gcm" or "").
func New(srtp string) (*Server, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, ir); err != nil {
		return nil, err
	}
	pli, err := intervalpli.NewReceiverInterceptor()
	if err != nil {
		return nil, err
	}
	ir.Add(pli)
	se := webrtc.SettingEngine{}
	se.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	switch srtp {
	case "cm":
		se.SetSRTPProtectionProfiles(dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	case "gcm":
		se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM)
	}
	return &Server{api: webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(ir), webrtc.WithSettingEngine(se)),
		rooms: map[string]*room{}}, nil
}

// ServeHTTP routes the three handlers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	offer, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var answer string
	switch {
	case r.URL.Path == "/echo":
		answer, err = s.echo(string(offer))
	case strings.HasPrefix(r.URL.Path, "/publish/"):
		answer, err = s.publish(strings.TrimPrefix(r.URL.Path, "/publish/"), string(offer))
	case strings.HasPrefix(r.URL.Path, "/subscribe/"):
		answer, err = s.subscribe(strings.TrimPrefix(r.URL.Path, "/subscribe/"), string(offer))
	case r.URL.Path == "/close":
		s.closeAll()
	default:
		http.NotFound(w, r)
		return
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]string{"sdp": answer})
}

func (s *Server) newPC() (*webrtc.PeerConnection, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.pcs = append(s.pcs, pc)
	s.mu.Unlock()
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			_ = pc.Close()
		}
	})
	return pc, nil
}

func answer(pc *webrtc.PeerConnection) (string, error) {
	a, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", err
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(a); err != nil {
		return "", err
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		return "", errors.New("gathering timed out")
	}
	return pc.LocalDescription().SDP, nil
}

// echo is Pion's reflect example: every incoming track is written back.
func (s *Server) echo(offer string) (string, error) {
	pc, err := s.newPC()
	if err != nil {
		return "", err
	}
	out := map[webrtc.RTPCodecType]*webrtc.TrackLocalStaticRTP{}
	for _, kind := range []struct {
		k    webrtc.RTPCodecType
		mime string
	}{{webrtc.RTPCodecTypeAudio, webrtc.MimeTypeOpus}, {webrtc.RTPCodecTypeVideo, webrtc.MimeTypeVP8}} {
		t, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: kind.mime}, kind.k.String(), "floor")
		if err != nil {
			return "", err
		}
		sender, err := pc.AddTrack(t)
		if err != nil {
			return "", err
		}
		go drainRTCP(sender)
		out[kind.k] = t
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) { forward(tr, out[tr.Kind()]) })
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	return answer(pc)
}

func forward(tr *webrtc.TrackRemote, out *webrtc.TrackLocalStaticRTP) {
	if out == nil {
		return
	}
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		if err := out.WriteRTP(pkt); err != nil && !errors.Is(err, io.ErrClosedPipe) {
			return
		}
	}
}

func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}

func (s *Server) room(name string) *room {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rooms[name]
	if r == nil {
		a, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus}, "audio", "floor")
		v, _ := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8}, "video", "floor")
		r = &room{audio: a, video: v}
		s.rooms[name] = r
	}
	return r
}

// publish is Pion's broadcast example: the publisher's tracks feed the
// room's shared local tracks.
func (s *Server) publish(name, offer string) (string, error) {
	r := s.room(name)
	pc, err := s.newPC()
	if err != nil {
		return "", err
	}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			return "", err
		}
	}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		out := r.audio
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			out = r.video
		}
		forward(tr, out)
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	return answer(pc)
}

// subscribe adds the room's shared tracks to a new connection.
func (s *Server) subscribe(name, offer string) (string, error) {
	r := s.room(name)
	pc, err := s.newPC()
	if err != nil {
		return "", err
	}
	for _, t := range []*webrtc.TrackLocalStaticRTP{r.audio, r.video} {
		sender, err := pc.AddTrack(t)
		if err != nil {
			return "", err
		}
		go drainRTCP(sender)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		return "", err
	}
	return answer(pc)
}

func (s *Server) closeAll() {
	s.mu.Lock()
	pcs := s.pcs
	s.pcs = nil
	s.rooms = map[string]*room{}
	s.mu.Unlock()
	for _, pc := range pcs {
		_ = pc.Close()
	}
}
