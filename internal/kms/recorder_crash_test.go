package kms_test

import (
	"bufio"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/internal/testutil"
	"github.com/gorento/gorento/pkg/kurento"
)

// TestRecorderSurvivesKill9 records H.264+Opus to MKV and MP4 in a gorento
// process, kills it with SIGKILL mid-recording, and checks that both files
// play up to within 2 s of what was sent.
func TestRecorderSurvivesKill9(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "g.json")
	if err := os.WriteFile(cfgPath, []byte(`{"kurento":{"listen":"127.0.0.1:0","secureListen":""},"web":{"listen":"127.0.0.1:0","plain":true},
		"room":{"path":""},"webrtc":{"loopbackOnly":true},"dataDir":"`+dir+`","mediaFiles":{"recorder":{"keepCodecs":true}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	pkts := timedPackets(rtpmedia.Load(t, containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "opus", Container: "mkv", Seconds: 4}), rtpmedia.Options{}))

	cmd := exec.Command(testutil.GorentoBinary(t), "serve", "-config", cfgPath)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	web := make(chan string, 1)
	exited := make(chan error, 1)
	go func() {
		re := regexp.MustCompile(`listener=web addr=(127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				web <- m[1]
			}
		}
		exited <- cmd.Wait()
	}()
	var addr string
	select {
	case addr = <-web:
	case <-time.After(30 * time.Second):
		t.Fatal("gorento did not start")
	}
	ctx := context.Background()
	c, err := kurento.Dial(ctx, "ws://"+addr+"/kurento", kurento.Options{NoReconnect: true, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.CreatePipeline(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := p.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"MKV": filepath.Join(dir, "rec", "crash.mkv"), "MP4": filepath.Join(dir, "rec", "crash.mp4")}
	var recs []*kurento.RecorderEndpoint
	for profile, path := range files {
		r, err := p.CreateRecorderEndpoint(ctx, "file://"+path, kurento.RecorderOptions{MediaProfile: profile})
		if err != nil {
			t.Fatal(err)
		}
		if err := ep.Connect(ctx, r, kurento.ConnectOptions{}); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	peer := newPeer(t, testpeer.Options{SendAudio: true, SendVideo: true, VideoMime: webrtc.MimeTypeH264})
	connectPeer(t, ctx, ep, peer, nil)
	for _, r := range recs {
		if err := r.Record(ctx); err != nil {
			t.Fatal(err)
		}
	}
	peer.Play(pkts, true)
	start := time.Now()
	time.Sleep(6 * time.Second)
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	sent := time.Since(start).Seconds()
	select {
	case err := <-exited:
		t.Logf("gorento: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("gorento did not die")
	}
	for profile, path := range files {
		probe := containertest.ProbeFile(t, path, true)
		last := 0.0
		for _, kind := range []string{"video", "audio"} {
			ts, keys := probe.FrameTimes(kind)
			if len(ts) == 0 {
				t.Fatalf("%s: no %s frame decoded after kill -9", profile, kind)
			}
			if kind == "video" && !keys[0] {
				t.Errorf("%s: first video frame is not a keyframe", profile)
			}
			last = math.Max(last, ts[len(ts)-1])
		}
		if sent-last > 2 || last > sent+0.2 {
			t.Errorf("%s: plays to %.2f s after kill -9, %.2f s were sent", profile, last, sent)
		}
		t.Logf("%s: %s+%s plays to %.2f s of %.2f s sent", profile, probe.Codec("video"), probe.Codec("audio"), last, sent)
	}
}
