package mp4_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/container/mp4"
)

type growingFile struct{ b []byte }

func (g *growingFile) Write(p []byte) (int, error)              { g.b = append(g.b, p...); return len(p), nil }
func (g *growingFile) WriteAt(p []byte, off int64) (int, error) { return copy(g.b[off:], p), nil }

func record(t *testing.T, d container.Demuxer, crashAt time.Duration) (full, crashed []byte) {
	t.Helper()
	out := &growingFile{}
	m, err := mp4.NewMuxer(out, d.Tracks())
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
		if crashed == nil && s.PTS >= crashAt {
			crashed = append([]byte(nil), out.b...)
		}
		if err := m.WriteSample(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return out.b, crashed
}

func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	d := openDemuxer(t, containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4", Seconds: 8}))
	full, crashed := record(t, d, 6*time.Second)
	containertest.CheckPlayable(t, dir, "crashed.mp4", crashed, 4.0)
	back, err := mp4.NewDemuxer(bytes.NewReader(crashed))
	if err != nil {
		t.Fatal(err)
	}
	if dur, ok := back.Duration(); !ok || dur < 4*time.Second {
		t.Fatalf("duration of the crashed file %v %v", dur, ok)
	}
	rng := rand.New(rand.NewSource(int64(len(full))))
	for i := 0; i < 4; i++ {
		frac := 0.25 + 0.75*rng.Float64()
		cut := int(frac * float64(len(full)))
		containertest.CheckPlayable(t, dir, containertest.CutName("cut.mp4", cut), full[:cut], frac*8-2)
	}
}

func TestDiskFull(t *testing.T) {
	dir := t.TempDir()
	d := openDemuxer(t, containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4", Seconds: 2}))
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	m, err := mp4.NewMuxer(full, d.Tracks())
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for werr == nil {
		s, err := d.ReadSample()
		if errors.Is(err, io.EOF) {
			werr = m.Close()
			break
		}
		werr = m.WriteSample(s)
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("got %v, want ENOSPC", werr)
	}
}

func TestSeek(t *testing.T) {
	dir := t.TempDir()
	prog := containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4", Seconds: 6})
	frag := containertest.Make(t, dir, containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4", Seconds: 6, Fragmented: true})
	ours, _ := record(t, openDemuxer(t, prog), time.Hour)
	cut := ours[:len(ours)*3/4]
	for name, open := range map[string]func() *mp4.Demuxer{
		"progressive":     func() *mp4.Demuxer { return openDemuxer(t, prog) },
		"ffmpeg-frag":     func() *mp4.Demuxer { return openDemuxer(t, frag) },
		"ours-with-mfra":  func() *mp4.Demuxer { d, _ := mp4.NewDemuxer(bytes.NewReader(ours)); return d },
		"ours-cut-no-idx": func() *mp4.Demuxer { d, _ := mp4.NewDemuxer(bytes.NewReader(cut)); return d },
	} {
		t.Run(name, func(t *testing.T) {
			d := open()
			if !d.Seekable() {
				t.Fatal("not seekable")
			}
			for _, want := range []time.Duration{2500 * time.Millisecond, 0, 3900 * time.Millisecond, time.Second} {
				got, err := d.Seek(want)
				if err != nil {
					t.Fatal(err)
				}
				if (got > want && got > 50*time.Millisecond) || want-got > 1100*time.Millisecond {
					t.Fatalf("Seek(%v) = %v", want, got)
				}
				s, err := d.ReadSample()
				if err != nil || s.Track != 0 || !s.Keyframe || s.PTS != got {
					t.Fatalf("after Seek(%v)=%v: track %d key %v at %v, %v", want, got, s.Track, s.Keyframe, s.PTS, err)
				}
				for i := 0; i < 40; i++ {
					s, err := d.ReadSample()
					if err != nil {
						t.Fatal(err)
					}
					if s.PTS < got-25*time.Millisecond {
						t.Fatalf("sample at %v after seeking to %v", s.PTS, got)
					}
				}
			}
		})
	}
}
