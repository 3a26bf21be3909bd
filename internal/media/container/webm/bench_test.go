package webm_test

import (
	"bytes"
	"testing"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/container/webm"
	"github.com/gorento/gorento/internal/media/frames"
)

// BenchmarkMuxWebM: VP8 720p-sized frames (~10 kB, 60 kB keyframes) and Opus.
func BenchmarkMuxWebM(b *testing.B) {
	key := append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02}, make([]byte, 60000)...)
	inter := append([]byte{0x11, 0x02, 0x00}, make([]byte, 10000)...)
	containertest.BenchMux(b, func(w *containertest.CountingWriter) (*container.Muxer, error) {
		return webm.NewMuxer(w, webm.WebM, []container.Track{{Codec: frames.VP8}, {Codec: frames.Opus, Channels: 2}})
	}, key, inter)
}

// BenchmarkMuxMKVH264: H.264 (Annex B converted to length prefixes) and Opus.
func BenchmarkMuxMKVH264(b *testing.B) {
	params := []byte{0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0, 0, 3, 0, 0x10, 0, 0, 3, 3, 0xc0, 0xf1, 0x42, 0xa4, 0x80,
		0, 0, 0, 1, 0x68, 0xcb, 0x83, 0xcb, 0x20}
	key := append(append(params, 0, 0, 0, 1, 0x65), bytes.Repeat([]byte{7}, 60000)...)
	inter := append([]byte{0, 0, 0, 1, 0x41}, bytes.Repeat([]byte{7}, 10000)...)
	containertest.BenchMux(b, func(w *containertest.CountingWriter) (*container.Muxer, error) {
		return webm.NewMuxer(w, webm.Matroska, []container.Track{{Codec: frames.H264}, {Codec: frames.Opus, Channels: 2}})
	}, key, inter)
}
