package processtest

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

// Media for the tests of transcoding and hubs: solid colours and tones in,
// colours and the spectrum of what comes out.

// RTP caps of the other codecs tests decode (see VP8Caps).
const (
	H264Caps = "media=video,clock-rate=90000,encoding-name=H264"
	OpusCaps = "media=audio,clock-rate=48000,encoding-name=OPUS,payload=111,encoding-params=(string)2"
	PCMUCaps = "media=audio,clock-rate=8000,encoding-name=PCMU"
)

// SolidVP8 makes frames of VP8 RTP (payload type 96) of one colour
// (0xRRGGBB), w×h at fps, a keyframe every half second.
func SolidVP8(t testing.TB, rgb uint32, w, h, fps, frames int) [][]byte {
	WorkerBin(t) // skips without GStreamer
	return GstRTP(t, fmt.Sprintf("videotestsrc pattern=solid-color foreground-color=0xff%06x num-buffers=%d ! "+
		"video/x-raw,width=%d,height=%d,framerate=%d/1 ! vp8enc deadline=1 keyframe-max-dist=%d ! rtpvp8pay pt=96 mtu=1200",
		rgb&0xffffff, frames, w, h, fps, max(fps/2, 1)))
}

// ToneOpus makes ms milliseconds of Opus RTP (payload type 111, 20 ms
// packets) of a sine tone.
func ToneOpus(t testing.TB, freq float64, ms int) [][]byte {
	WorkerBin(t)
	return GstRTP(t, fmt.Sprintf("audiotestsrc freq=%g volume=0.25 num-buffers=%d samplesperbuffer=960 ! audio/x-raw,rate=48000,channels=2 ! "+
		"opusenc frame-size=20 ! rtpopuspay pt=111", freq, ms/20))
}

// DecodeAudio decodes RTP packets into mono samples at rate Hz; decode is
// the depayloader and decoder ("rtppcmudepay ! mulawdec").
func DecodeAudio(t testing.TB, pkts [][]byte, caps, decode string, rate int) []float64 {
	t.Helper()
	data := decodeWith(t, pkts, caps, fmt.Sprintf("%s ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=%d", decode, rate))
	samples := make([]float64, len(data)/2)
	for i := range samples {
		samples[i] = float64(int16(binary.LittleEndian.Uint16(data[2*i:]))) / 32768
	}
	return samples
}

// Near returns a matcher (for Fraction) of colours within tol of 0xRRGGBB
// on each channel.
func Near(rgb uint32, tol int) func(r, g, b uint8) bool {
	want := [3]int{int(rgb >> 16 & 0xff), int(rgb >> 8 & 0xff), int(rgb & 0xff)}
	return func(r, g, b uint8) bool {
		for i, v := range [3]uint8{r, g, b} {
			if d := int(v) - want[i]; d > tol || d < -tol {
				return false
			}
		}
		return true
	}
}

// Spectrum returns the magnitude of the discrete Fourier transform of
// samples (taken at rate Hz, Hann-windowed) at each of freqs, normalised so
// that a sine of amplitude A at that frequency gives about A/2.
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

// CheckMixMinus checks what participant own of a mix-minus hears: levels
// are the Spectrum at each participant's tone frequency (freqs). Every
// other voice must be there, at 0.01 at least and a quarter of the loudest
// other voice; its own must not (0.01 and an eighth of the loudest at
// most). Relative levels because a loaded machine may thin every sender's
// stream, never mix in the own voice.
func CheckMixMinus(t testing.TB, own int, freqs, levels []float64) {
	t.Helper()
	loudest := 0.0
	for i, l := range levels {
		if i != own {
			loudest = max(loudest, l)
		}
	}
	for i, l := range levels {
		if i == own && (l > 0.01 || l > loudest/8) {
			t.Errorf("participant %d hears itself (%.0f Hz at %.3f): levels %.3f", own, freqs[i], l, levels)
		}
		if i != own && (l < 0.01 || l < loudest/4) {
			t.Errorf("participant %d does not hear participant %d (%.0f Hz at %.3f): levels %.3f", own, i, freqs[i], l, levels)
		}
	}
}
