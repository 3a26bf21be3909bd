package mp4_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/mp4"
	"github.com/gorento/gorento/internal/media/frames"
)

func seedFile(tb testing.TB) []byte {
	tb.Helper()
	out := &growingFile{}
	m, err := mp4.NewMuxer(out, []container.Track{{Codec: frames.H264}, {Codec: frames.AAC, SampleRate: 48000, Channels: 2}},
		container.WithFragmentDuration(200*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	key := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0, 0, 3, 0, 0x10, 0, 0, 3, 3, 0xc0, 0xf1, 0x42, 0xa4, 0x80,
		0, 0, 0, 1, 0x68, 0xcb, 0x83, 0xcb, 0x20, 0, 0, 0, 1, 0x65, 1, 2, 3}
	for i := 0; i < 30; i++ {
		at := time.Duration(i) * 33 * time.Millisecond
		data := []byte{0, 0, 0, 1, 0x41, byte(i)}
		if i%10 == 0 {
			data = key
		}
		_ = m.WriteSample(container.Sample{Track: 0, PTS: at, Keyframe: i%10 == 0, Data: data})
		_ = m.WriteSample(container.Sample{Track: 1, PTS: at, Data: []byte{0x21, byte(i)}})
	}
	if err := m.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.b
}

// FuzzDemux reads arbitrary bytes as MP4: no panic, no hang, nothing
// allocated beyond the limits.
func FuzzDemux(f *testing.F) {
	s := seedFile(f)
	f.Add(s)
	f.Add(s[:len(s)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := mp4.NewDemuxer(bytes.NewReader(data), mp4.WithLimits(container.DemuxLimits{MaxElement: 1 << 20, MaxIndexEntries: 10000}))
		if err != nil {
			return
		}
		_, _ = d.Duration()
		for i := 0; i < 1000; i++ {
			if _, err := d.ReadSample(); err != nil {
				break
			}
		}
		if d.Seekable() {
			if _, err := d.Seek(300 * time.Millisecond); err == nil {
				for i := 0; i < 100; i++ {
					if _, err := d.ReadSample(); err != nil {
						break
					}
				}
			}
		}
	})
}
