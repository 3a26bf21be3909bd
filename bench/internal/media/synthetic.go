package media

import (
	"math/rand/v2"
	"time"
)

// Synthetic builds a stand-in for the 720p VP8 + Opus media without ffmpeg:
// 30 frames/s with a keyframe every 90 frames, frame sizes averaging the
// given video bit rate (a keyframe is 5× a delta frame), and 20 ms audio
// packets of 80 bytes. The bytes are random but each frame starts with a
// valid VP8 frame tag so servers that peek at keyframes see the right bit.
func Synthetic(videoBps int) *Media {
	const fps, gop = 30, 90
	r := rand.New(rand.NewPCG(1, 2))
	avg := videoBps / 8 / fps
	// gop frames: 1 key of 5u + (gop-1) deltas of u = avg*gop  →  u = avg*gop/(gop+4)
	u := avg * gop / (gop + 4)
	v := &Track{Kind: "video", ClockRate: 90000}
	for i := 0; i < gop*4; i++ {
		size := u + r.IntN(u/5) - u/10
		key := i%gop == 0
		if key {
			size = 5 * u
		}
		f := make([]byte, size)
		for j := range f {
			f[j] = byte(r.Uint32())
		}
		f[0] = 0x10 // show_frame, version 0; bit 0 = 0 means keyframe
		if !key {
			f[0] |= 1
		}
		v.Frames = append(v.Frames, Frame{Payloads: packetizeVP8(f), Duration: time.Second / fps, TSStep: 90000 / fps, Key: key})
	}
	a := &Track{Kind: "audio", ClockRate: 48000}
	for i := 0; i < 50; i++ {
		p := make([]byte, 80)
		p[0] = 0x78 // an Opus TOC byte (CELT, 20 ms)
		for j := 1; j < len(p); j++ {
			p[j] = byte(r.Uint32())
		}
		a.Frames = append(a.Frames, Frame{Payloads: opusPayload(p), Duration: 20 * time.Millisecond, TSStep: 960})
	}
	return &Media{Name: "synthetic", Video: v, Audio: a}
}
