package kms_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/kms"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/media/rtpep"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// RtpEndpoint against real plain-RTP peers: gst-launch-1.0 sends and
// receives per the endpoint's SDP, a Pion peer plays the browser on the
// WebRtcEndpoint side, and what crosses is decoded and its pixels checked.

// gst runs gst-launch-1.0 until it exits or the test ends; wait returns
// its error.
func gst(t *testing.T, pipeline string) (wait func(timeout time.Duration) error) {
	t.Helper()
	return run(t, "gst-launch-1.0", append([]string{"-q"}, processtest.SplitArgs(pipeline)...)...)
}

// run runs a media tool until it exits or the test ends.
func run(t *testing.T, tool string, args ...string) (wait func(timeout time.Duration) error) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (scripts/ensure-deps.sh installs it)", tool)
		}
		t.Skipf("%s not installed", tool)
	}
	cmd := exec.Command(tool, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	return func(timeout time.Duration) error {
		select {
		case <-done:
			if waitErr != nil {
				return fmt.Errorf("%s: %v\n%s", tool, waitErr, out.String())
			}
			return nil
		case <-time.After(timeout):
			return fmt.Errorf("%s still running after %v", tool, timeout)
		}
	}
}

var mLine = regexp.MustCompile(`(?m)^m=(audio|video) (\d+) `)

// sdpPort returns the port of the kind's m-line.
func sdpPort(t *testing.T, sdp, kind string) int {
	t.Helper()
	for _, m := range mLine.FindAllStringSubmatch(sdp, -1) {
		if m[1] == kind {
			p, _ := strconv.Atoi(m[2])
			return p
		}
	}
	t.Fatalf("no %s m-line in\n%s", kind, sdp)
	return 0
}

var ssrcLine = regexp.MustCompile(`a=ssrc:(\d+) `)

func redFrame(r, g, b uint8) bool { return r > 180 && g < 80 && b < 80 }

// ffmpegSendsRed runs ffmpeg sending 5 s of a red 320x240 picture as H.264
// (payload type 103, a keyframe every 15 frames) to videoPort and of a
// 440 Hz tone to audioPort: sine is the tone's lavfi source, codec the
// audio encoder's options.
func ffmpegSendsRed(t *testing.T, videoPort, audioPort int, sine, codec string) (wait func(timeout time.Duration) error) {
	t.Helper()
	return run(t, "ffmpeg", processtest.SplitArgs(fmt.Sprintf("-nostdin -loglevel error -re -f lavfi -i color=c=red:size=320x240:rate=30:duration=5 "+
		"-f lavfi -i %s -map 0:v -c:v libx264 -profile:v baseline -pix_fmt yuv420p "+
		"-tune zerolatency -g 15 -payload_type 103 -f rtp rtp://127.0.0.1:%d?pkt_size=1200 -map 1:a %s "+
		"-f rtp rtp://127.0.0.1:%d", sine, videoPort, codec, audioPort))...)
}

// rgbReceiver is a plain-RTP receiver process (gst-launch-1.0 or ffmpeg)
// that decodes video into a file of 320x240 RGB frames.
type rgbReceiver struct {
	tool, out string
	wait      func(timeout time.Duration) error
}

// gstReceivesRGB starts gst-launch-1.0 receiving RTP on port (caps may end
// in " ! srtpdec"), decoding it with decode and writing 30 frames to a
// file, once gst-launch has bound the port.
func gstReceivesRGB(t *testing.T, port int, caps, decode string) rgbReceiver {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out.rgb")
	wait := gst(t, fmt.Sprintf("udpsrc address=127.0.0.1 port=%d caps=%s ! rtpjitterbuffer latency=100 ! %s ! "+
		"videoconvert ! videoscale ! video/x-raw,format=RGB,width=320,height=240 ! identity eos-after=30 ! filesink location=%s", port, caps, decode, out))
	waitUDPBound(t, port)
	return rgbReceiver{tool: "gst-launch-1.0", out: out, wait: wait}
}

// waitUDPBound waits until a process of this network namespace has bound
// UDP port (/proc/net/udp): a receiver started before the sender, however
// slowly it starts on a loaded machine.
func waitUDPBound(t *testing.T, port int) {
	t.Helper()
	local := fmt.Sprintf(":%04X ", port)
	testutil.Eventually(t, 20*time.Second, fmt.Sprintf("UDP port %d bound", port), func() bool {
		b, err := os.ReadFile("/proc/net/udp")
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if f := strings.Fields(line); len(f) > 1 && strings.HasSuffix(f[1]+" ", local) {
				return true
			}
		}
		return false
	})
}

// check waits for the receiver to end, then checks it decoded at least min
// frames and that the last is at least 90 % of the colour.
func (r rgbReceiver) check(t *testing.T, min int, colour func(r, g, b uint8) bool) {
	t.Helper()
	if err := r.wait(40 * time.Second); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(r.out)
	if err != nil {
		t.Fatal(err)
	}
	const size = 320 * 240 * 3
	if len(data) < min*size {
		t.Fatalf("%s decoded %d frames, want %d", r.tool, len(data)/size, min)
	}
	if got := processtest.Fraction(data[len(data)-size:], 320, image.Rect(0, 0, 320, 240), colour); got < 0.9 {
		t.Fatalf("only %.0f%% of the last frame %s decoded has the colour", 100*got, r.tool)
	}
}

// rtpCall is a pipeline with an RtpEndpoint and a WebRtcEndpoint.
type rtpCall struct {
	ctx  context.Context
	pipe *kurento.MediaPipeline
	rtp  *kurento.RtpEndpoint
	web  *kurento.WebRtcEndpoint
}

func newRtpCall(t *testing.T, s *server, opts kurento.RtpEndpointOptions) *rtpCall {
	t.Helper()
	ctx := context.Background()
	c := dial(t, s.URL)
	r := &rtpCall{ctx: ctx}
	var err error
	if r.pipe, err = c.CreatePipeline(ctx); err != nil {
		t.Fatal(err)
	}
	if r.rtp, err = r.pipe.CreateRtpEndpoint(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if r.web, err = r.pipe.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{}); err != nil {
		t.Fatal(err)
	}
	return r
}

func randomKey(t *testing.T) []byte {
	k := make([]byte, 30)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

const srtpGst = "rtp-cipher=aes-128-icm rtp-auth=hmac-sha1-80 rtcp-cipher=aes-128-icm rtcp-auth=hmac-sha1-80"

// TestRtpEndpointFromGstToBrowser is the rtp-receiver tutorial: a plain
// RTP sender (gst-launch-1.0, or ffmpeg) sends to the ports of the endpoint's answer
// to an offer with c=0.0.0.0, a WebRTC peer watches and decodes it.
func TestRtpEndpointFromGstToBrowser(t *testing.T) {
	leakCheck(t)
	key := randomKey(t)
	for _, tc := range []struct {
		name, mime, sdpVideo, gstVideo, caps, decode string
		crypto                                       bool
		gstKey                                       []byte // SRTP key the sender uses (nil: plain)
		wantNone                                     bool
		ffmpeg                                       bool // ffmpeg sends instead of gst-launch-1.0
	}{
		{name: "VP8+Opus", mime: webrtc.MimeTypeVP8, sdpVideo: "96\r\na=rtpmap:96 VP8/90000",
			gstVideo: "vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96 mtu=1200", caps: processtest.VP8Caps,
			decode: "rtpvp8depay wait-for-keyframe=true ! vp8dec"},
		// The tutorial's SDP: H.264 without a=fmtp, RTCP feedback lines.
		{name: "H264+Opus", mime: webrtc.MimeTypeH264, sdpVideo: "103\r\na=rtpmap:103 H264/90000\r\na=rtcp-fb:103 goog-remb\r\na=direction:active",
			gstVideo: "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=600 ! video/x-h264,profile=constrained-baseline ! rtph264pay pt=103 config-interval=-1 mtu=1200",
			caps:     "media=video,clock-rate=90000,encoding-name=H264", decode: "rtph264depay ! avdec_h264"},
		{name: "ffmpeg H264+Opus", mime: webrtc.MimeTypeH264, sdpVideo: "103\r\na=rtpmap:103 H264/90000\r\na=fmtp:103 packetization-mode=1;profile-level-id=42e01f",
			ffmpeg: true, caps: "media=video,clock-rate=90000,encoding-name=H264", decode: "rtph264depay ! avdec_h264"},
		{name: "VP8 SDES", mime: webrtc.MimeTypeVP8, sdpVideo: "96\r\na=rtpmap:96 VP8/90000", crypto: true, gstKey: key,
			gstVideo: "vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96 mtu=1200", caps: processtest.VP8Caps,
			decode: "rtpvp8depay wait-for-keyframe=true ! vp8dec"},
		{name: "VP8 SDES wrong key", mime: webrtc.MimeTypeVP8, sdpVideo: "96\r\na=rtpmap:96 VP8/90000", crypto: true,
			gstKey: randomKey(t), wantNone: true, gstVideo: "vp8enc deadline=1 keyframe-max-dist=15 ! rtpvp8pay pt=96 mtu=1200"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, loopbackConfig())
			opts := kurento.RtpEndpointOptions{}
			proto, crypto := "RTP/AVP", ""
			if tc.crypto {
				opts.Crypto = wire.SDES{Crypto: "AES_128_CM_HMAC_SHA1_80"}
				proto, crypto = "RTP/SAVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+base64.StdEncoding.EncodeToString(key)+"\r\n"
			}
			call := newRtpCall(t, s, opts)
			if err := call.rtp.Connect(call.ctx, call.web, kurento.ConnectOptions{}); err != nil {
				t.Fatal(err)
			}
			offer := "v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=gst\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
				"m=audio 5006 " + proto + " 111\r\na=rtpmap:111 opus/48000/2\r\na=sendonly\r\n" + crypto +
				"m=video 5004 " + proto + " " + tc.sdpVideo + "\r\na=sendonly\r\n" + crypto
			answer, err := call.rtp.ProcessOffer(call.ctx, offer)
			if err != nil {
				t.Fatal(err)
			}
			if tc.crypto && !strings.Contains(answer, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") {
				t.Fatalf("answer without our key:\n%s", answer)
			}
			peer := newPeer(t, testpeer.Options{RecvVideo: true, RecvAudio: true, KeepPackets: true, VideoMime: tc.mime})
			connectPeer(t, call.ctx, call.web, peer, nil)
			video := "videotestsrc pattern=red is-live=true num-buffers=150 ! video/x-raw,width=320,height=240,framerate=30/1 ! " + tc.gstVideo
			audio := "audiotestsrc is-live=true num-buffers=150 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=111"
			vp, ap := sdpPort(t, answer, "video"), sdpPort(t, answer, "audio")
			if tc.gstKey != nil {
				k := hex.EncodeToString(tc.gstKey)
				video += " ssrc=4242 ! srtpenc key=" + k + " " + srtpGst
				audio += " ssrc=4343 ! srtpenc key=" + k + " " + srtpGst
			}
			var wait func(time.Duration) error
			if tc.ffmpeg {
				wait = ffmpegSendsRed(t, vp, ap, "sine=frequency=440:sample_rate=48000:duration=5", "-c:a libopus -ac 2 -payload_type 111")
			} else {
				wait = gst(t, fmt.Sprintf("%s ! udpsink host=127.0.0.1 port=%d  %s ! udpsink host=127.0.0.1 port=%d", video, vp, audio, ap))
			}
			if tc.wantNone {
				if err := wait(30 * time.Second); err != nil {
					t.Fatal(err)
				}
				time.Sleep(300 * time.Millisecond)
				if v, a := peer.Received(webrtc.RTPCodecTypeVideo).Packets, peer.Received(webrtc.RTPCodecTypeAudio).Packets; v+a != 0 {
					t.Fatalf("with the wrong key %d video and %d audio packets reached the browser", v, a)
				}
				var flowing bool
				if err := call.rtp.Invoke(call.ctx, "isMediaFlowingOut", map[string]any{"mediaType": "VIDEO"}, &flowing); err != nil || flowing {
					t.Fatalf("isMediaFlowingOut = %v, %v", flowing, err)
				}
				return
			}
			// The sender sends 5 s (150 frames, a keyframe every 15) and ends.
			if err := wait(60 * time.Second); err != nil {
				t.Fatal(err)
			}
			testutil.Eventually(t, 10*time.Second, "video and audio at the browser", func() bool {
				return len(peer.VideoReceived()) > 100 && peer.Received(webrtc.RTPCodecTypeAudio).Packets > 50
			})
			time.Sleep(200 * time.Millisecond) // the last packets in flight
			frames := processtest.DecodeRTP(t, peer.VideoReceived(), tc.caps, tc.decode, 320, 240)
			if len(frames) < 120 { // of 150; 150 arrive on an idle machine
				t.Fatalf("only %d frames decoded", len(frames))
			}
			if got := processtest.Fraction(frames[len(frames)-1], 320, image.Rect(0, 0, 320, 240), redFrame); got < 0.9 {
				t.Fatalf("only %.0f%% red pixels in the last of %d frames", 100*got, len(frames))
			}
			t.Logf("%d of 150 frames decoded at the browser", len(frames))
			if got := peer.Received(webrtc.RTPCodecTypeVideo).Mime; !strings.EqualFold(got, tc.mime) {
				t.Fatalf("browser negotiated %s", got)
			}
			var stats map[string]map[string]any
			if err := call.rtp.Invoke(call.ctx, "getStats", map[string]any{"mediaType": "VIDEO"}, &stats); err != nil {
				t.Fatal(err)
			}
			var inbound map[string]any
			for _, st := range stats {
				if st["type"] == wire.StatsInboundRTP {
					inbound = st
				}
			}
			if n, _ := inbound["packetsReceived"].(float64); n < 100 || inbound["ssrc"] == "0" {
				t.Fatalf("inbound video stats %v (all: %v)", inbound, stats)
			}
		})
	}
}

// TestRtpEndpointFromBrowserToGst is the reverse: a WebRTC publisher's
// video goes out of the RtpEndpoint to gst-launch-1.0, which decodes it
// (generateOffer, then the receiver's answer).
func TestRtpEndpointFromBrowserToGst(t *testing.T) {
	leakCheck(t)
	red := processtest.GstRTP(t, "videotestsrc pattern=red num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96 mtu=1200")
	key := randomKey(t)
	for _, tc := range []struct {
		name   string
		crypto bool
	}{{"plain", false}, {"SDES", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, loopbackConfig())
			opts := kurento.RtpEndpointOptions{}
			if tc.crypto {
				opts.Crypto = wire.SDES{Crypto: "AES_128_CM_HMAC_SHA1_80", KeyBase64: base64.StdEncoding.EncodeToString(key)}
			}
			call := newRtpCall(t, s, opts)
			if err := call.web.Connect(call.ctx, call.rtp, kurento.ConnectOptions{}); err != nil {
				t.Fatal(err)
			}
			peer := newPeer(t, testpeer.Options{SendVideo: true, SendAudio: true, VideoRTP: red, VideoFPS: 30})
			connectPeer(t, call.ctx, call.web, peer, nil)
			peer.StartMedia()
			offer, err := call.rtp.GenerateOffer(call.ctx)
			if err != nil {
				t.Fatal(err)
			}
			ssrcs := ssrcLine.FindAllStringSubmatch(offer, -1)
			if len(ssrcs) != 2 {
				t.Fatalf("offer without a=ssrc per m-line:\n%s", offer)
			}
			// The audio receiver is a socket here; the video one gst-launch-1.0.
			audio, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			if err != nil {
				t.Fatal(err)
			}
			defer audio.Close()
			videoPort := freeUDPPort(t)
			caps := "application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96"
			src := ""
			proto, crypto := "RTP/AVP", ""
			if tc.crypto {
				caps = fmt.Sprintf("application/x-srtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96,ssrc=(uint)%s,"+
					"srtp-key=(buffer)%s,srtp-cipher=(string)aes-128-icm,srtp-auth=(string)hmac-sha1-80,srtcp-cipher=(string)aes-128-icm,srtcp-auth=(string)hmac-sha1-80",
					ssrcs[1][1], hex.EncodeToString(key))
				src = " ! srtpdec"
				proto = "RTP/SAVP"
				crypto = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + base64.StdEncoding.EncodeToString(randomKey(t)) + "\r\n"
			}
			receiver := gstReceivesRGB(t, videoPort, caps+src, "rtpvp8depay wait-for-keyframe=true ! vp8dec")
			answer := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=gst\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
				fmt.Sprintf("m=audio %d %s 111\r\na=rtpmap:111 opus/48000/2\r\na=recvonly\r\n%s", audio.LocalAddr().(*net.UDPAddr).Port, proto, crypto) +
				fmt.Sprintf("m=video %d %s 96\r\na=rtpmap:96 VP8/90000\r\na=recvonly\r\n%s", videoPort, proto, crypto)
			if _, err := call.rtp.ProcessAnswer(call.ctx, answer); err != nil {
				t.Fatal(err)
			}
			receiver.check(t, 25, redFrame)
			_ = audio.SetReadDeadline(time.Now().Add(10 * time.Second))
			buf := make([]byte, 1500)
			for i := 0; i < 20; i++ {
				if _, _, err := audio.ReadFromUDP(buf); err != nil {
					t.Fatalf("audio packet %d: %v", i, err)
				}
			}
		})
	}
}

// TestRtpEndpointErrors: bad SDP and bad crypto get Kurento errors.
func TestRtpEndpointErrors(t *testing.T) {
	leakCheck(t)
	s := startServer(t, rtpLimitsConfig())
	ctx := context.Background()
	c := dial(t, s.URL)
	pipe, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := pipe.CreateRtpEndpoint(ctx, kurento.RtpEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ep.ProcessOffer(ctx, "not an sdp"); !kurento.IsCode(err, wire.ErrSDPParse) {
		t.Fatalf("garbage offer: %v", err)
	}
	if _, err := ep.ProcessOffer(ctx, "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video 4000 RTP/AVP 97\r\na=rtpmap:97 H265/90000\r\n"); !kurento.IsCode(err, wire.ErrSDPProcessOffer) || !strings.Contains(err.Error(), "no supported codec") {
		t.Fatalf("unsupported codec: %v", err)
	}
	if _, err := ep.ProcessAnswer(ctx, "v=0"); !kurento.IsCode(err, wire.ErrSDPNotOfferGenerated) {
		t.Fatalf("answer without offer: %v", err)
	}
	var sdp string
	if err := ep.Invoke(ctx, "getLocalSessionDescriptor", nil, &sdp); !kurento.IsCode(err, wire.ErrSDPNoLocalSDP) {
		t.Fatalf("no local SDP: %v", err)
	}
	for _, crypto := range []wire.SDES{{Crypto: "AES_128_CM_HMAC_SHA1_99"}, {Crypto: "AES_256_CM_HMAC_SHA1_80", Key: "too short"}} {
		if _, err := pipe.CreateRtpEndpoint(ctx, kurento.RtpEndpointOptions{Crypto: crypto}); !kurento.IsCode(err, wire.ErrMarshall) {
			t.Fatalf("crypto %+v: %v", crypto, err)
		}
	}
	// rtp.maxEndpoints is 2 here: one exists.
	if _, err := pipe.CreateRtpEndpoint(ctx, kurento.RtpEndpointOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := pipe.CreateRtpEndpoint(ctx, kurento.RtpEndpointOptions{}); !kurento.IsCode(err, wire.ErrNotEnoughResources) {
		t.Fatalf("third endpoint: %v", err)
	}
	// Releasing the pipeline frees them.
	if err := pipe.Release(ctx); err != nil {
		t.Fatal(err)
	}
	pipe2, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipe2.CreateRtpEndpoint(ctx, kurento.RtpEndpointOptions{}); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func rtpLimitsConfig() kms.Config {
	cfg := loopbackConfig()
	cfg.RTP.MaxEndpoints = 2
	return cfg
}

// TestRtpEndpointSessionEnd: a client that vanishes releases its
// RtpEndpoints (sockets, goroutines, the rtp.maxEndpoints count) when its
// session is collected.
func TestRtpEndpointSessionEnd(t *testing.T) {
	leakCheck(t)
	cfg := rtpLimitsConfig()
	cfg.GCPeriod = 200 * time.Millisecond
	s := startServer(t, cfg)
	ctx := context.Background()
	c := dial(t, s.URL)
	pipe, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ports []int
	for i := 0; i < 2; i++ {
		ep, err := pipe.CreateRtpEndpoint(ctx, kurento.RtpEndpointOptions{})
		if err != nil {
			t.Fatal(err)
		}
		offer, err := ep.GenerateOffer(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, sdpPort(t, offer, "video"))
	}
	_ = c.Close()
	c2 := dial(t, s.URL)
	testutil.Eventually(t, 10*time.Second, "the vanished client's RtpEndpoints to be released", func() bool {
		p, err := c2.CreatePipeline(ctx)
		if err != nil {
			return false
		}
		_, err = p.CreateRtpEndpoint(ctx, kurento.RtpEndpointOptions{})
		_ = p.Release(ctx)
		return err == nil
	})
	for _, port := range ports { // the sockets are closed: the ports bind again
		l, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
		if err != nil {
			t.Fatalf("port %d still bound after release: %v", port, err)
		}
		l.Close()
	}
}

// TestRtpEndpointConfigErrors: a bad rtp section stops the server at start
// with the key named.
func TestRtpEndpointConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  kms.Config
		want string
	}{
		{kms.Config{RTP: rtpepConfig(5000, 5000, "")}, "rtp.minPort"},
		{kms.Config{RTP: rtpepConfig(0, 0, "localhost")}, "rtp.address"},
	} {
		if _, err := kms.New(tc.cfg, quietLogger()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v", tc.cfg.RTP, err)
		}
	}
}

func rtpepConfig(minPort, maxPort int, addr string) rtpep.Config {
	return rtpep.Config{MinPort: minPort, MaxPort: maxPort, Address: addr}
}

// TestRtpEndpointToFfmpeg: ffmpeg receives per an SDP file, which is the
// offer the RtpEndpoint answers (processOffer): the endpoint sends the
// browser's video to the file's port and ffmpeg decodes it.
func TestRtpEndpointToFfmpeg(t *testing.T) {
	leakCheck(t)
	red := processtest.GstRTP(t, "videotestsrc pattern=red num-buffers=30 ! video/x-raw,width=320,height=240,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96 mtu=1200")
	s := startServer(t, loopbackConfig())
	call := newRtpCall(t, s, kurento.RtpEndpointOptions{})
	if err := call.web.Connect(call.ctx, call.rtp, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	peer := newPeer(t, testpeer.Options{SendVideo: true, VideoRTP: red, VideoFPS: 30})
	connectPeer(t, call.ctx, call.web, peer, nil)
	peer.StartMedia()
	dir := t.TempDir()
	port := freeUDPPort(t) &^ 1 // ffmpeg takes port+1 for RTCP
	sdp := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=ffmpeg\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=video %d RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\na=recvonly\r\n", port)
	in := filepath.Join(dir, "in.sdp")
	if err := os.WriteFile(in, []byte(sdp), 0o600); err != nil {
		t.Fatal(err)
	}
	receiver := rgbReceiver{tool: "ffmpeg", out: filepath.Join(dir, "out.rgb")}
	receiver.wait = run(t, "ffmpeg", "-nostdin", "-loglevel", "error", "-protocol_whitelist", "file,udp,rtp", "-i", in,
		"-frames:v", "20", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "320x240", receiver.out)
	waitUDPBound(t, port)
	if _, err := call.rtp.ProcessOffer(call.ctx, sdp); err != nil {
		t.Fatal(err)
	}
	receiver.check(t, 20, redFrame)
}

// TestRtpEndpointKeySoftLimit: browser → RtpEndpoint A → SRTP → RtpEndpoint
// B (A offers, B answers); with rtp.keySoftLimit low, A reports
// OnKeySoftLimit for video, and B's media state turns CONNECTED on A's
// SRTCP reports.
func TestRtpEndpointKeySoftLimit(t *testing.T) {
	leakCheck(t)
	cfg := loopbackConfig()
	cfg.RTP.KeySoftLimit = 50
	s := startServer(t, cfg)
	sdes := wire.SDES{Crypto: "AES_256_CM_HMAC_SHA1_80"}
	call := newRtpCall(t, s, kurento.RtpEndpointOptions{Crypto: sdes})
	b, err := call.pipe.CreateRtpEndpoint(call.ctx, kurento.RtpEndpointOptions{Crypto: sdes})
	if err != nil {
		t.Fatal(err)
	}
	soft := make(chan wire.OnKeySoftLimit, 4)
	if _, err := call.rtp.OnKeySoftLimit(call.ctx, func(e wire.OnKeySoftLimit) { soft <- e }); err != nil {
		t.Fatal(err)
	}
	media := make(chan wire.StateChange, 4)
	if _, err := kurento.On(call.ctx, b, "MediaStateChanged", func(e wire.StateChange) { media <- e }); err != nil {
		t.Fatal(err)
	}
	offer, err := call.rtp.GenerateOffer(call.ctx)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := b.ProcessOffer(call.ctx, offer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call.rtp.ProcessAnswer(call.ctx, answer); err != nil {
		t.Fatal(err)
	}
	if err := call.web.Connect(call.ctx, call.rtp, kurento.ConnectOptions{}); err != nil {
		t.Fatal(err)
	}
	peer := newPeer(t, testpeer.Options{SendVideo: true, SendAudio: true})
	connectPeer(t, call.ctx, call.web, peer, nil)
	peer.StartMedia()
	select {
	case e := <-soft:
		if e.MediaType != "AUDIO" && e.MediaType != "VIDEO" || e.Type != "OnKeySoftLimit" {
			t.Fatalf("OnKeySoftLimit = %+v", e)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no OnKeySoftLimit")
	}
	select {
	case e := <-media:
		if e.NewState != "CONNECTED" {
			t.Fatalf("MediaStateChanged = %+v", e)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no MediaStateChanged at the receiving RtpEndpoint")
	}
}
