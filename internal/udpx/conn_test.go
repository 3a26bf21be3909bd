package udpx

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
)

func loopbackSettings() webrtc.SettingEngine {
	s := webrtc.SettingEngine{}
	s.SetInterfaceFilter(func(name string) bool { return name == "lo" })
	s.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	s.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	s.SetIncludeLoopbackCandidate(true)
	s.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return s
}

// Pion's ICE UDP mux runs on a Conn unchanged: two peer connections, one
// on the mux, connect (STUN, DTLS, SCTP through the Conn) and exchange
// data-channel messages both ways.
func TestPionUDPMuxOnConn(t *testing.T) {
	c := listen(t, "udp4", "127.0.0.1:0", Options{})
	mux := webrtc.NewICEUDPMux(nil, c)
	defer mux.Close()

	se := loopbackSettings()
	se.SetICEUDPMux(mux)
	server, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	client, err := webrtc.NewAPI(webrtc.WithSettingEngine(loopbackSettings())).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	got := make(chan string, 2)
	server.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			got <- "server got " + string(m.Data)
			_ = dc.SendText("pong")
		})
	})
	dc, err := client.CreateDataChannel("x", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnOpen(func() { _ = dc.SendText("ping") })
	dc.OnMessage(func(m webrtc.DataChannelMessage) { got <- "client got " + string(m.Data) })

	offer, err := client.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(client)
	if err := client.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := server.SetRemoteDescription(*client.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	answer, err := server.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(server)
	if err := server.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	if err := client.SetRemoteDescription(*server.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server got ping", "client got pong"} {
		select {
		case m := <-got:
			if m != want {
				t.Fatalf("got %q, want %q", m, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("timed out waiting for %q", want)
		}
	}
	st := c.Stats()
	if st.DatagramsRead == 0 || st.WriteCalls == 0 {
		t.Errorf("the mux did not go through the Conn: %+v", st)
	}
}

// TestWatchSends: a watch sees single writes to its address until it says
// it is done, or is cancelled; batches and other addresses are not seen.
func TestWatchSends(t *testing.T) {
	a, err := Listen("udp4", "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	rx, err := Listen("udp4", "127.0.0.1:0", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	to := rx.LocalAddrPort()
	var seen []string
	a.WatchSends(to, func(b []byte) bool {
		seen = append(seen, string(b))
		return string(b) == "stop"
	})
	for _, m := range []string{"one", "stop", "after"} {
		if _, err := a.WriteToAddrPort([]byte(m), to); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 2 || seen[1] != "stop" {
		t.Errorf("watch saw %q", seen)
	}
	seen = nil
	cancel := a.WatchSends(to, func(b []byte) bool { seen = append(seen, string(b)); return false })
	other := netip.MustParseAddrPort("127.0.0.1:9")
	_, _ = a.WriteToAddrPort([]byte("elsewhere"), other)
	cancel()
	_, _ = a.WriteToAddrPort([]byte("cancelled"), to)
	if len(seen) != 0 {
		t.Errorf("watch saw %q", seen)
	}
}
