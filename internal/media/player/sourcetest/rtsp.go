// Package sourcetest serves test media the way players meet it: an
// in-process RTSP server (gortsplib) streaming a file made at test time in
// real time, looped. Only 127.0.0.1.
package sourcetest

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/player/source"
)

// rtspServer serves /cam (the file, looped, sent in real time) and /h265
// (a stream in a codec gorento does not play).
type rtspServer struct {
	srv     *gortsplib.Server
	streams map[string]*gortsplib.ServerStream
	stop    chan struct{}
	wg      sync.WaitGroup
}

func (s *rtspServer) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if st := s.streams[ctx.Path]; st != nil {
		return &base.Response{StatusCode: base.StatusOK}, st, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
}

func (s *rtspServer) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if st := s.streams[ctx.Path]; st != nil {
		return &base.Response{StatusCode: base.StatusOK}, st, nil
	}
	return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
}

func (s *rtspServer) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// trackFormat describes a file track to RTSP clients.
func trackFormat(t *testing.T, tr container.Track, pt uint8) format.Format {
	switch tr.Codec {
	case frames.H264:
		sps, pps, _, err := container.ParseAVCConfig(tr.CodecConfig)
		if err != nil || len(sps) == 0 || len(pps) == 0 {
			t.Fatalf("H.264 track without parameter sets: %v", err)
		}
		return &format.H264{PayloadTyp: pt, PacketizationMode: 1, SPS: sps[0], PPS: pps[0]}
	case frames.VP8:
		return &format.VP8{PayloadTyp: pt}
	case frames.Opus:
		return &format.Opus{PayloadTyp: pt, ChannelCount: max(tr.Channels, 1)}
	}
	t.Fatalf("sourcetest: no RTSP format for %v", tr.Codec)
	return nil
}

// StartRTSP serves file (WebM or MP4 with H.264/VP8 and Opus) at
// <url>/cam until the test ends and returns the base rtsp:// URL.
func StartRTSP(t *testing.T, file string) string {
	t.Helper()
	src, err := source.Open(context.Background(), "file://"+file, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dur, _ := src.Duration()
	var medias []*description.Media
	pk := map[int]*frames.Packetizer{}
	for i, tr := range src.Tracks() {
		pt := uint8(96 + i)
		typ := description.MediaTypeAudio
		if tr.Codec.IsVideo() {
			typ = description.MediaTypeVideo
		}
		medias = append(medias, &description.Media{Type: typ, Formats: []format.Format{trackFormat(t, tr, pt)}})
		if pk[i], err = frames.NewPacketizer(frames.PacketizerConfig{Codec: tr.Codec, PayloadType: pt}); err != nil {
			t.Fatal(err)
		}
	}
	h265 := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{&format.H265{PayloadTyp: 96}}}

	s := &rtspServer{streams: map[string]*gortsplib.ServerStream{}, stop: make(chan struct{})}
	s.srv = &gortsplib.Server{Handler: s, RTSPAddress: "127.0.0.1:0"}
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	for path, ms := range map[string][]*description.Media{"/cam": medias, "/h265": {h265}} {
		st := &gortsplib.ServerStream{Server: s.srv, Desc: &description.Session{Medias: ms}}
		if err := st.Initialize(); err != nil {
			t.Fatal(err)
		}
		s.streams[path] = st
	}
	s.wg.Add(1)
	go func() { // sends the file in real time, looped, until stop
		defer s.wg.Done()
		defer src.Close()
		start := time.Now()
		var loop time.Duration
		for {
			smp, err := src.ReadSample()
			if errors.Is(err, io.EOF) {
				loop += dur
				if _, err := src.Seek(0); err != nil {
					return
				}
				continue
			}
			if err != nil {
				return
			}
			at := loop + smp.PTS
			select {
			case <-s.stop:
				return
			case <-time.After(time.Until(start.Add(at))):
			}
			pkts, _ := pk[smp.Track].Packetize(nil, smp.Data, at)
			for _, p := range pkts {
				_ = s.streams["/cam"].WritePacketRTP(medias[smp.Track], p)
			}
		}
	}()
	t.Cleanup(func() {
		close(s.stop)
		s.wg.Wait()
		for _, st := range s.streams {
			st.Close()
		}
		s.srv.Close()
	})
	return "rtsp://" + s.srv.NetListener().Addr().String()
}
