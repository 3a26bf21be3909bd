package e2e

import (
	"encoding/json"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/testnet/impair"
)

// loopbackAnswerer is a Pion peer that gathers 127.0.0.1 host candidates only.
func loopbackAnswerer(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	var s webrtc.SettingEngine
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithSettingEngine(s)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// The impaired-link harness's browser check: headless Chromium with
// iceTransportPolicy "relay" connects through a lossy, delayed
// impair.Relay to a Pion peer on loopback, and its RTP crosses the relay.
func TestChromiumThroughRelay(t *testing.T) {
	requireBrowser(t)
	if !impair.LoopbackOnly() {
		t.Skip("browser tests run inside scripts/netns-run.sh")
	}
	r, err := impair.StartRelay(impair.RelayOptions{
		// Seed 2 loses the uplink's packets 28, 32 and 37 (then 2 % at
		// random): a random seed lost none of ~135 packets in 6.5 % of runs.
		Up:   impair.Profile{Loss: 0.02, Delay: 20 * time.Millisecond, Seed: 2},
		Down: impair.Profile{Loss: 0.02, Delay: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg, _ := json.Marshal(map[string]any{"iceServers": []impair.ICEServer{r.ICEServer()}, "iceTransportPolicy": "relay"})
	d := startDriver(t, "relay-check.mjs", string(cfg))
	var offer struct {
		SDP            string
		CandidateTypes []string
	}
	d.next(t, &offer)
	for _, typ := range offer.CandidateTypes {
		if typ != "relay" {
			t.Errorf("page gathered a %q candidate with iceTransportPolicy relay", typ)
		}
	}

	pc := loopbackAnswerer(t)
	var rtpPackets atomic.Int64
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			rtpPackets.Add(1)
		}
	})
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer.SDP}); err != nil {
		t.Fatal(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	msg, _ := json.Marshal(map[string]string{"sdp": pc.LocalDescription().SDP})
	d.send(t, string(msg))
	var res struct {
		State       string
		PacketsSent int
		Local       struct {
			Type, Address string
			Port          int
		}
	}
	d.next(t, &res)
	st := r.Stats()
	t.Logf("page: %+v; pion got %d RTP packets; relay: %+v", res, rtpPackets.Load(), st)
	if res.State != "connected" || res.Local.Type != "relay" || res.Local.Address != "127.0.0.1" {
		t.Errorf("page state %q, local candidate %+v: want connected over a 127.0.0.1 relay candidate", res.State, res.Local)
	}
	if rtpPackets.Load() < 20 || st.Up.Packets < uint64(rtpPackets.Load()) || st.Allocations < 1 {
		t.Errorf("pion got %d RTP packets, relay saw %+v: media did not cross the relay", rtpPackets.Load(), st)
	}
	if st.Up.Dropped == 0 && st.Down.Dropped == 0 {
		t.Error("the relay dropped nothing at 2 % loss")
	}
}
