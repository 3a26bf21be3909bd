package process

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/process/layout"
	"github.com/gorento/gorento/internal/media/process/processtest"
)

// Benchmarks of the dynamic kinds, each next to a bare gst-launch-1.0
// pipeline doing the same work on the same kind of media in the same run
// (its source's own cost measured alone and subtracted). CPU is the worker
// process's user+system time over the paced run. Run by hand (figures in
// docs/performance.md):
//
//	GORENTO_WORKER_BIN=$PWD/.build/gorento-worker go test -run '^$' -bench 'WorkerTranscode|WorkerComposite' -benchtime 1x ./internal/media/process

// movingVP8 makes seconds of VP8 of a moving picture, w×h at fps, once:
// as RTP for the worker and as a WebM file of the same frames for the
// gst-launch-1.0 baseline (which then decodes exactly what the worker does,
// with no encoding of its own to subtract).
func movingVP8(b *testing.B, w, h, fps, seconds, bitrate int, pattern string) (rtp [][]byte, webm string) {
	dir := b.TempDir()
	file, webm := filepath.Join(dir, "in.rtp"), filepath.Join(dir, "in.webm")
	gen := fmt.Sprintf("videotestsrc pattern=%s num-buffers=%d ! video/x-raw,width=%d,height=%d,framerate=%d/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=%d target-bitrate=%d ! tee name=t "+
		"t. ! queue ! rtpvp8pay pt=96 mtu=1200 ! rtpstreampay ! filesink location=%s "+
		"t. ! queue ! webmmux ! filesink location=%s",
		pattern, fps*seconds, w, h, fps, 2*fps, bitrate, file, webm)
	processtest.GstLaunch(b, gen)
	return readRTPStream(b, file), webm
}

// fromWebM is a gst-launch source of those frames, paced in real time.
func fromWebM(file string) string {
	return fmt.Sprintf("filesrc location=%s ! matroskademux ! identity sync=true", file)
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
	cpu0 := processtest.ProcCPU(pid)
	work(el)
	time.Sleep(300 * time.Millisecond)
	cpu := processtest.ProcCPU(pid) - cpu0
	mu.Lock()
	defer mu.Unlock()
	return cpu, out
}

// h264Enc is the worker's H.264 encoder settings (describe.go encodeChain).
const h264Enc = "x264enc tune=zerolatency speed-preset=ultrafast threads=2 bitrate=600 key-int-max=900 ! video/x-h264,profile=constrained-baseline ! " +
	"rtph264pay config-interval=-1 aggregate-mode=zero-latency mtu=1200"

// vp8Enc is the worker's VP8 encoder settings (a dynamic element's
// encoders run one libvpx thread).
const vp8Enc = "vp8enc deadline=1 cpu-used=8 threads=1 end-usage=cbr target-bitrate=600000 keyframe-max-dist=900 lag-in-frames=0 " +
	"error-resilient=default buffer-size=1000 ! rtpvp8pay picture-id-mode=15-bit mtu=1200"

// BenchmarkWorkerTranscode720p: one VP8 1280x720@30 stream transcoded to
// H.264 (one encoder, shared by every H.264 receiver), next to
// gst-launch-1.0 decoding and encoding the same.
func BenchmarkWorkerTranscode720p(b *testing.B) {
	const w, h, fps, secs = 1280, 720, 30, 10
	in, webm := movingVP8(b, w, h, fps, secs, 2_000_000, "ball")
	for i := 0; i < b.N; i++ {
		compare(b, fps*secs, secs,
			func() (time.Duration, int) {
				return measure(b, Spec{Inputs: []Stream{{Codec: CodecVP8, PayloadType: 96}}, Processing: Processing{Kind: ProcTranscode}},
					func(el *Element) {
						if err := el.AddOutput(context.Background(), 0, Stream{Codec: CodecH264, PayloadType: 102}); err != nil {
							b.Fatal(err)
						}
					},
					func(el *Element) { sendAll(b, el, map[int][][]byte{0: in}, map[int]int{0: 90000}) })
			},
			fromWebM(webm)+" ! vp8dec ! videoconvert ! "+h264Enc+" ! fakesink sync=false async=false",
			fromWebM(webm)+" ! fakesink sync=false async=false")
	}
}

// rounds is how many times compare alternates the worker and gst-launch-1.0
// (BENCH_ROUNDS, default 3): on a shared machine the other load moves, the
// medians of alternated runs compare what ran under similar load.
func rounds() int {
	if n, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// compare alternates the worker run and gst-launch-1.0 (full pipeline
// minus its source alone) and reports medians per frame and the ratio.
func compare(b *testing.B, frames, secs int, worker func() (time.Duration, int), full, source string) {
	var w, g, ratios []float64
	out := 0
	for r := 0; r < rounds(); r++ {
		cpu, n := worker()
		base := processtest.GstLaunch(b, full).CPU - processtest.GstLaunch(b, source).CPU
		out = n
		w = append(w, float64(cpu.Microseconds())/1000/float64(frames))
		g = append(g, float64(base.Microseconds())/1000/float64(frames))
		ratios = append(ratios, float64(cpu)/float64(base))
	}
	b.ReportMetric(median(w), "worker-cpu-ms/frame")
	b.ReportMetric(median(g), "gst-launch-cpu-ms/frame")
	b.ReportMetric(median(ratios), "ratio")
	b.ReportMetric(slices.Min(ratios), "ratio-min")
	b.ReportMetric(slices.Max(ratios), "ratio-max")
	b.ReportMetric(median(w)*float64(frames)/float64(secs)/10, "worker-cpu-%")
	b.ReportMetric(float64(out), "out-packets")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkWorkerComposite4 and 9: N VP8 inputs of 640x480@15 in KMS's
// grid on a 640x480@15 picture, encoded once (VP8), next to gst-launch-1.0
// decoding the same N streams into a compositor with the same layout.
func BenchmarkWorkerComposite4(b *testing.B) { benchComposite(b, 4) }
func BenchmarkWorkerComposite9(b *testing.B) { benchComposite(b, 9) }

func benchComposite(b *testing.B, n int) {
	const w, h, fps, secs = 640, 480, 15, 10
	in, webm := movingVP8(b, w, h, fps, secs, 600_000, "ball")
	streams, rates := map[int][][]byte{}, map[int]int{}
	// gst-launch-1.0: the same grid, compositor → VP8.
	places := layout.Grid(seq(n), w, h)
	var pads, srcs, sources []string
	for p := 0; p < n; p++ {
		streams[p], rates[p] = in, 90000
		pl := places[p]
		pads = append(pads, fmt.Sprintf("sink_%d::xpos=%d sink_%d::ypos=%d sink_%d::width=%d sink_%d::height=%d", p+1, pl.X, p+1, pl.Y, p+1, pl.Width, p+1, pl.Height))
		srcs = append(srcs, fmt.Sprintf("%s ! vp8dec ! videoconvert ! queue max-size-buffers=2 leaky=downstream ! comp.sink_%d", fromWebM(webm), p+1))
		sources = append(sources, fromWebM(webm)+" ! fakesink sync=false async=false")
	}
	caps := fmt.Sprintf("video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1", w, h, fps)
	full := fmt.Sprintf("videotestsrc is-live=true pattern=black num-buffers=%d ! %s ! compositor name=comp background=black latency=200000000 %s ! %s ! %s ! fakesink sync=false async=false %s",
		fps*secs, caps, strings.Join(pads, " "), caps, vp8Enc, strings.Join(srcs, " "))
	for i := 0; i < b.N; i++ {
		compare(b, fps*secs, secs,
			func() (time.Duration, int) {
				return measure(b, Spec{Processing: Processing{Kind: ProcComposite, Width: w, Height: h, Framerate: fps}},
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
					func(el *Element) { sendAll(b, el, streams, rates) })
			},
			full, strings.Join(sources, " "))
	}
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}
