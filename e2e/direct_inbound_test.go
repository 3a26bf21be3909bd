package e2e

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/testnet/impair"
)

// TestChromiumDirectInbound: with webrtc.directInbound, the server reads
// what Chromium publishes from the UDP port itself (its own SRTP unprotect,
// with both SRTP profiles) while the uplink loses 3 % (the server's own NACK
// generator asks, Chromium repairs with RTX, which the direct path unwraps),
// and Chromium keeps decoding the loopback (transport-cc feedback and
// receiver reports are the server's own as well).
func TestChromiumDirectInbound(t *testing.T) {
	requireBrowser(t)
	if !impair.LoopbackOnly() {
		t.Skip("browser tests run inside scripts/netns-run.sh")
	}
	cam := smallCamera(t)
	for _, profile := range []string{"AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"} {
		t.Run(profile, func(t *testing.T) {
			a, addr := startGorento(t, func(c *config.Config) {
				c.WebRTC.SRTPProfiles = []string{profile}
				c.WebRTC.DirectInbound = true
			})
			r, err := impair.StartRelay(impair.RelayOptions{Up: impair.Profile{Loss: 0.03, Seed: 3}, Down: impair.Profile{Loss: 0.03, Seed: 7}})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ice, _ := json.Marshal([]impair.ICEServer{r.ICEServer()})
			page := "http://" + addr + "/loopback-stats/?ice_transport_policy=relay&ice_servers=" + url.QueryEscape(string(ice))
			d := startDriver(t, "egress-check.mjs", page, cam)
			type sample struct {
				Browser struct {
					FramesDecoded, PacketsReceived, FrameWidth int
				}
				ServerIn struct{ PacketsReceived, PacketsLost, NackCount int }
			}
			var run struct {
				Phase, Error  string
				First, Second sample
			}
			d.next(t, &run)
			if run.Phase != "running" {
				t.Fatalf("driver: %s %s", run.Phase, run.Error)
			}
			a1, b := run.First.Browser, run.Second.Browser
			t.Logf("%s: browser %+v → %+v; server in %+v", profile, a1, b, run.Second.ServerIn)
			if b.FramesDecoded <= a1.FramesDecoded+100 || b.FrameWidth == 0 {
				t.Errorf("Chromium stopped decoding: %d → %d frames", a1.FramesDecoded, b.FramesDecoded)
			}
			var takenDatagrams uint64
			st := a.KMS.WebRTCEngine().EgressStats()
			for _, s := range st.Sockets {
				takenDatagrams += s.DatagramsTaken
			}
			if st.FastPath == 0 || takenDatagrams < uint64(run.Second.ServerIn.PacketsReceived)/2 {
				t.Errorf("direct path: fast path %d, %d datagrams taken of %d packets received", st.FastPath, takenDatagrams, run.Second.ServerIn.PacketsReceived)
			}
			if in := run.Second.ServerIn; in.NackCount == 0 {
				t.Errorf("the server sent no NACK through a lossy uplink: %+v", in)
			}
			d.send(t, "stop")
			d.next(t, nil)
		})
	}
}
