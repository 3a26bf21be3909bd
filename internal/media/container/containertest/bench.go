package containertest

import (
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/container"
)

// CountingWriter counts bytes and writes (the muxers' write pattern).
type CountingWriter struct {
	Bytes, Writes int64
}

func (w *CountingWriter) Write(p []byte) (int, error) {
	w.Bytes += int64(len(p))
	w.Writes++
	return len(p), nil
}

// BenchMux feeds b.N frames — 720p-sized video (30 fps, keyframe every
// 2 s) interleaved with Opus-sized audio (50 fps), so one op is one frame
// of either — to a muxer made by mk, and reports time and allocations per
// frame and bytes per write.
func BenchMux(b *testing.B, mk func(w *CountingWriter) (*container.Muxer, error), key, inter []byte) {
	w := &CountingWriter{}
	m, err := mk(w)
	if err != nil {
		b.Fatal(err)
	}
	audio := make([]byte, 120)
	audio[0] = 0xfc
	b.ReportAllocs()
	b.ResetTimer()
	var v, a time.Duration
	for i := 0; i < b.N; i++ {
		if v <= a {
			n := int(v / (time.Second / 30))
			data := inter
			if n%60 == 0 {
				data = key
			}
			if err := m.WriteSample(container.Sample{Track: 0, PTS: v, Keyframe: n%60 == 0, Data: data}); err != nil {
				b.Fatal(err)
			}
			v += time.Second / 30
		} else {
			if err := m.WriteSample(container.Sample{Track: 1, PTS: a, Keyframe: true, Data: audio}); err != nil {
				b.Fatal(err)
			}
			a += 20 * time.Millisecond
		}
	}
	b.StopTimer()
	if err := m.Close(); err != nil {
		b.Fatal(err)
	}
	if w.Writes > 0 {
		b.ReportMetric(float64(w.Bytes)/float64(w.Writes), "B/write")
	}
}
