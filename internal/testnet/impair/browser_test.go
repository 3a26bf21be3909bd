package impair

import (
	"bufio"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

// requireChromium skips without Chromium, node or playwright-core, except in
// CI (CI=true), where a missing prerequisite fails.
func requireChromium(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "../../..")
	for _, p := range []string{"/usr/bin/chromium", filepath.Join(root, "js/node_modules/playwright-core")} {
		if _, err := os.Stat(p); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("browser prerequisite missing: %s (run ./dev test)", p)
			}
			t.Skipf("browser prerequisite missing: %s (run ./dev test)", p)
		}
	}
	if !LoopbackOnly() {
		t.Skip("browser tests run inside scripts/netns-run.sh")
	}
	return root
}

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

// Headless Chromium with iceTransportPolicy "relay" connects through a lossy,
// delayed Relay to a Pion peer on loopback, and its RTP crosses the relay.
func TestChromiumThroughRelay(t *testing.T) {
	root := requireChromium(t)
	r, err := StartRelay(RelayOptions{
		Up:   Profile{Loss: 0.02, Delay: 20 * time.Millisecond},
		Down: Profile{Loss: 0.02, Delay: 20 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg, _ := json.Marshal(map[string]any{"iceServers": []ICEServer{r.ICEServer()}, "iceTransportPolicy": "relay"})
	cmd := exec.Command("node", filepath.Join(root, "js/e2e/relay-check.mjs"), string(cfg))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}()
	lines := bufio.NewScanner(stdout)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	next := func(v any) {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("driver ended: %v", lines.Err())
		}
		var phase struct{ Phase, Error string }
		_ = json.Unmarshal(lines.Bytes(), &phase)
		if phase.Phase == "error" {
			t.Fatalf("driver: %s", phase.Error)
		}
		if err := json.Unmarshal(lines.Bytes(), v); err != nil {
			t.Fatal(err)
		}
	}
	var offer struct {
		SDP            string
		CandidateTypes []string
	}
	next(&offer)
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
	if _, err := stdin.Write(append(msg, '\n')); err != nil {
		t.Fatal(err)
	}
	var res struct {
		State       string
		PacketsSent int
		Local       struct {
			Type, Address string
			Port          int
		}
	}
	next(&res)
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
