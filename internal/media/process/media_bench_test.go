package process

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/processtest"
)

// BenchmarkWorkerFaceOverlay measures one FaceOverlayFilter at 640x480, 30 fps,
// VP8 in and out: CPU per frame and peak RSS of the worker, next to a bare
// gst-launch-1.0 pipeline doing the same decode → facedetect → overlay →
// encode on the same packets. Run by hand (figures in docs/processing.md):
//
//	go test -run '^$' -bench WorkerFaceOverlay -benchtime 1x ./internal/media/process
func BenchmarkWorkerFaceOverlay(b *testing.B) {
	worker := realWorkerB(b)
	face := faceJPEGB(b)
	const frames = 300 // 10 s
	dir := b.TempDir()
	rtpFile := filepath.Join(dir, "in.rtp")
	gen := fmt.Sprintf("filesrc location=%s ! jpegdec ! imagefreeze num-buffers=%d ! video/x-raw,framerate=30/1 ! videoconvert ! "+
		"vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=1000000 ! rtpvp8pay pt=96 mtu=1200 ! rtpstreampay ! filesink location=%s", face, frames, rtpFile)
	if out, err := exec.Command("gst-launch-1.0", append([]string{"-q"}, processtest.SplitArgs(gen)...)...).CombinedOutput(); err != nil {
		b.Fatalf("%v\n%s", err, out)
	}
	pkts := readRTPStream(b, rtpFile)
	hat := filepath.Join(dir, "hat.png")
	writeSolidPNG(b, hat)

	for i := 0; i < b.N; i++ {
		m := NewManager(Config{WorkerPath: worker})
		var c collector
		// Output frames (first packet of each RTP timestamp) and when they came.
		var outMu sync.Mutex
		type outFrame struct {
			ts uint32
			at time.Time
		}
		var outFrames []outFrame
		h := c.handler()
		onRTP := h.OnRTP
		h.OnRTP = func(o int, p []byte) {
			ts := binary.BigEndian.Uint32(p[4:8])
			outMu.Lock()
			if n := len(outFrames); n == 0 || outFrames[n-1].ts != ts {
				outFrames = append(outFrames, outFrame{ts, time.Now()})
			}
			outMu.Unlock()
			onRTP(o, p)
		}
		spec := Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Outputs: []Stream{{Codec: CodecVP8, PayloadType: 96, Bitrate: 1_000_000}},
			Processing: Processing{Kind: ProcFaceOverlay}}
		el, err := m.Create(context.Background(), "bench", spec, h)
		if err != nil {
			b.Fatal(err)
		}
		if err := el.SetOverlayImage(context.Background(), Image{URI: "file://" + hat, OffsetX: -0.35, OffsetY: -1.2, Width: 1.6, Height: 1.6}); err != nil {
			b.Fatal(err)
		}
		pid := el.WorkerPID()
		cpu0 := processtest.ProcCPU(pid)
		start := time.Now()
		sent := sendPacedB(el, pkts, 30)
		time.Sleep(500 * time.Millisecond)
		cpu := processtest.ProcCPU(pid) - cpu0
		wall := time.Since(start)
		rss := processtest.ProcStatusKB(pid, "VmHWM")
		el.Close()
		m.Close()

		full := processtest.FaceOverlayBaseline(b, face, hat, frames)
		baseCPU := full.CPU
		b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "worker-cpu-ms/frame")
		b.ReportMetric(float64(baseCPU.Microseconds())/1000/frames, "gst-launch-cpu-ms/frame")
		b.ReportMetric(float64(cpu)/float64(baseCPU), "ratio")
		b.ReportMetric(float64(full.Frames), "gst-launch-frames-out")
		b.ReportMetric(100*float64(cpu)/float64(wall), "worker-cpu-%")
		b.ReportMetric(float64(rss)/1024, "worker-peak-rss-MB")
		b.ReportMetric(float64(full.MaxRSSKB)/1024, "gst-launch-peak-rss-MB")
		b.ReportMetric(float64(len(c.packets())), "out-packets")
		// Added latency: the worker stamps frames on arrival, so an output
		// frame's RTP timestamp, relative to the first one, says which input
		// frame it is: latency = its arrival - that input frame's send time.
		outMu.Lock()
		var lat []time.Duration
		for _, f := range outFrames {
			inAt := sent[0].Add(time.Duration(f.ts-outFrames[0].ts) * time.Second / 90000)
			lat = append(lat, f.at.Sub(inAt))
		}
		outMu.Unlock()
		if len(lat) > 10 {
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "latency-p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "latency-p99-ms")
			b.ReportMetric(float64(len(outFrames)), "out-frames")
		}
	}
}

func realWorkerB(b *testing.B) string {
	p := os.Getenv("GORENTO_WORKER_BIN")
	if p == "" {
		b.Skip("set GORENTO_WORKER_BIN (./dev builds .build/gorento-worker)")
	}
	return p
}

func faceJPEGB(b *testing.B) string {
	out, err := exec.Command("go", "mod", "download", "-json", "gocv.io/x/gocv@v0.31.0").Output()
	if err != nil {
		b.Skip("gocv module not cached")
	}
	i := strings.Index(string(out), `"Dir": "`)
	if i < 0 {
		b.Skip("gocv module not cached")
	}
	rest := string(out)[i+8:]
	return filepath.Join(rest[:strings.IndexByte(rest, '"')], "images", "face.jpg")
}

func readRTPStream(b *testing.B, path string) [][]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var pkts [][]byte
	for len(data) >= 2 {
		n := int(data[0])<<8 | int(data[1])
		if len(data) < 2+n {
			break
		}
		pkts = append(pkts, data[2:2+n])
		data = data[2+n:]
	}
	return pkts
}

// sendPacedB sends frames at fps and returns when each frame's first packet went.
func sendPacedB(el *Element, pkts [][]byte, fps int) []time.Time {
	interval := time.Second / time.Duration(fps)
	next := time.Now()
	var lastTS uint32
	var sent []time.Time
	for i, p := range pkts {
		ts := binary.BigEndian.Uint32(p[4:8])
		if i > 0 && ts != lastTS {
			next = next.Add(interval)
			time.Sleep(time.Until(next))
		}
		if i == 0 || ts != lastTS {
			sent = append(sent, time.Now())
		}
		lastTS = ts
		_ = el.WriteRTP(0, p)
	}
	return sent
}
