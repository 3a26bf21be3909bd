package webm_test

import (
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/container/webm"
	"github.com/gorento/gorento/internal/media/frames"
)

func readAll(t testing.TB, d container.Demuxer) []container.Sample {
	t.Helper()
	var out []container.Sample
	for {
		s, err := d.ReadSample()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
}

func openDemuxer(t testing.TB, path string) *webm.Demuxer {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	d, err := webm.NewDemuxer(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDemuxFFmpegFiles(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec         containertest.Spec
		video, audio frames.Codec
	}{
		{containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm"}, frames.VP8, frames.Opus},
		{containertest.Spec{Video: "vp9", Audio: "opus", Container: "webm"}, frames.VP9, frames.Opus},
		{containertest.Spec{Video: "h264", Audio: "aac", Container: "mkv"}, frames.H264, frames.AAC},
	} {
		t.Run(tc.spec.Video+"-"+tc.spec.Audio, func(t *testing.T) {
			d := openDemuxer(t, containertest.Make(t, dir, tc.spec))
			tr := d.Tracks()
			if len(tr) != 2 || tr[0].Codec != tc.video || tr[1].Codec != tc.audio {
				t.Fatalf("tracks %+v", tr)
			}
			if tr[0].Width != 320 || tr[0].Height != 240 || tr[1].SampleRate != 48000 || tr[1].Channels != 2 {
				t.Fatalf("track parameters %+v", tr)
			}
			dur, ok := d.Duration()
			if !ok || math.Abs(dur.Seconds()-4) > 0.1 {
				t.Fatalf("duration %v %v", dur, ok)
			}
			samples := readAll(t, d)
			var nv, na, keys int
			for _, s := range samples {
				if s.Track == 0 {
					if nv == 0 && !s.Keyframe {
						t.Fatal("first video sample is not a keyframe")
					}
					nv++
					if s.Keyframe {
						keys++
						if tc.video == frames.H264 && !frames.H264Keyframe(s.Data) {
							t.Fatal("H.264 keyframe without IDR")
						}
						if tc.video == frames.H264 {
							if sps, pps := frames.H264ParameterSets(s.Data); sps == nil || pps == nil {
								t.Fatal("H.264 keyframe without SPS/PPS")
							}
						}
					}
				} else {
					na++
				}
			}
			if nv != 120 || keys != 4 || na < 150 {
				t.Fatalf("%d video samples (%d keyframes), %d audio", nv, keys, na)
			}
		})
	}
}

// remux copies a demuxed file into a muxer with the samples' times shifted
// by offset (a recording's clock does not start at 0).
func remux(t testing.TB, d container.Demuxer, m *container.Muxer, offset time.Duration) {
	t.Helper()
	for {
		s, err := d.ReadSample()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		s.PTS += offset
		if err := m.WriteSample(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func checkProbe(t testing.TB, path string, video, audio string, dur float64) *containertest.Probe {
	t.Helper()
	p := containertest.ProbeFile(t, path, true)
	if p.Codec("video") != video || p.Codec("audio") != audio {
		t.Fatalf("codecs %q %q, want %q %q", p.Codec("video"), p.Codec("audio"), video, audio)
	}
	if math.Abs(p.Duration()-dur) > 0.5 {
		t.Fatalf("duration %.3f, want %.1f±0.5", p.Duration(), dur)
	}
	if video != "" {
		_, keys := p.FrameTimes("video")
		if len(keys) == 0 || !keys[0] {
			t.Fatal("first video frame is not a keyframe")
		}
	}
	if off := p.StartOffset(); off > 0.050 {
		t.Fatalf("audio/video start offset %.3f s", off)
	}
	return p
}

func TestRemux(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec         containertest.Spec
		doc          webm.DocType
		video, audio string
	}{
		{containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm"}, webm.WebM, "vp8", "opus"},
		{containertest.Spec{Video: "vp9", Audio: "opus", Container: "webm"}, webm.WebM, "vp9", "opus"},
		{containertest.Spec{Video: "h264", Audio: "aac", Container: "mkv"}, webm.Matroska, "h264", "aac"},
		{containertest.Spec{Video: "h264", Audio: "opus", Container: "mkv"}, webm.Matroska, "h264", "opus"},
		{containertest.Spec{Audio: "opus", Container: "webm"}, webm.WebM, "", "opus"},
		{containertest.Spec{Video: "vp8", Container: "webm"}, webm.WebM, "vp8", ""},
	} {
		t.Run(tc.video+"-"+tc.audio, func(t *testing.T) {
			d := openDemuxer(t, containertest.Make(t, dir, tc.spec))
			out := filepath.Join(dir, "out-"+tc.video+"-"+tc.audio+"."+tc.spec.Container)
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := webm.NewMuxer(f, tc.doc, d.Tracks())
			if err != nil {
				t.Fatal(err)
			}
			remux(t, d, m, 1234*time.Second)
			checkProbe(t, out, tc.video, tc.audio, 4)
			// and our own reader sees the same
			back := openDemuxer(t, out)
			if dur, ok := back.Duration(); !ok || math.Abs(dur.Seconds()-4) > 0.1 {
				t.Fatalf("duration read back %v", dur)
			}
			st := m.Stats()
			if st.Fragments < 4 || st.Writes != st.Fragments+2 {
				t.Fatalf("write pattern %+v: want one write per cluster plus header and trailer", st)
			}
		})
	}
}
