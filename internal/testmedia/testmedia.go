// Package testmedia makes and checks real media for tests: RTP made by
// gst-launch-1.0 from test sources (colours, tones), RTP decoded back to
// RGB pictures or PCM samples (on processtest's helpers), and the checks
// media tests make on them (the colour of a region, the tones in a
// sound). Nothing is downloaded.
package testmedia

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/gorento/gorento/internal/media/process/processtest"
)

// RTP caps (for DecodeVideo/DecodeAudio) of the codecs tests use.
const (
	VP8Caps  = "media=video,clock-rate=90000,encoding-name=VP8"
	H264Caps = "media=video,clock-rate=90000,encoding-name=H264"
	OpusCaps = "media=audio,clock-rate=48000,encoding-name=OPUS,payload=111,encoding-params=(string)2"
	PCMUCaps = "media=audio,clock-rate=8000,encoding-name=PCMU"
)

// MakeRTP runs `gst-launch-1.0 <pipeline> ! rtpstreampay ! filesink` and
// returns the RTP packets the pipeline produced.
func MakeRTP(t testing.TB, pipeline string) [][]byte {
	t.Helper()
	processtest.WorkerBin(t) // skips without GStreamer
	return processtest.GstRTP(t, pipeline)
}

// SolidVP8 makes frames of VP8 RTP (payload type 96) of one colour
// (0xRRGGBB), w×h at fps, a keyframe every half second.
func SolidVP8(t testing.TB, rgb uint32, w, h, fps, frames int) [][]byte {
	return MakeRTP(t, fmt.Sprintf("videotestsrc pattern=solid-color foreground-color=0xff%06x num-buffers=%d ! "+
		"video/x-raw,width=%d,height=%d,framerate=%d/1 ! vp8enc deadline=1 keyframe-max-dist=%d ! rtpvp8pay pt=96 mtu=1200",
		rgb&0xffffff, frames, w, h, fps, max(fps/2, 1)))
}

// ToneOpus makes ms milliseconds of Opus RTP (payload type 111, 20 ms
// packets) of a sine tone.
func ToneOpus(t testing.TB, freq float64, ms int) [][]byte {
	return MakeRTP(t, fmt.Sprintf("audiotestsrc freq=%g volume=0.4 num-buffers=%d samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! "+
		"opusenc frame-size=20 ! rtpopuspay pt=111", freq, ms/20))
}

// DecodeVideo decodes RTP packets into w×h RGB pictures; decode is the
// depayloader and decoder ("rtpvp8depay ! vp8dec").
func DecodeVideo(t testing.TB, pkts [][]byte, caps, decode string, w, h int) [][]byte {
	t.Helper()
	return processtest.DecodeRTP(t, pkts, caps, decode, w, h)
}

// DecodeAudio decodes RTP packets into mono samples at rate Hz; decode is
// the depayloader and decoder ("rtppcmudepay ! mulawdec").
func DecodeAudio(t testing.TB, pkts [][]byte, caps, decode string, rate int) []float64 {
	t.Helper()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.rtp"), filepath.Join(dir, "out.raw")
	var buf bytes.Buffer
	for _, p := range pkts {
		_ = binary.Write(&buf, binary.BigEndian, uint16(len(p)))
		buf.Write(p)
	}
	if err := os.WriteFile(in, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	pipe := fmt.Sprintf("filesrc location=%s ! application/x-rtp-stream,%s ! rtpstreamdepay ! %s ! audioconvert ! audioresample ! "+
		"audio/x-raw,format=S16LE,channels=1,rate=%d ! filesink location=%s", in, caps, decode, rate, out)
	if b, err := exec.Command("gst-launch-1.0", append([]string{"-q"}, processtest.SplitArgs(pipe)...)...).CombinedOutput(); err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	samples := make([]float64, len(data)/2)
	for i := range samples {
		samples[i] = float64(int16(binary.LittleEndian.Uint16(data[2*i:]))) / 32768
	}
	return samples
}

// Fraction is the share of the pixels in r (of a w-wide RGB picture) that match.
func Fraction(frame []byte, w int, r image.Rectangle, match func(r, g, b uint8) bool) float64 {
	n, hit := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			i := 3 * (y*w + x)
			n++
			if match(frame[i], frame[i+1], frame[i+2]) {
				hit++
			}
		}
	}
	if n == 0 {
		return 0
	}
	return float64(hit) / float64(n)
}

// Near returns a matcher of colours within tol of 0xRRGGBB on each channel.
func Near(rgb uint32, tol int) func(r, g, b uint8) bool {
	wr, wg, wb := int(rgb>>16&0xff), int(rgb>>8&0xff), int(rgb&0xff)
	return func(r, g, b uint8) bool {
		return abs(int(r)-wr) <= tol && abs(int(g)-wg) <= tol && abs(int(b)-wb) <= tol
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Spectrum returns the magnitude of the discrete Fourier transform of
// samples (taken at rate Hz, Hann-windowed) at each of freqs, normalised so
// that a full-scale sine at that frequency is about 0.5.
func Spectrum(samples []float64, rate float64, freqs ...float64) []float64 {
	n := len(samples)
	out := make([]float64, len(freqs))
	for k, f := range freqs {
		var re, im float64
		w := 2 * math.Pi * f / rate
		for i, s := range samples {
			hann := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
			re += s * hann * math.Cos(w*float64(i))
			im -= s * hann * math.Sin(w*float64(i))
		}
		out[k] = 2 * math.Hypot(re, im) / float64(n)
	}
	return out
}
