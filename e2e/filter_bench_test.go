package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/testpeer"
	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// BenchmarkFaceOverlayServerPath measures one FaceOverlayFilter through the
// whole server path — a Pion peer sends 640×480 VP8 at 30 fps of a face to a
// WebRtcEndpoint of the gorento binary (a separate process), through the
// filter (the demo's hat, the gorento-worker process) and back to the peer —
// against a bare gst-launch-1.0 doing the same decode → facedetect → overlay
// → encode in the same run. It reports the CPU per frame of gorento + its
// worker, of gst-launch, their ratio, the latency the filter adds (peer to
// peer, against the same call without the filter), and peak RSS. Not a
// test: run by hand, when the machine is quiet (docs/performance.md):
//
//	GORENTO_BIN=$PWD/.build/gorento GORENTO_WORKER_BIN=$PWD/.build/gorento-worker \
//	  scripts/netns-run.sh go test -run '^$' -bench FaceOverlayServerPath -benchtime 1x -count 3 ./e2e
func BenchmarkFaceOverlayServerPath(b *testing.B) {
	bin, worker := os.Getenv("GORENTO_BIN"), os.Getenv("GORENTO_WORKER_BIN")
	if bin == "" || worker == "" {
		b.Skip("set GORENTO_BIN and GORENTO_WORKER_BIN (./dev builds both in .build/)")
	}
	const frames = 300 // 10 s
	face := processtest.FaceJPEG(b)
	hat := filepath.Join(repoRoot(), "web/static/img/hat.png")
	video := processtest.GstRTP(b, fmt.Sprintf("filesrc location=%s ! jpegdec ! imagefreeze num-buffers=%d ! video/x-raw,framerate=30/1 ! videoconvert ! "+
		"vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=1000000 ! rtpvp8pay pt=96 mtu=1200", face, frames))
	for i := 0; i < b.N; i++ {
		load := loadAvg()
		srv := startGorentoBinary(b, bin, worker)
		direct := runMirror(b, srv, video, "", frames/2)
		filtered := runMirror(b, srv, video, "file://"+hat, frames)
		base := processtest.FaceOverlayBaseline(b, face, hat, frames)
		srv.stop()

		server := filtered.serverCPU + filtered.workerCPU
		b.ReportMetric(perFrame(server, frames), "server-cpu-ms/frame")
		b.ReportMetric(perFrame(filtered.workerCPU, frames), "worker-cpu-ms/frame")
		b.ReportMetric(perFrame(filtered.serverCPU, frames), "gorento-cpu-ms/frame")
		b.ReportMetric(perFrame(direct.serverCPU, frames/2), "gorento-no-filter-cpu-ms/frame")
		b.ReportMetric(perFrame(base.CPU, frames), "gst-launch-cpu-ms/frame")
		b.ReportMetric(float64(server)/float64(base.CPU), "ratio")
		// Per frame that came out: a loaded machine drops frames in the leaky
		// queues of both (the same chain), not necessarily as many.
		if filtered.frames > 0 && base.Frames > 0 {
			b.ReportMetric((float64(server)/float64(filtered.frames))/(float64(base.CPU)/float64(base.Frames)), "ratio-per-frame-out")
		}
		b.ReportMetric(float64(base.Frames), "gst-launch-frames-out")
		b.ReportMetric(ms(filtered.p50-direct.p50), "added-latency-p50-ms")
		b.ReportMetric(ms(filtered.p99-direct.p99), "added-latency-p99-ms")
		b.ReportMetric(ms(direct.p50), "no-filter-latency-p50-ms")
		b.ReportMetric(float64(filtered.workerRSSKB)/1024, "worker-peak-rss-MB")
		b.ReportMetric(float64(base.MaxRSSKB)/1024, "gst-launch-peak-rss-MB")
		b.ReportMetric(float64(filtered.frames), "frames-back")
		b.Logf("load average before the run: %s", load)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func perFrame(d time.Duration, frames int) float64 { return ms(d) / float64(frames) }

// gorentoProcess is the gorento binary running with its Kurento port on loopback.
type gorentoProcess struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

func startGorentoBinary(b *testing.B, bin, worker string) *gorentoProcess {
	dir := b.TempDir()
	cfg, _ := json.Marshal(map[string]any{"processing": map[string]any{"workerPath": worker}})
	cfgFile := filepath.Join(dir, "config.json")
	if err := os.WriteFile(cfgFile, cfg, 0o600); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "-kurento-listen", "127.0.0.1:0", "-web-listen", "", "-data-dir", dir, "-config", cfgFile)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	g := &gorentoProcess{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		defer close(g.done)
		re := regexp.MustCompile(`msg=listening listener=kurento addr=(\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case a := <-addr:
		g.url = "ws://" + a + "/kurento"
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		b.Fatal("gorento did not report its Kurento address")
	}
	b.Cleanup(g.stop)
	return g
}

func (g *gorentoProcess) stop() {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.done:
	case <-time.After(10 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

type mirrorRun struct {
	serverCPU, workerCPU time.Duration
	workerRSSKB          int64
	p50, p99             time.Duration
	frames               int
}

// runMirror makes a loopback call (peer → endpoint → [FaceOverlayFilter with
// the hat at hatURI] → endpoint → peer), sends n frames and measures the
// server's CPU (gorento and its worker) and each frame's round trip.
func runMirror(b *testing.B, srv *gorentoProcess, video [][]byte, hatURI string, n int) mirrorRun {
	ctx := context.Background()
	c, err := kurento.Dial(ctx, srv.url, kurento.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	pipe, err := c.CreatePipeline(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer pipe.Release(ctx) //nolint:errcheck // the server stops after the run
	ep, err := pipe.CreateWebRtcEndpoint(ctx, kurento.WebRtcEndpointOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var sink kurento.Element = ep
	if hatURI != "" {
		id, err := c.Create(ctx, "FaceOverlayFilter", map[string]any{"mediaPipeline": pipe.ID()})
		if err != nil {
			b.Fatal(err)
		}
		f := c.Element(id)
		if err := f.Invoke(ctx, "setOverlayedImage", map[string]any{"uri": hatURI, "offsetXPercent": -0.35, "offsetYPercent": -1.2,
			"widthPercent": 1.6, "heightPercent": 1.6}, nil); err != nil {
			b.Fatal(err)
		}
		if err := f.Connect(ctx, ep, kurento.ConnectOptions{}); err != nil {
			b.Fatal(err)
		}
		sink = f
	}
	if err := ep.Connect(ctx, sink, kurento.ConnectOptions{}); err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	var sent []time.Time
	type frame struct {
		ts uint32
		at time.Time
	}
	var got []frame
	peer, err := testpeer.New(testpeer.Options{SendVideo: true, RecvVideo: true, VideoRTP: video, VideoFPS: 30,
		OnVideoFrameSent: func(_ int, at time.Time) { mu.Lock(); sent = append(sent, at); mu.Unlock() },
		OnVideoReceived: func(p *rtp.Packet, at time.Time) {
			mu.Lock()
			if k := len(got); k == 0 || got[k-1].ts != p.Timestamp {
				got = append(got, frame{p.Timestamp, at})
			}
			mu.Unlock()
		}})
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	negotiate(b, ep, peer)
	time.Sleep(500 * time.Millisecond) // the worker element is ready, the endpoint's flow settled
	pid := srv.cmd.Process.Pid
	wpid := childPID(pid, "gorento-worker")
	cpu0, wcpu0 := processtest.ProcCPU(pid), processtest.ProcCPU(wpid)
	peer.StartMedia()
	deadline := time.Now().Add(time.Duration(n) * time.Second / 30)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // the last frames come back
	run := mirrorRun{serverCPU: processtest.ProcCPU(pid) - cpu0}
	if wpid > 0 {
		run.workerCPU = processtest.ProcCPU(wpid) - wcpu0
		run.workerRSSKB = processtest.ProcStatusKB(wpid, "VmHWM")
	}
	peer.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 10 || len(sent) == 0 {
		b.Fatalf("%d frames back, %d sent", len(got), len(sent))
	}
	// The first frame sent is a keyframe, so the first frame back is it;
	// the timestamps (rewritten by offsets, or stamped on arrival by the
	// worker) say which frame sent each later one is.
	var lat []time.Duration
	for _, f := range got {
		i := int((f.ts - got[0].ts + 1500) / 3000)
		if i < len(sent) {
			lat = append(lat, f.at.Sub(sent[i]))
		}
	}
	slices.Sort(lat)
	run.p50, run.p99, run.frames = lat[len(lat)/2], lat[len(lat)*99/100], len(got)
	return run
}

func negotiate(b *testing.B, ep *kurento.WebRtcEndpoint, peer *testpeer.Peer) {
	ctx := context.Background()
	offer, err := peer.Offer()
	if err != nil {
		b.Fatal(err)
	}
	cands, err := peer.WaitCandidates(5 * time.Second)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cands {
		if err := ep.AddIceCandidate(ctx, c.Candidate, *c.SDPMid, int(*c.SDPMLineIndex)); err != nil {
			b.Fatal(err)
		}
	}
	answerSet := make(chan struct{})
	if _, err := ep.OnIceCandidateFound(ctx, func(e wire.IceCandidateFound) {
		<-answerSet
		_ = peer.AddRemoteCandidate(e.Candidate.Candidate, e.Candidate.SdpMid, e.Candidate.SdpMLineIndex)
	}); err != nil {
		b.Fatal(err)
	}
	answer, err := ep.ProcessOffer(ctx, offer)
	if err != nil {
		b.Fatal(err)
	}
	if err := peer.SetAnswer(answer); err != nil {
		b.Fatal(err)
	}
	close(answerSet)
	if err := ep.GatherCandidates(ctx); err != nil {
		b.Fatal(err)
	}
	if err := peer.WaitConnected(10 * time.Second); err != nil {
		b.Fatal(err)
	}
}

// childPID finds the child of pid running the named command.
func childPID(pid int, comm string) int {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		n, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", n))
		if err != nil {
			continue
		}
		s := string(data)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		fields := strings.Fields(s[end+2:])
		if ppid, _ := strconv.Atoi(fields[1]); ppid == pid && strings.HasPrefix(comm, s[open+1:end]) {
			return n
		}
	}
	return 0
}
