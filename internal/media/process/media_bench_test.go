package process

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
		cpu0 := procCPU(b, pid)
		start := time.Now()
		sent := sendPacedB(el, pkts, 30)
		time.Sleep(500 * time.Millisecond)
		cpu := procCPU(b, pid) - cpu0
		wall := time.Since(start)
		rss := procStatusKB(b, pid, "VmHWM")
		el.Close()
		m.Close()

		// The same work in bare gst-launch-1.0, paced in real time like the
		// worker's input: a live source encoding the same picture feeds the
		// decode → facedetect → overlay → encode chain; the source's own cost
		// (measured alone) is subtracted.
		live := fmt.Sprintf("filesrc location=%s ! jpegdec ! imagefreeze num-buffers=%d ! video/x-raw,framerate=30/1 ! identity sync=true ! videoconvert ! "+
			"vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=1000000 ! rtpvp8pay pt=96 mtu=1200", face, frames)
		chain := fmt.Sprintf(" ! rtpvp8depay ! vp8dec ! videoconvert ! tee name=t t. ! queue max-size-buffers=1 leaky=downstream ! videoscale ! video/x-raw,width=160,pixel-aspect-ratio=1/1 ! videoconvert ! "+
			"video/x-raw,format=RGB ! facedetect display=false updates=every_frame min-size-width=16 min-size-height=16 ! fakesink sync=false async=false "+
			"t. ! queue max-size-buffers=2 leaky=downstream ! gdkpixbufoverlay location=%s ! gdkpixbufoverlay alpha=0 ! gdkpixbufoverlay alpha=0 ! gdkpixbufoverlay alpha=0 ! videoconvert ! "+
			"vp8enc deadline=1 cpu-used=8 threads=2 end-usage=cbr target-bitrate=1000000 keyframe-max-dist=900 lag-in-frames=0 error-resilient=default ! "+
			"rtpvp8pay ! fakesink sync=false async=false", hat)
		full := gstCPU(b, live+chain)
		source := gstCPU(b, live+" ! fakesink sync=false async=false")
		baseCPU := full.cpu - source.cpu
		b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "worker-cpu-ms/frame")
		b.ReportMetric(float64(baseCPU.Microseconds())/1000/frames, "gst-launch-cpu-ms/frame")
		b.ReportMetric(float64(cpu)/float64(baseCPU), "ratio")
		b.ReportMetric(100*float64(cpu)/float64(wall), "worker-cpu-%")
		b.ReportMetric(float64(rss)/1024, "worker-peak-rss-MB")
		b.ReportMetric(float64(full.maxRSSKB)/1024, "gst-launch-peak-rss-MB")
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

// procCPU returns a process's user+system CPU time from /proc.
func procCPU(b *testing.B, pid int) time.Duration { return processtest.ProcCPU(b, pid) }

func procStatusKB(b *testing.B, pid int, key string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

type gstRun struct {
	cpu      time.Duration
	maxRSSKB int64
}

// gstCPU runs a gst-launch-1.0 pipeline and returns its CPU time and peak RSS.
func gstCPU(b *testing.B, pipeline string) gstRun {
	cmd := exec.Command("gst-launch-1.0", append([]string{"-q"}, processtest.SplitArgs(pipeline)...)...)
	cmd.Env = append(os.Environ(), "OPENCV_LOG_LEVEL=SILENT")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("gst-launch-1.0: %v\n%s", err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return gstRun{cpu: time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), maxRSSKB: ru.Maxrss}
}
