package media

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
)

// LoadIVF reads a VP8 IVF file into a looped video track.
func LoadIVF(path string) (*Track, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, h, err := ivfreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("ivf %s: %w", path, err)
	}
	if h.TimebaseNumerator == 0 || h.TimebaseDenominator == 0 {
		return nil, fmt.Errorf("ivf %s: no timebase", path)
	}
	frameDur := time.Duration(float64(time.Second) * float64(h.TimebaseNumerator) / float64(h.TimebaseDenominator))
	t := &Track{Kind: "video", ClockRate: 90000}
	for {
		frame, _, err := r.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ivf %s: %w", path, err)
		}
		if len(frame) == 0 {
			continue
		}
		t.Frames = append(t.Frames, Frame{Payloads: packetizeVP8(frame), Duration: frameDur,
			TSStep: uint32(frameDur.Seconds() * 90000), Key: frame[0]&1 == 0})
	}
	if len(t.Frames) == 0 {
		return nil, fmt.Errorf("ivf %s: no frames", path)
	}
	return t, nil
}

// LoadOpus reads an Ogg Opus file into a looped audio track, one RTP
// payload per Opus packet (20 ms as encoded by ffmpeg's libopus).
func LoadOpus(path string) (*Track, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pkts, err := oggPackets(data)
	if err != nil {
		return nil, fmt.Errorf("ogg %s: %w", path, err)
	}
	t := &Track{Kind: "audio", ClockRate: 48000}
	for i, p := range pkts {
		if i < 2 { // OpusHead, OpusTags
			continue
		}
		t.Frames = append(t.Frames, Frame{Payloads: opusPayload(p), Duration: 20 * time.Millisecond, TSStep: 960})
	}
	if len(t.Frames) == 0 {
		return nil, fmt.Errorf("ogg %s: no audio packets", path)
	}
	return t, nil
}

// oggPackets splits an Ogg stream into its packets (RFC 3533 lacing).
func oggPackets(data []byte) ([][]byte, error) {
	var out [][]byte
	var cur []byte
	for len(data) > 0 {
		if len(data) < 27 || string(data[:4]) != "OggS" {
			return nil, errors.New("bad page header")
		}
		nseg := int(data[26])
		if len(data) < 27+nseg {
			return nil, errors.New("truncated page")
		}
		lacing := data[27 : 27+nseg]
		body := data[27+nseg:]
		for _, l := range lacing {
			if len(body) < int(l) {
				return nil, errors.New("truncated segment")
			}
			cur = append(cur, body[:l]...)
			body = body[l:]
			if l < 255 {
				out = append(out, cur)
				cur = nil
			}
		}
		data = body
	}
	return out, nil
}

// Load returns the IVF+Opus media from files.
func Load(ivf, ogg string) (*Media, error) {
	v, err := LoadIVF(ivf)
	if err != nil {
		return nil, err
	}
	a, err := LoadOpus(ogg)
	if err != nil {
		return nil, err
	}
	return &Media{Name: "vp8-720p-ivf+opus", Video: v, Audio: a}, nil
}
