package mp4_test

import (
	"bytes"
	"testing"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/container/mp4"
	"github.com/gorento/gorento/internal/media/frames"
)

// BenchmarkMuxMP4: H.264 720p-sized frames and Opus into fragmented MP4.
func BenchmarkMuxMP4(b *testing.B) {
	params := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0, 0, 3, 0, 0x10, 0, 0, 3, 3, 0xc0, 0xf1, 0x42, 0xa4, 0x80,
		0, 0, 0, 1, 0x68, 0xcb, 0x83, 0xcb, 0x20}
	key := append(append(params, 0, 0, 0, 1, 0x65), bytes.Repeat([]byte{7}, 60000)...)
	inter := append([]byte{0, 0, 0, 1, 0x41}, bytes.Repeat([]byte{7}, 10000)...)
	containertest.BenchMux(b, func(w *containertest.CountingWriter) (*container.Muxer, error) {
		return mp4.NewMuxer(w, []container.Track{{Codec: frames.H264}, {Codec: frames.Opus, Channels: 2}})
	}, key, inter)
}
