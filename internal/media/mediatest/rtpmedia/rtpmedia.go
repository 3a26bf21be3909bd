// Package rtpmedia turns media files made by ffmpeg at test time
// (containertest.Make) into the RTP a WebRTC publisher would send, for
// tests of elements that take real media: recorders, transcoders, players'
// receivers. Packets carry each track's media.Codec and the time at which
// a real-time sender would send them.
package rtpmedia

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/player/source"
)

// Packet is one RTP packet of a track, due at At (media time from the
// file's start).
type Packet struct {
	Kind  media.MediaType
	At    time.Duration
	Codec *media.Codec
	RTP   *rtp.Packet
	// Keyframe is set on every packet of a video keyframe.
	Keyframe bool
}

// Codecs as a browser negotiates them.
var (
	VP8  = &media.Codec{MimeType: "video/VP8", ClockRate: 90000}
	VP9  = &media.Codec{MimeType: "video/VP9", ClockRate: 90000, Fmtp: "profile-id=0"}
	H264 = &media.Codec{MimeType: "video/H264", ClockRate: 90000,
		Fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	Opus = &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2, Fmtp: "minptime=10;useinbandfec=1"}
)

// CodecOf returns the browser codec of a frames codec (nil if none).
func CodecOf(c frames.Codec) *media.Codec {
	switch c {
	case frames.VP8:
		return VP8
	case frames.VP9:
		return VP9
	case frames.H264:
		return H264
	case frames.Opus:
		return Opus
	}
	return nil
}

// Options tune Load.
type Options struct {
	// TSBase sets the first RTP timestamp of every track (0: random), to
	// test wrapping.
	TSBase uint32
	// SSRCs per kind (0: random).
	AudioSSRC, VideoSSRC uint32
}

// Load reads the file at path and packetises every frame, in time order.
func Load(t testing.TB, path string, o Options) []Packet {
	t.Helper()
	ps, err := Read(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// Read is Load for callers without a testing.TB (test tools).
func Read(path string, o Options) ([]Packet, error) {
	src, err := source.Open(context.Background(), "file://"+path, source.Options{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	type trk struct {
		kind  media.MediaType
		codec *media.Codec
		pz    *frames.Packetizer
	}
	var tracks []trk
	for _, tr := range src.Tracks() {
		c := CodecOf(tr.Codec)
		if c == nil {
			return nil, fmt.Errorf("%s: no browser codec for %v", path, tr.Codec)
		}
		kind, ssrc := media.Audio, o.AudioSSRC
		if tr.Codec.IsVideo() {
			kind, ssrc = media.Video, o.VideoSSRC
		}
		pt := uint8(111)
		if kind == media.Video {
			pt = 96
		}
		pz, err := frames.NewPacketizer(frames.PacketizerConfig{Codec: tr.Codec, PayloadType: pt, SSRC: ssrc, TSBase: o.TSBase})
		if err != nil {
			return nil, err
		}
		tracks = append(tracks, trk{kind, c, pz})
	}
	var out []Packet
	var buf []*rtp.Packet
	for {
		s, err := src.ReadSample()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		tr := tracks[s.Track]
		buf, err = tr.pz.Packetize(buf[:0], s.Data, s.PTS)
		if err != nil {
			return nil, err
		}
		for _, p := range buf {
			out = append(out, Packet{Kind: tr.kind, At: s.PTS, Codec: tr.codec, RTP: p, Keyframe: s.Keyframe && tr.kind == media.Video})
		}
	}
	sortByTime(out)
	return out, nil
}

// sortByTime orders packets by due time, keeping each track's order.
func sortByTime(ps []Packet) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].At < ps[j].At })
}

// MediaPacket converts p to the graph's packet.
func (p Packet) MediaPacket() *media.Packet {
	return &media.Packet{Header: p.RTP.Header, Payload: p.RTP.Payload, Codec: p.Codec}
}

// Name describes the codecs of a packet list ("VP8+opus").
func Name(ps []Packet) string {
	var v, a string
	for _, p := range ps {
		mime := p.Codec.MimeType[strings.IndexByte(p.Codec.MimeType, '/')+1:]
		if p.Kind == media.Video {
			v = mime
		} else {
			a = mime
		}
	}
	return v + "+" + a
}
