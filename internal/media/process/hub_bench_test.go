package process

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/layout"
)

// Benchmarks of the dynamic kinds, each next to a bare gst-launch-1.0
// pipeline doing the same work on the same kind of media in the same run
// (its source's own cost measured alone and subtracted). CPU is the worker
// process's user+system time over the paced run. Run by hand (figures in
// docs/performance.md):
//
//	GORENTO_WORKER_BIN=$PWD/.build/gorento-worker go test -run '^$' -bench 'WorkerTranscode|WorkerComposite' -benchtime 1x ./internal/media/process

// movingVP8 makes seconds of VP8 RTP of a moving picture, w×h at fps.
func movingVP8(b *testing.B, w, h, fps, seconds, bitrate int, pattern string) [][]byte {
	file := filepath.Join(b.TempDir(), "in.rtp")
	gen := fmt.Sprintf("videotestsrc pattern=%s num-buffers=%d ! video/x-raw,width=%d,height=%d,framerate=%d/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=%d target-bitrate=%d ! rtpvp8pay pt=96 mtu=1200 ! rtpstreampay ! filesink location=%s",
		pattern, fps*seconds, w, h, fps, 2*fps, bitrate, file)
	gstCPU(b, gen)
	return readRTPStream(b, file)
}

// liveVP8 is a gst-launch source of the same media, paced in real time.
func liveVP8(w, h, fps, seconds, bitrate int, pattern string) string {
	return fmt.Sprintf("videotestsrc pattern=%s num-buffers=%d ! video/x-raw,width=%d,height=%d,framerate=%d/1 ! identity sync=true ! "+
		"vp8enc deadline=1 keyframe-max-dist=%d target-bitrate=%d ! rtpvp8pay pt=96 mtu=1200", pattern, fps*seconds, w, h, fps, 2*fps, bitrate)
}

// playAll writes each input's packets at the pace of their timestamps, all
// at once.
func playAll(el *Element, streams map[int][][]byte) {
	var wg sync.WaitGroup
	start := time.Now()
	for input, pkts := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ts0 := binary.BigEndian.Uint32(pkts[0][4:8])
			for _, p := range pkts {
				time.Sleep(time.Until(start.Add(time.Duration(binary.BigEndian.Uint32(p[4:8])-ts0) * time.Second / 90000)))
				_ = el.WriteRTP(input, p)
			}
		}()
	}
	wg.Wait()
}

// measure runs work against a fresh worker element and returns the worker's
// CPU time over it and the packets it produced.
func measure(b *testing.B, spec Spec, setup func(el *Element), work func(el *Element)) (time.Duration, int) {
	m := NewManager(Config{WorkerPath: realWorkerB(b), HangTimeout: 30 * time.Second})
	defer m.Close()
	var mu sync.Mutex
	out := 0
	el, err := m.Create(context.Background(), "bench", spec, Handler{OnRTP: func(int, []byte) { mu.Lock(); out++; mu.Unlock() }})
	if err != nil {
		b.Fatal(err)
	}
	defer el.Close()
	setup(el)
	pid := el.WorkerPID()
	cpu0 := procCPU(b, pid)
	work(el)
	time.Sleep(300 * time.Millisecond)
	cpu := procCPU(b, pid) - cpu0
	mu.Lock()
	defer mu.Unlock()
	return cpu, out
}

// h264Enc is the worker's H.264 encoder settings (describe.go encodeChain).
const h264Enc = "x264enc tune=zerolatency speed-preset=ultrafast threads=2 bitrate=600 key-int-max=900 ! video/x-h264,profile=constrained-baseline ! " +
	"rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200"

// vp8Enc is the worker's VP8 encoder settings.
const vp8Enc = "vp8enc deadline=1 cpu-used=8 threads=2 end-usage=cbr target-bitrate=600000 keyframe-max-dist=900 lag-in-frames=0 " +
	"error-resilient=default buffer-size=1000 ! rtpvp8pay picture-id-mode=15-bit mtu=1200"

// BenchmarkWorkerTranscode720p: one VP8 1280x720@30 stream transcoded to
// H.264 (one encoder, shared by every H.264 receiver), next to
// gst-launch-1.0 decoding and encoding the same.
func BenchmarkWorkerTranscode720p(b *testing.B) {
	const w, h, fps, secs = 1280, 720, 30, 10
	in := movingVP8(b, w, h, fps, secs, 2_000_000, "ball")
	for i := 0; i < b.N; i++ {
		cpu, out := measure(b, Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Processing: Processing{Kind: ProcTranscode}},
			func(el *Element) {
				if err := el.AddOutput(context.Background(), 0, Stream{Codec: CodecH264, PayloadType: 102}); err != nil {
					b.Fatal(err)
				}
			},
			func(el *Element) { playAll(el, map[int][][]byte{0: in}) })
		live := liveVP8(w, h, fps, secs, 2_000_000, "ball")
		full := gstCPU(b, live+" ! rtpvp8depay ! vp8dec ! videoconvert ! "+h264Enc+" ! fakesink sync=false async=false")
		source := gstCPU(b, live+" ! fakesink sync=false async=false")
		base := full.cpu - source.cpu
		frames := float64(fps * secs)
		b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "worker-cpu-ms/frame")
		b.ReportMetric(float64(base.Microseconds())/1000/frames, "gst-launch-cpu-ms/frame")
		b.ReportMetric(float64(cpu)/float64(base), "ratio")
		b.ReportMetric(100*float64(cpu)/float64(secs*time.Second), "worker-cpu-%")
		b.ReportMetric(float64(out), "out-packets")
	}
}

// BenchmarkWorkerComposite4 and 9: N VP8 inputs of 640x480@15 in KMS's
// grid on a 640x480@15 picture, encoded once (VP8), next to gst-launch-1.0
// decoding the same N streams into a compositor with the same layout.
func BenchmarkWorkerComposite4(b *testing.B) { benchComposite(b, 4) }
func BenchmarkWorkerComposite9(b *testing.B) { benchComposite(b, 9) }

func benchComposite(b *testing.B, n int) {
	const w, h, fps, secs = 640, 480, 15, 10
	in := movingVP8(b, w, h, fps, secs, 600_000, "ball")
	for i := 0; i < b.N; i++ {
		streams := map[int][][]byte{}
		for port := 0; port < n; port++ {
			streams[port] = in
		}
		cpu, out := measure(b, Spec{Processing: Processing{Kind: ProcComposite, Width: w, Height: h, Framerate: fps}},
			func(el *Element) {
				ctx := context.Background()
				if err := el.AddOutput(ctx, 0, Stream{Codec: CodecVP8, PayloadType: 96}); err != nil {
					b.Fatal(err)
				}
				for port := 0; port < n; port++ {
					if err := el.AddInput(ctx, port, Stream{Codec: CodecVP8, PayloadType: 96, Port: port}); err != nil {
						b.Fatal(err)
					}
				}
			},
			func(el *Element) { playAll(el, streams) })

		// gst-launch-1.0: the same grid, compositor → VP8.
		places := layout.Grid(seq(n), w, h)
		var pads, srcs, sources []string
		for p := 0; p < n; p++ {
			pl := places[p]
			pads = append(pads, fmt.Sprintf("sink_%d::xpos=%d sink_%d::ypos=%d sink_%d::width=%d sink_%d::height=%d", p+1, pl.X, p+1, pl.Y, p+1, pl.Width, p+1, pl.Height))
			live := liveVP8(w, h, fps, secs, 600_000, "ball")
			srcs = append(srcs, fmt.Sprintf("%s ! rtpvp8depay ! vp8dec ! videoconvert ! queue max-size-buffers=2 leaky=downstream ! comp.sink_%d", live, p+1))
			sources = append(sources, live+" ! fakesink sync=false async=false")
		}
		caps := fmt.Sprintf("video/x-raw,width=%d,height=%d,framerate=%d/1", w, h, fps)
		full := gstCPU(b, fmt.Sprintf("videotestsrc is-live=true pattern=black num-buffers=%d ! %s ! compositor name=comp background=black latency=200000000 %s ! %s ! %s ! fakesink sync=false async=false %s",
			fps*secs, caps, strings.Join(pads, " "), caps, vp8Enc, strings.Join(srcs, " ")))
		source := gstCPU(b, strings.Join(sources, " "))
		base := full.cpu - source.cpu
		frames := float64(fps * secs)
		b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "worker-cpu-ms/frame")
		b.ReportMetric(float64(base.Microseconds())/1000/frames, "gst-launch-cpu-ms/frame")
		b.ReportMetric(float64(cpu)/float64(base), "ratio")
		b.ReportMetric(100*float64(cpu)/float64(secs*time.Second), "worker-cpu-%")
		b.ReportMetric(float64(out), "out-packets")
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
