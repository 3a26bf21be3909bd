package source_test

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"go.uber.org/goleak"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/container/mp4"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/player/source"
)

// rtspServer is an in-process RTSP server (TCP only: the client falls
// back to interleaved TCP) serving /cam, a looped H.264+Opus file sent in
// real time, and /h265, a stream in a codec gorento does not play.
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

func startRTSP(t *testing.T, file string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	d, err := mp4.NewDemuxer(f)
	if err != nil {
		t.Fatal(err)
	}
	sps, pps, _, err := container.ParseAVCConfig(d.Tracks()[0].CodecConfig)
	if err != nil {
		t.Fatal(err)
	}
	video := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{&format.H264{PayloadTyp: 96, PacketizationMode: 1, SPS: sps[0], PPS: pps[0]}}}
	audio := &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{&format.Opus{PayloadTyp: 111, ChannelCount: 2}}}
	h265 := &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{&format.H265{PayloadTyp: 96}}}

	s := &rtspServer{streams: map[string]*gortsplib.ServerStream{}, stop: make(chan struct{})}
	s.srv = &gortsplib.Server{Handler: s, RTSPAddress: "127.0.0.1:0"}
	if err := s.srv.Start(); err != nil {
		t.Fatal(err)
	}
	for path, medias := range map[string][]*description.Media{"/cam": {video, audio}, "/h265": {h265}} {
		st := &gortsplib.ServerStream{Server: s.srv, Desc: &description.Session{Medias: medias}}
		if err := st.Initialize(); err != nil {
			t.Fatal(err)
		}
		s.streams[path] = st
	}
	pk := map[int]*frames.Packetizer{}
	for i, c := range []frames.Codec{frames.H264, frames.Opus} {
		pk[i], _ = frames.NewPacketizer(frames.PacketizerConfig{Codec: c, PayloadType: []uint8{96, 111}[i]})
	}
	s.wg.Add(1)
	go func() { // sends the file in real time, looped, until stop
		defer s.wg.Done()
		start := time.Now()
		var loop time.Duration
		for {
			smp, err := d.ReadSample()
			if errors.Is(err, io.EOF) {
				loop += 4 * time.Second
				if _, err := d.Seek(0); err != nil {
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
			medi := []*description.Media{video, audio}[smp.Track]
			for _, p := range pkts {
				_ = s.streams["/cam"].WritePacketRTP(medi, p)
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

func TestRTSP(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs last, after the server stopped
	dir := t.TempDir()
	base := startRTSP(t, containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "opus", Container: "mp4", GOP: 15}))

	t.Run("play", func(t *testing.T) {
		s, err := source.Open(context.Background(), base+"/cam", source.Options{NetworkCache: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		tr := s.Tracks()
		if len(tr) != 2 || tr[0].Codec != frames.H264 || tr[0].Width != 320 || tr[1].Codec != frames.Opus || !s.Live() || s.Seekable() {
			t.Fatalf("tracks %+v", tr)
		}
		var video, audio int
		var last time.Duration
		deadline := time.After(30 * time.Second)
		for video < 30 || audio < 50 {
			type res struct {
				s   container.Sample
				err error
			}
			ch := make(chan res, 1)
			go func() { smp, err := s.ReadSample(); ch <- res{smp, err} }()
			var r res
			select {
			case r = <-ch:
			case <-deadline:
				t.Fatalf("after 30 s: %d video, %d audio frames", video, audio)
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.s.Track == 0 {
				if video == 0 {
					if !r.s.Keyframe {
						t.Fatal("first video frame is not a keyframe")
					}
					if sps, pps := frames.H264ParameterSets(r.s.Data); sps == nil || pps == nil {
						t.Fatal("keyframe without SPS/PPS")
					}
				} else if r.s.PTS <= last {
					t.Fatalf("video PTS %v after %v", r.s.PTS, last)
				}
				last = r.s.PTS
				video++
			} else {
				audio++
			}
		}
		closed := make(chan struct{})
		go func() { _ = s.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("Close hangs")
		}
		if _, err := s.ReadSample(); err == nil {
			t.Fatal("ReadSample after Close")
		}
	})
	t.Run("errors", func(t *testing.T) {
		if _, err := source.Open(context.Background(), base+"/missing", source.Options{}); !errors.Is(err, source.ErrInvalidURI) {
			t.Errorf("missing path: %v", err)
		}
		if _, err := source.Open(context.Background(), base+"/h265", source.Options{}); !errors.Is(err, source.ErrInvalidMedia) {
			t.Errorf("H.265 only: %v", err)
		}
	})
}
