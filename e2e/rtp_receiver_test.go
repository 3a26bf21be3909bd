package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestRtpReceiverDemo: Chromium runs the rtp-receiver demo with SRTP; the
// gst-launch-1.0 sender it describes (SRTP VP8 + Opus to the RtpEndpoint's
// answer) is started here, and the page's video plays it.
func TestRtpReceiverDemo(t *testing.T) {
	requireBrowser(t)
	if _, err := exec.LookPath("gst-launch-1.0"); err != nil {
		t.Skip("gst-launch-1.0 not installed")
	}
	_, addr := startGorento(t, nil)
	d := startDriver(t, "rtp-receiver.mjs", "http://"+addr, outDir(t))
	var cmd struct {
		Host                 string
		VideoPort, AudioPort int
		Key, Text            string
	}
	d.next(t, &cmd)
	if cmd.Host != "127.0.0.1" || cmd.VideoPort == 0 || cmd.AudioPort == 0 || len(cmd.Key) != 60 || !strings.Contains(cmd.Text, "srtpenc") {
		t.Fatalf("sender command: %+v", cmd)
	}
	srtp := func(ssrc int) string {
		return fmt.Sprintf("ssrc=%d ! srtpenc key=%s rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80", ssrc, cmd.Key)
	}
	sender := exec.Command("gst-launch-1.0", strings.Fields(fmt.Sprintf(
		"-q videotestsrc is-live=true num-buffers=600 ! video/x-raw,width=320,height=240,framerate=30/1 ! vp8enc deadline=1 keyframe-max-dist=30 ! "+
			"rtpvp8pay pt=96 %s ! udpsink host=%s port=%d "+
			"audiotestsrc is-live=true num-buffers=1000 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=111 %s ! udpsink host=%s port=%d",
		srtp(112233), cmd.Host, cmd.VideoPort, srtp(445566), cmd.Host, cmd.AudioPort))...)
	if err := sender.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = sender.Process.Kill()
		_ = sender.Wait()
	})
	var res struct {
		Frames, Width int
		Status, Error string
	}
	d.next(t, &res)
	if res.Frames <= 30 || res.Width != 320 || res.Error != "" || res.Status != "Receiving RTP." {
		t.Fatalf("page: %+v", res)
	}
	t.Logf("the page decoded %d frames of the SRTP stream (%s)", res.Frames, res.Status)
}
