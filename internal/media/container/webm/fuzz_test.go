package webm_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/webm"
	"github.com/gorento/gorento/internal/media/frames"
)

// seedFile muxes a short synthetic stream (no ffmpeg needed).
func seedFile(tb testing.TB, doc webm.DocType, video frames.Codec) []byte {
	tb.Helper()
	out := &growingFile{}
	tracks := []container.Track{{Codec: video, Width: 64, Height: 48}, {Codec: frames.Opus, Channels: 2}}
	if video == frames.H264 {
		tracks[1] = container.Track{Codec: frames.AAC, SampleRate: 48000, Channels: 2}
	}
	m, err := webm.NewMuxer(out, doc, tracks, container.WithFragmentDuration(200*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	key := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x00, 0x30, 0x00, 7, 7}
	if video == frames.H264 {
		key = []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0, 0, 3, 0, 0x10, 0, 0, 3, 3, 0xc0, 0xf1, 0x42, 0xa4, 0x80,
			0, 0, 0, 1, 0x68, 0xcb, 0x83, 0xcb, 0x20, 0, 0, 0, 1, 0x65, 1, 2, 3}
	}
	for i := 0; i < 30; i++ {
		at := time.Duration(i) * 33 * time.Millisecond
		data := []byte{0x11, 0, 0, byte(i)}
		if video == frames.H264 {
			data = []byte{0, 0, 0, 1, 0x41, byte(i)}
		}
		if i%10 == 0 {
			data = key
		}
		_ = m.WriteSample(container.Sample{Track: 0, PTS: at, Keyframe: i%10 == 0, Data: data})
		_ = m.WriteSample(container.Sample{Track: 1, PTS: at, Data: []byte{0xfc, byte(i)}})
	}
	if err := m.Close(); err != nil {
		tb.Fatal(err)
	}
	return out.b
}

// FuzzDemux reads arbitrary bytes as WebM/Matroska: no panic, no hang, no
// allocation beyond the limits; reading, duration and seeking all return.
func FuzzDemux(f *testing.F) {
	for _, s := range [][]byte{seedFile(f, webm.WebM, frames.VP8), seedFile(f, webm.Matroska, frames.H264)} {
		f.Add(s)
		f.Add(s[:len(s)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := webm.NewDemuxer(bytes.NewReader(data), webm.WithLimits(container.DemuxLimits{MaxElement: 1 << 20, MaxIndexEntries: 1000}))
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
