package e2e

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gorento/gorento/internal/config"
	"github.com/gorento/gorento/internal/testnet/impair"
)

// smallCamera makes a 640×480@30 moving test pattern (2 s, ~27 MB): enough
// packets per second to reach a sequence number wrap within seconds.
func smallCamera(t *testing.T) string {
	t.Helper()
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffmpeg is missing (scripts/ensure-deps.sh installs it)")
		}
		t.Skip("ffmpeg is missing")
	}
	path := filepath.Join(t.TempDir(), "camera-480p30.y4m")
	out, err := exec.Command(ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30:duration=2",
		"-filter_complex", "[0]noise=alls=6:allf=t,split[a][b];[b]reverse[r];[a][r]concat=n=2:v=1",
		"-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

// TestChromiumFastPath: Chromium decodes what the egress's fast path sends
// (its own SRTP, batched sends) with both SRTP profiles, while its link
// from the server loses 3 % of the packets (so it NACKs and the server
// resends from the source's history, as RTX) and across a rollover-counter wrap
// (the server's streams start at sequence number 65400).
func TestChromiumFastPath(t *testing.T) {
	requireBrowser(t)
	if !impair.LoopbackOnly() {
		t.Skip("browser tests run inside scripts/netns-run.sh")
	}
	cam := smallCamera(t)
	for _, profile := range []string{"AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"} {
		t.Run(profile, func(t *testing.T) {
			start := uint16(65400)
			a, addr := startGorento(t, func(c *config.Config) {
				c.WebRTC.SRTPProfiles = []string{profile}
				c.WebRTC.TestInitialSeq = &start
			})
			r, err := impair.StartRelay(impair.RelayOptions{Down: impair.Profile{Loss: 0.03, Seed: 7}})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ice, _ := json.Marshal([]impair.ICEServer{r.ICEServer()})
			page := "http://" + addr + "/loopback-stats/?ice_transport_policy=relay&ice_servers=" + url.QueryEscape(string(ice))
			d := startDriver(t, "egress-check.mjs", page, cam)
			type sample struct {
				State, Errors any
				Browser       struct {
					FramesDecoded, PacketsReceived, PacketsLost, NackCount, FreezeCount, FrameWidth, RetransmittedPacketsReceived int
					TotalFreezesDuration                                                                                          float64
				}
				Server   struct{ PacketsSent, NackCount int }
				ServerIn struct{ PacketsReceived, PacketsLost, NackCount int }
			}
			var run struct {
				Phase         string
				Error         string
				First, Second sample
				PageErrors    []string
			}
			d.next(t, &run)
			if run.Phase != "running" {
				t.Fatalf("driver: %s %s", run.Phase, run.Error)
			}
			a1, b := run.First.Browser, run.Second.Browser
			t.Logf("%s: browser %+v → %+v; server %+v; server in %+v → %+v", profile, a1, b, run.Second.Server, run.First.ServerIn, run.Second.ServerIn)
			if b.FramesDecoded <= a1.FramesDecoded+100 || b.FrameWidth == 0 {
				t.Errorf("Chromium stopped decoding: %d → %d frames in up to 60 s", a1.FramesDecoded, b.FramesDecoded)
			}
			// Past the wrap: more than the 136 packets from 65400 to 65535.
			if run.Second.Server.PacketsSent < 300 {
				t.Errorf("only %d packets sent: the wrap was not reached", run.Second.Server.PacketsSent)
			}
			if b.NackCount == 0 || run.Second.Server.NackCount == 0 {
				t.Errorf("no NACK through a lossy link: browser sent %d, server got %d", b.NackCount, run.Second.Server.NackCount)
			}
			// Repairs come as RTX (negotiated, issue 15.4): Chromium counts the
			// loss on the media stream and the repairs on the RTX stream.
			if b.RetransmittedPacketsReceived == 0 {
				t.Errorf("no retransmission received as RTX (%d lost)", b.PacketsLost)
			}
			if lost := b.PacketsLost - b.RetransmittedPacketsReceived; lost > b.PacketsReceived/50 {
				t.Errorf("%d of %d packets lost after repair (%d lost, %d RTX)", lost, b.PacketsReceived, b.PacketsLost, b.RetransmittedPacketsReceived)
			}
			if st := a.KMS.WebRTCEngine().EgressStats(); st.FastPath == 0 {
				t.Error("the endpoint is not on the fast path")
			}
			d.send(t, "stop")
			d.next(t, nil)
		})
	}
}
