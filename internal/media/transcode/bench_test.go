package transcode_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/media/transcode"
)

// BenchmarkTranscoderSharing: a VP8 640x480@30 source and 1, 2, 4 and 8
// receivers that take only H.264: they share one encoder, so the worker's
// CPU stays flat as receivers are added. Run by hand (figures in
// docs/performance.md):
//
//	GORENTO_WORKER_BIN=$PWD/.build/gorento-worker go test -run '^$' -bench TranscoderSharing -benchtime 1x ./internal/media/transcode
func BenchmarkTranscoderSharing(b *testing.B) {
	if os.Getenv("GORENTO_WORKER_BIN") == "" {
		b.Skip("set GORENTO_WORKER_BIN (./dev builds .build/gorento-worker)")
	}
	in := processtest.GstRTP(b, "videotestsrc pattern=ball num-buffers=150 ! video/x-raw,width=640,height=480,framerate=30/1 ! "+
		"vp8enc deadline=1 keyframe-max-dist=60 target-bitrate=1000000 ! rtpvp8pay pt=96 mtu=1200")
	for _, n := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("receivers=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m := process.NewManager(process.Config{WorkerPath: processtest.WorkerBin(b), HangTimeout: 30 * time.Second})
				p := media.NewPipeline(media.WithTranscoders(&transcode.Factory{Backend: m, Key: "bench"}))
				src, err := mediatest.NewSource(p, nil)
				if err != nil {
					b.Fatal(err)
				}
				src.SetCodec(media.Video, mediatest.VP8)
				for k := 0; k < n; k++ {
					s, err := mediatest.NewSink(p, mediatest.SinkOptions{Codecs: []*media.Codec{h264}}, nil)
					if err != nil {
						b.Fatal(err)
					}
					if err := media.Connect(src, s, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
						b.Fatal(err)
					}
				}
				pid := m.WorkerPID("bench")
				cpu0 := processtest.ProcCPU(pid)
				play(b, src, media.Video, mediatest.VP8, in)
				time.Sleep(300 * time.Millisecond)
				cpu := processtest.ProcCPU(pid) - cpu0
				b.ReportMetric(float64(cpu.Microseconds())/1000/150, "worker-cpu-ms/frame")
				b.ReportMetric(float64(cpu)/float64(5*time.Second)*100, "worker-cpu-%")
				p.Release()
				_ = m.Close()
			}
		})
	}
}
