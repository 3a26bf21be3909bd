package webm_test

import (
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/container/webm"
)

// growingFile is an in-memory output whose bytes can be copied at any
// moment, as a crash would leave the file.
type growingFile struct{ b []byte }

func (g *growingFile) Write(p []byte) (int, error) { g.b = append(g.b, p...); return len(p), nil }
func (g *growingFile) WriteAt(p []byte, off int64) (int, error) {
	return copy(g.b[off:], p), nil
}

// TestCrashSafety records 8 s, takes the file as a kill -9 at 6 s would
// leave it, and cuts the finished file at random points after 2 s: every
// copy must decode up to about where it was cut.
func TestCrashSafety(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		spec containertest.Spec
		doc  webm.DocType
	}{
		{containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 8}, webm.WebM},
		{containertest.Spec{Video: "h264", Audio: "aac", Container: "mkv", Seconds: 8, GOP: 90}, webm.Matroska},
	} {
		t.Run(tc.spec.Video, func(t *testing.T) {
			d := openDemuxer(t, containertest.Make(t, dir, tc.spec))
			out := &growingFile{}
			m, err := webm.NewMuxer(out, tc.doc, d.Tracks())
			if err != nil {
				t.Fatal(err)
			}
			var crashed []byte
			for {
				s, err := d.ReadSample()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if crashed == nil && s.PTS >= 6*time.Second {
					crashed = append([]byte(nil), out.b...)
				}
				if err := m.WriteSample(s); err != nil {
					t.Fatal(err)
				}
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			// killed at 6 s: everything but the cluster being filled (≤ 1 s) and
			// the interleave wait is there
			containertest.CheckPlayable(t, dir, "crashed."+tc.spec.Container, crashed, 4.0)
			back, err := webm.NewDemuxer(bytesReader(crashed))
			if err != nil {
				t.Fatal(err)
			}
			if dur, ok := back.Duration(); !ok || dur < 4*time.Second {
				t.Fatalf("duration of the crashed file %v %v", dur, ok)
			}
			full := out.b
			rng := rand.New(rand.NewSource(int64(len(full))))
			for i := 0; i < 4; i++ {
				frac := 0.25 + 0.75*rng.Float64()
				cut := int(frac * float64(len(full)))
				containertest.CheckPlayable(t, dir, containertest.CutName("cut."+tc.spec.Container, cut), full[:cut], frac*8-2)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	d := openDemuxer(t, containertest.Make(t, dir, containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 3}))
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	m, err := webm.NewMuxer(full, webm.WebM, d.Tracks())
	if err != nil {
		t.Fatal(err)
	}
	var werr error
	for werr == nil {
		s, err := d.ReadSample()
		if errors.Is(err, io.EOF) {
			break
		}
		werr = m.WriteSample(s)
	}
	if werr == nil {
		werr = m.Close()
	}
	if !errors.Is(werr, syscall.ENOSPC) {
		t.Fatalf("disk full: got %v, want ENOSPC", werr)
	}
	if err := m.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Close after the error: %v", err)
	}
	// a read-only file: the first write fails
	ro, err := os.Open(filepath.Join(dir, "src-vp8-opus-3.webm"))
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	m2, _ := webm.NewMuxer(ro, webm.WebM, []container.Track{{Codec: 0x02 /* VP9 */}})
	err = m2.WriteSample(container.Sample{Track: 0, Keyframe: true, Data: []byte{0x82, 0x49, 0x83, 0x42, 0x20, 0x13, 0xf0, 0x0e, 0xf0}})
	if err == nil {
		err = m2.Close()
	}
	if err == nil {
		t.Fatal("writing to a read-only file succeeded")
	}
}

func TestSeek(t *testing.T) {
	dir := t.TempDir()
	src := containertest.Make(t, dir, containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 6})
	// ffmpeg's file (Cues from ffmpeg) and ours, and ours cut short (no Cues: scanned)
	d := openDemuxer(t, src)
	out := &growingFile{}
	m, _ := webm.NewMuxer(out, webm.WebM, d.Tracks())
	remux(t, d, m, 0)
	cut := out.b[:len(out.b)*3/4]
	for name, open := range map[string]func() *webm.Demuxer{
		"ffmpeg": func() *webm.Demuxer { return openDemuxer(t, src) },
		"ours":   func() *webm.Demuxer { d, _ := webm.NewDemuxer(bytesReader(out.b)); return d },
		"cut":    func() *webm.Demuxer { d, _ := webm.NewDemuxer(bytesReader(cut)); return d },
	} {
		t.Run(name, func(t *testing.T) {
			d := open()
			if !d.Seekable() {
				t.Fatal("not seekable")
			}
			for _, want := range []time.Duration{2500 * time.Millisecond, 0, 3900 * time.Millisecond, 1 * time.Second} {
				got, err := d.Seek(want)
				if err != nil {
					t.Fatal(err)
				}
				if (got > want && got > 50*time.Millisecond) || want-got > 1100*time.Millisecond { // the first keyframe may be a few ms in
					t.Fatalf("Seek(%v) = %v", want, got)
				}
				s, err := d.ReadSample()
				if err != nil || s.Track != 0 || !s.Keyframe || s.PTS != got {
					t.Fatalf("after Seek(%v)=%v: %+v %v", want, got, s.PTS, err)
				}
				for i := 0; i < 40; i++ {
					s, err := d.ReadSample()
					if err != nil {
						t.Fatal(err)
					}
					if s.PTS < got {
						t.Fatalf("sample at %v after seeking to %v", s.PTS, got)
					}
				}
			}
		})
	}
}
