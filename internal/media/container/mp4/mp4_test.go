package mp4_test

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
	"github.com/gorento/gorento/internal/media/container/mp4"
	"github.com/gorento/gorento/internal/media/frames"
)

func openDemuxer(t testing.TB, path string) *mp4.Demuxer {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	d, err := mp4.NewDemuxer(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

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

func TestDemuxFFmpegFiles(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []containertest.Spec{
		{Video: "h264", Audio: "aac", Container: "mp4"},
		{Video: "h264", Audio: "aac", Container: "mp4", FastStart: true},
		{Video: "h264", Audio: "aac", Container: "mp4", Fragmented: true},
		{Video: "h264", Audio: "opus", Container: "mp4"},
	} {
		name := spec.Audio
		if spec.Fragmented {
			name += "-frag"
		}
		if spec.FastStart {
			name += "-fast"
		}
		t.Run(name, func(t *testing.T) {
			d := openDemuxer(t, containertest.Make(t, dir, spec))
			tr := d.Tracks()
			if len(tr) != 2 || tr[0].Codec != frames.H264 || tr[0].Width != 320 || tr[1].SampleRate != 48000 || tr[1].Channels != 2 {
				t.Fatalf("tracks %+v", tr)
			}
			if dur, ok := d.Duration(); !ok || math.Abs(dur.Seconds()-4) > 0.1 {
				t.Fatalf("duration %v %v", dur, ok)
			}
			var nv, keys, na int
			var last time.Duration
			for i, s := range readAll(t, d) {
				if i > 0 && s.DTS < last-50*time.Millisecond {
					t.Fatalf("sample %d goes back in time: %v after %v", i, s.DTS, last)
				}
				last = max(last, s.DTS)
				if s.Track != 0 {
					na++
					continue
				}
				if nv == 0 && !s.Keyframe {
					t.Fatal("first video sample is not a keyframe")
				}
				nv++
				if s.Keyframe {
					keys++
					if sps, pps := frames.H264ParameterSets(s.Data); sps == nil || pps == nil || !frames.H264Keyframe(s.Data) {
						t.Fatal("keyframe is not self-contained")
					}
				}
			}
			if nv != 120 || keys != 4 || na < 180 {
				t.Fatalf("%d video samples (%d keyframes), %d audio", nv, keys, na)
			}
		})
	}
}

func TestRemux(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []containertest.Spec{
		{Video: "h264", Audio: "aac", Container: "mp4"},
		{Video: "h264", Audio: "opus", Container: "mp4"},
		{Video: "vp9", Audio: "opus", Container: "webm"},
		{Audio: "aac", Container: "mp4"},
	} {
		t.Run(spec.Video+"-"+spec.Audio, func(t *testing.T) {
			src := containertest.Make(t, dir, spec)
			var d container.Demuxer
			if spec.Container == "webm" {
				d = openWebM(t, src)
			} else {
				d = openDemuxer(t, src)
			}
			out := filepath.Join(dir, "out-"+spec.Video+"-"+spec.Audio+".mp4")
			f, err := os.Create(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := mp4.NewMuxer(f, d.Tracks())
			if err != nil {
				t.Fatal(err)
			}
			for {
				s, err := d.ReadSample()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				s.PTS += 99 * time.Second
				if err := m.WriteSample(s); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			p := containertest.ProbeFile(t, out, true)
			if p.Codec("video") != spec.Video || p.Codec("audio") != spec.Audio {
				t.Fatalf("codecs %q %q", p.Codec("video"), p.Codec("audio"))
			}
			if math.Abs(p.Duration()-4) > 0.5 {
				t.Fatalf("duration %.3f", p.Duration())
			}
			if spec.Video != "" {
				if _, keys := p.FrameTimes("video"); len(keys) < 100 || !keys[0] {
					t.Fatalf("%d video frames, first key %v", len(keys), len(keys) > 0 && keys[0])
				}
			}
			if off := p.StartOffset(); off > 0.05 {
				t.Fatalf("start offset %.3f", off)
			}
			back := openDemuxer(t, out)
			if !back.Fragmented() {
				t.Fatal("not fragmented")
			}
			if dur, ok := back.Duration(); !ok || math.Abs(dur.Seconds()-4) > 0.1 {
				t.Fatalf("duration read back %v %v", dur, ok)
			}
			if n := len(readAll(t, back)); n < 150 {
				t.Fatalf("read back %d samples", n)
			}
		})
	}
}
