package recorder

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
)

// BenchmarkConcurrentRecordings records N streams of 720p VP8 (1.5 Mb/s,
// a keyframe every 2 s) + Opus at once, in real time, on one core
// (GOMAXPROCS=1), into files: the work of N RecorderEndpoints (slow-sink
// queue, depacketising, muxing, writing), without the network ingress
// (SRTP, UDP) that the WebRtcEndpoints feeding them would add. It reports
// lost frames (queue drops and frames the muxer never got), the CPU of a
// recorded stream (% of a core), and the write pattern. One iteration is
// GORENTO_BENCH_SECONDS (default 5) seconds of media:
//
//	go test -run '^$' -bench ConcurrentRecordings -benchtime 1x ./internal/media/recorder
func BenchmarkConcurrentRecordings(b *testing.B) {
	seconds := 5
	if s := os.Getenv("GORENTO_BENCH_SECONDS"); s != "" {
		_, _ = fmt.Sscan(s, &seconds)
	}
	clip := rtpmedia.Load(b, containertest.Make(b, b.TempDir(), containertest.Spec{Video: "vp8", Audio: "opus",
		Container: "webm", Seconds: 2, GOP: 60, Size: "1280x720", VideoKbps: 1500}), rtpmedia.Options{})
	for _, n := range []int{100, 200, 400} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				benchRecordings(b, clip, n, time.Duration(seconds)*time.Second)
			}
		})
	}
}

func benchRecordings(b *testing.B, clip []rtpmedia.Packet, n int, span time.Duration) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	dir := b.TempDir()
	pipe := media.NewPipeline()
	defer pipe.Release()
	srcs := make([]*mediatest.Source, n)
	recs := make([]*Recorder, n)
	for i := range srcs {
		var err error
		if srcs[i], err = mediatest.NewSource(pipe, nil); err != nil {
			b.Fatal(err)
		}
		events := func(e media.Event) {
			if ee, ok := e.(media.ErrorEvent); ok {
				b.Errorf("recording %d: %v", i, ee.Err)
			}
		}
		if recs[i], err = New(pipe, Options{URI: fmt.Sprintf("file://%s/rec-%d.webm", dir, i)}, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, events); err != nil {
			b.Fatal(err)
		}
		for _, mt := range []media.MediaType{media.Audio, media.Video} {
			if err := media.Connect(srcs[i], recs[i], mt, media.DefaultPad, media.DefaultPad); err != nil {
				b.Fatal(err)
			}
		}
		recs[i].Record()
	}
	clipLen := clip[len(clip)-1].At + 20*time.Millisecond
	// One feeder sends every stream's packets at their times (streams start
	// staggered over 20 ms), looping the clip with continuing timestamps.
	type state struct{ seqA, seqV uint16 }
	st := make([]state, n)
	var cpu0 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &cpu0)
	start := time.Now()
	sentFrames := 0
	pkt := &media.Packet{}
	for round := 0; time.Duration(round)*clipLen < span; round++ {
		base := time.Duration(round) * clipLen
		for _, p := range clip {
			if wait := time.Until(start.Add(base + p.At)); wait > 0 {
				time.Sleep(wait)
			}
			rate := uint32(48000)
			if p.Kind == media.Video {
				rate = 90000
			}
			for i := range srcs {
				*pkt = *p.MediaPacket()
				pkt.Header.SSRC = uint32(i + 1)
				pkt.Header.Timestamp += uint32(base.Seconds() * float64(rate))
				if p.Kind == media.Video {
					pkt.Header.SequenceNumber = st[i].seqV
					st[i].seqV++
				} else {
					pkt.Header.SequenceNumber = st[i].seqA
					st[i].seqA++
				}
				srcs[i].Push(p.Kind, pkt)
			}
			if p.Kind == media.Audio || p.RTP.Marker {
				sentFrames++
			}
		}
	}
	elapsed := time.Since(start)
	// What is still queued is written before stopping (a stop drops it).
	for _, r := range recs {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if q, _ := r.Core().QueueStats(); q.Queued == 0 {
				break
			}
		}
	}
	var rtpLost uint64
	for _, r := range recs {
		for _, ts := range r.Stats().Tracks {
			rtpLost += ts.RTP.Lost + ts.RTP.Late + ts.RTP.DroppedNoKey
		}
		r.Stop()
	}
	var got, dropped, writes, bytes, maxWrite uint64
	for _, r := range recs {
		r.StopAndWait()
		s := r.Stats()
		got += s.Mux.SamplesIn
		dropped += s.Queue.Dropped
		writes += s.Mux.Writes
		bytes += uint64(s.Mux.Bytes)
		maxWrite = max(maxWrite, uint64(s.Mux.MaxWrite))
	}
	var cpu1 unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &cpu1)
	cpu := time.Duration(cpu1.Utime.Nano()+cpu1.Stime.Nano()-cpu0.Utime.Nano()-cpu0.Stime.Nano()) * time.Nanosecond
	sent := uint64(sentFrames * n)
	lost := 100 * (1 - float64(got)/float64(sent))
	b.ReportMetric(max(lost, 0), "%lost-frames")
	b.ReportMetric(100*cpu.Seconds()/elapsed.Seconds()/float64(n), "%core/stream")
	b.ReportMetric(float64(bytes)/float64(max(writes, 1)), "B/write")
	b.ReportMetric(float64(writes)/elapsed.Seconds()/float64(n), "writes/s/stream")
	b.ReportMetric(float64(dropped), "queue-drops")
	b.ReportMetric(float64(rtpLost), "rtp-lost")
	b.Logf("%d streams × %v: CPU %v (%.0f%% of one core), %d of %d frames muxed, %d writes of %.0f B on average (largest %d B)",
		n, elapsed.Round(time.Millisecond), cpu.Round(time.Millisecond), 100*cpu.Seconds()/elapsed.Seconds(), got, sent, writes,
		float64(bytes)/float64(max(writes, 1)), maxWrite)
}
