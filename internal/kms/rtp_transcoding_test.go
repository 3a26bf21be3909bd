package kms_test

import (
	"context"
	"fmt"
	"image"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// RtpEndpoint transcoding, the classic Kurento SIP/RTP cases: the RTP side
// negotiates its own codecs (H.264, PCMU) and the WebRTC side VP8 and Opus
// only; the pipeline's worker transcodes both ways and what arrives is
// decoded (pixels, spectrum).

// transcodingStates records an element's MediaTranscodingStateChanged.
type transcodingStates struct {
	mu   sync.Mutex
	list []wire.MediaTranscodingStateChanged
}

func watchTranscoding(t *testing.T, ctx context.Context, e *kurento.MediaElement) *transcodingStates {
	t.Helper()
	s := &transcodingStates{}
	if _, err := e.OnMediaTranscodingStateChanged(ctx, func(ev wire.MediaTranscodingStateChanged) {
		s.mu.Lock()
		s.list = append(s.list, ev)
		s.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// waitTranscoding waits for TRANSCODING of both media types.
func (s *transcodingStates) waitTranscoding(t *testing.T) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, "MediaTranscodingStateChanged TRANSCODING for AUDIO and VIDEO", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		seen := map[string]bool{}
		for _, ev := range s.list {
			if ev.State == wire.Transcoding && ev.BinName == "default" {
				seen[ev.MediaType] = true
			}
		}
		return seen[wire.MediaAudio] && seen[wire.MediaVideo]
	})
}

// checkTone checks that 440 Hz dominates decoded audio (1 kHz absent).
func checkTone(t *testing.T, pcm []float64, rate float64) {
	t.Helper()
	if len(pcm) < int(rate) {
		t.Fatalf("only %d samples decoded", len(pcm))
	}
	l := processtest.Spectrum(pcm[len(pcm)/2:], rate, 440, 1000)
	if l[0] < 0.03 || l[1] > l[0]/10 {
		t.Fatalf("440 Hz at %.3f, 1 kHz at %.3f", l[0], l[1])
	}
	t.Logf("440 Hz at %.3f, 1 kHz at %.3f", l[0], l[1])
}

// TestRtpEndpointTranscodesToBrowser: ffmpeg sends H.264 and PCMU to an
// RtpEndpoint (the answer to a c=0.0.0.0 offer); the browser behind the
// WebRtcEndpoint negotiated VP8 and Opus only. It decodes the red picture
// and hears the tone; the RtpEndpoint reports the transcoding.
func TestRtpEndpointTranscodesToBrowser(t *testing.T) {
	leakCheck(t)
	s, w := processingServer(t)
	call := newRtpCall(t, s, kurento.RtpEndpointOptions{})
	states := watchTranscoding(t, call.ctx, &call.rtp.MediaElement)
	if err := call.rtp.Connect(call.ctx, call.web, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	offer := "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=ffmpeg\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
		"m=audio 5006 RTP/AVP 0\r\na=sendonly\r\n" +
		"m=video 5004 RTP/AVP 103\r\na=rtpmap:103 H264/90000\r\na=fmtp:103 packetization-mode=1;profile-level-id=42e01f\r\na=sendonly\r\n"
	answer, err := call.rtp.ProcessOffer(call.ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(answer, "m=audio ") || !strings.Contains(answer, " RTP/AVP 0\r\n") || !strings.Contains(answer, "a=rtpmap:103 H264/90000") {
		t.Fatalf("answer does not take the sender's codecs:\n%s", answer)
	}
	peer := newPeer(t, testpeer.Options{RecvVideo: true, RecvAudio: true, KeepPackets: true})
	connectPeer(t, call.ctx, call.web, peer, nil)
	vp, ap := sdpPort(t, answer, "video"), sdpPort(t, answer, "audio")
	wait := ffmpegSendsRed(t, vp, ap, "sine=frequency=440:sample_rate=8000:duration=5,volume=2", "-c:a pcm_mulaw -ar 8000 -ac 1")
	states.waitTranscoding(t)
	for _, mt := range []string{wire.MediaAudio, wire.MediaVideo} {
		if on, err := call.rtp.IsMediaTranscoding(call.ctx, mt, ""); err != nil || !on {
			t.Fatalf("isMediaTranscoding(%s) = %v, %v", mt, on, err)
		}
	}
	if err := wait(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 15*time.Second, "VP8 and Opus at the browser", func() bool {
		return len(peer.VideoReceived()) > 60 && len(peer.AudioReceived()) > 100
	})
	time.Sleep(300 * time.Millisecond) // the last packets in flight
	if v, a := peer.Received(webrtc.RTPCodecTypeVideo).Mime, peer.Received(webrtc.RTPCodecTypeAudio).Mime; v != webrtc.MimeTypeVP8 || a != webrtc.MimeTypeOpus {
		t.Fatalf("browser receives %s and %s", v, a)
	}
	frames := processtest.DecodeRTP(t, peer.VideoReceived(), processtest.VP8Caps, "rtpvp8depay wait-for-keyframe=true ! vp8dec", 320, 240)
	if len(frames) < 60 { // of 150 sent; the transcoder starts at the first keyframe
		t.Fatalf("only %d frames decoded", len(frames))
	}
	if got := processtest.Fraction(frames[len(frames)-1], 320, image.Rect(0, 0, 320, 240), redFrame); got < 0.9 {
		t.Fatalf("only %.0f%% red pixels in the last of %d frames", 100*got, len(frames))
	}
	t.Logf("%d VP8 frames decoded at the browser", len(frames))
	checkTone(t, processtest.DecodeAudio(t, peer.AudioReceived(), processtest.OpusCaps, "rtpopusdepay ! opusdec", 48000), 48000)
	if n, _ := w.encoders(process.ProcTranscode); n != 2 {
		t.Fatalf("%d transcoders in the worker, want 2 (audio, video)", n)
	}
}

// TestRtpEndpointTranscodesFromBrowser is the reverse: a browser publishes
// VP8 and Opus; the RtpEndpoint's offer (generateOffer) is answered with
// H.264 and PCMU only. gst-launch-1.0 decodes the blue picture, a socket
// receives PCMU with the tone; the WebRtcEndpoint reports the transcoding.
func TestRtpEndpointTranscodesFromBrowser(t *testing.T) {
	leakCheck(t)
	s, _ := processingServer(t)
	call := newRtpCall(t, s, kurento.RtpEndpointOptions{})
	states := watchTranscoding(t, call.ctx, &call.web.MediaElement)
	if err := call.web.Connect(call.ctx, call.rtp, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	peer := newPeer(t, testpeer.Options{SendVideo: true, SendAudio: true, VideoFPS: 30,
		VideoRTP: processtest.SolidVP8(t, 0x0000ff, 320, 240, 30, 30), AudioRTP: processtest.ToneOpus(t, 440, 1000)})
	connectPeer(t, call.ctx, call.web, peer, nil)
	peer.StartMedia()
	if _, err := call.rtp.GenerateOffer(call.ctx); err != nil {
		t.Fatal(err)
	}
	audio, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer audio.Close()
	videoPort := freeUDPPort(t)
	receiver := gstReceivesRGB(t, videoPort, "application/x-rtp,"+processtest.H264Caps+",payload=103", "rtph264depay ! avdec_h264")
	answer := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=gw\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		fmt.Sprintf("m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=recvonly\r\n", audio.LocalAddr().(*net.UDPAddr).Port) +
		fmt.Sprintf("m=video %d RTP/AVP 103\r\na=rtpmap:103 H264/90000\r\na=fmtp:103 packetization-mode=1;profile-level-id=42e01f\r\na=recvonly\r\n", videoPort)
	if _, err := call.rtp.ProcessAnswer(call.ctx, answer); err != nil {
		t.Fatal(err)
	}
	states.waitTranscoding(t)
	var pkts [][]byte
	_ = audio.SetReadDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 1500)
	for len(pkts) < 100 { // 2 s of 20 ms packets
		n, _, err := audio.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("after %d audio packets: %v", len(pkts), err)
		}
		var p rtp.Packet
		if n < 2 || (buf[1] >= 192 && buf[1] <= 223) || p.Unmarshal(buf[:n]) != nil {
			continue // RTCP
		}
		if p.PayloadType != 0 {
			t.Fatalf("audio payload type %d, want 0 (PCMU)", p.PayloadType)
		}
		pkts = append(pkts, append([]byte(nil), buf[:n]...))
	}
	checkTone(t, processtest.DecodeAudio(t, pkts, processtest.PCMUCaps, "rtppcmudepay ! mulawdec", 8000), 8000)
	receiver.check(t, 25, processtest.Near(0x0000ff, 60))
}
