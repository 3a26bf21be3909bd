package source_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/internal/media/player/sourcetest"
)

func TestRTSP(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // runs last, after the server stopped
	dir := t.TempDir()
	base := sourcetest.StartRTSP(t, containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "opus", Container: "mp4", GOP: 15}))

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
