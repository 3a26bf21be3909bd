package container

import (
	"bytes"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media/frames"
)

// fakeFormat records what the Muxer asks it to write.
type fakeFormat struct {
	tracks   []Track
	frags    [][]FragmentSample
	duration time.Duration
}

func (f *fakeFormat) Supports(c frames.Codec) bool { return c != frames.PCMU }
func (f *fakeFormat) AppendInit(dst []byte, t []Track) ([]byte, error) {
	f.tracks = t
	return append(dst, "HEAD"...), nil
}
func (f *fakeFormat) AppendFragment(dst []byte, off int64, fr *Fragment) ([]byte, error) {
	cp := make([]FragmentSample, len(fr.Samples))
	copy(cp, fr.Samples)
	for i := range cp {
		cp[i].Data = append([]byte(nil), cp[i].Data...)
	}
	f.frags = append(f.frags, cp)
	return append(dst, "FRAG"...), nil
}
func (f *fakeFormat) AppendTrailer(dst []byte, off int64, d time.Duration) ([]byte, []Patch, error) {
	f.duration = d
	return append(dst, "TAIL"...), []Patch{{Offset: 0, Data: []byte("head")}}, nil
}

func (f *fakeFormat) all() []FragmentSample {
	var out []FragmentSample
	for _, fr := range f.frags {
		out = append(out, fr...)
	}
	return out
}

var vp8Key = []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00, 1, 2, 3}

func avTracks() []Track {
	return []Track{{Codec: frames.VP8}, {Codec: frames.Opus, Channels: 2}}
}

// feed writes video at 30 fps (keyframe every keyEvery frames, first
// keyframe at firstKey) and audio at 50 fps over [from, to) on a clock
// starting at base, interleaved by time.
func feed(t *testing.T, m *Muxer, base, from, to time.Duration, keyEvery int) {
	t.Helper()
	v, a := from, from
	for v < to || a < to {
		if v <= a && v < to {
			n := int((v - from) / (time.Second / 30))
			key := n%keyEvery == 0
			data := []byte{0x11, 0, 0, byte(n)}
			if key {
				data = vp8Key
			}
			if err := m.WriteSample(Sample{Track: 0, PTS: base + v, Keyframe: key, Data: data}); err != nil {
				t.Fatal(err)
			}
			v += time.Second / 30
		} else {
			if err := m.WriteSample(Sample{Track: 1, PTS: base + a, Keyframe: true, Data: []byte{0xfc, 1}}); err != nil {
				t.Fatal(err)
			}
			a += 20 * time.Millisecond
		}
	}
}

func TestMuxerStartsOnKeyframeAligned(t *testing.T) {
	out := &memFile{}
	f := &fakeFormat{}
	m, err := NewMuxer(out, f, avTracks())
	if err != nil {
		t.Fatal(err)
	}
	// audio from 0, video joins at 0.5 s with non-keyframes; first keyframe at 0.7 s
	base := 1000 * time.Second
	for a := time.Duration(0); a < 700*time.Millisecond; a += 20 * time.Millisecond {
		_ = m.WriteSample(Sample{Track: 1, PTS: base + a, Data: []byte{1}})
	}
	_ = m.WriteSample(Sample{Track: 0, PTS: base + 500*time.Millisecond, Data: []byte{0x11}})
	feed(t, m, base+700*time.Millisecond, 0, 3*time.Second, 30)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	all := f.all()
	if all[0].Track != 0 || !all[0].Keyframe || all[0].Time != 0 {
		t.Fatalf("file starts with %+v, want the video keyframe at 0", all[0])
	}
	for _, s := range all {
		if s.Track == 1 {
			if s.Time > 20*time.Millisecond {
				t.Fatalf("first audio at %v", s.Time)
			}
			break
		}
	}
	if f.tracks[0].Width != 320 || f.tracks[0].Height != 240 || len(f.tracks[1].CodecConfig) != 19 {
		t.Fatalf("tracks not finalized: %+v", f.tracks)
	}
	st := m.Stats()
	if st.DroppedBeforeKeyframe != 1 || st.DroppedBeforeStart == 0 {
		t.Fatalf("stats %+v", st)
	}
	if d := f.duration; d < 2950*time.Millisecond || d > 3050*time.Millisecond {
		t.Fatalf("duration %v", d)
	}
	if !bytes.HasPrefix(out.b, []byte("head")) || !bytes.HasSuffix(out.b, []byte("TAIL")) {
		t.Fatalf("header not patched or trailer missing: %q…", out.b[:8])
	}
}

func TestMuxerFragmentsAndInterleaving(t *testing.T) {
	f := &fakeFormat{}
	m, _ := NewMuxer(&bytes.Buffer{}, f, avTracks())
	feed(t, m, 0, 0, 5*time.Second, 45) // keyframe every 1.5 s
	_ = m.Close()
	for i, fr := range f.frags {
		d := fr[len(fr)-1].Time - fr[0].Time
		if d > time.Second {
			t.Fatalf("fragment %d spans %v", i, d)
		}
		for j := 1; j < len(fr); j++ {
			if fr[j].Time < fr[j-1].Time {
				t.Fatalf("fragment %d not in time order", i)
			}
			if fr[j].Track == fr[j-1].Track && fr[j-1].Duration != fr[j].Time-fr[j-1].Time {
				t.Fatalf("duration %v, next sample %v later", fr[j-1].Duration, fr[j].Time-fr[j-1].Time)
			}
		}
	}
	keyStarts := 0
	for _, fr := range f.frags {
		if fr[0].Keyframe && fr[0].Track == 0 {
			keyStarts++
		}
	}
	if keyStarts != 4 { // keyframes at 0, 1.5, 3 and 4.5 s
		t.Fatalf("only %d of %d fragments start on a keyframe", keyStarts, len(f.frags))
	}
}

func TestMuxerPauseCutsTheGap(t *testing.T) {
	f := &fakeFormat{}
	m, _ := NewMuxer(&bytes.Buffer{}, f, avTracks())
	feed(t, m, 0, 0, 2*time.Second, 30)
	m.Pause()
	feed(t, m, 0, 2*time.Second, 5*time.Second, 30) // dropped
	m.Resume()
	feed(t, m, 0, 5*time.Second, 7*time.Second, 30) // keyframe at 5 s
	_ = m.Close()
	var last [2]time.Duration
	var seen [2]bool
	for _, s := range f.all() {
		if seen[s.Track] && s.Time-last[s.Track] > 60*time.Millisecond {
			t.Fatalf("track %d jumps from %v to %v", s.Track, last[s.Track], s.Time)
		}
		last[s.Track], seen[s.Track] = s.Time, true
	}
	if d := f.duration; d < 3950*time.Millisecond || d > 4100*time.Millisecond {
		t.Fatalf("duration %v, want 4 s (7 s minus 3 s paused)", d)
	}
	if m.Stats().DroppedPaused == 0 {
		t.Fatal("nothing dropped while paused")
	}
}

func TestMuxerStartWaitLeavesOutSilentTrack(t *testing.T) {
	f := &fakeFormat{}
	m, _ := NewMuxer(&bytes.Buffer{}, f, avTracks(), WithStartWait(time.Second))
	for a := time.Duration(0); a < 3*time.Second; a += 20 * time.Millisecond {
		if err := m.WriteSample(Sample{Track: 1, PTS: a, Data: []byte{1}}); err != nil {
			t.Fatal(err)
		}
	}
	_ = m.WriteSample(Sample{Track: 0, PTS: 3 * time.Second, Keyframe: true, Data: vp8Key})
	_ = m.Close()
	if len(f.tracks) != 1 || f.tracks[0].Codec != frames.Opus {
		t.Fatalf("tracks %+v", f.tracks)
	}
	st := m.Stats()
	if st.TracksLeftOut != 1 || st.DroppedNoTrack != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// memFile is a seekable in-memory output.
type memFile struct{ b []byte }

func (m *memFile) Write(p []byte) (int, error) { m.b = append(m.b, p...); return len(p), nil }
func (m *memFile) WriteAt(p []byte, off int64) (int, error) {
	if int(off)+len(p) > len(m.b) {
		return 0, errors.New("past the end")
	}
	return copy(m.b[off:], p), nil
}

type failWriter struct {
	n   int
	err error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n < len(p) {
		n := w.n
		w.n = 0
		return n, w.err
	}
	w.n -= len(p)
	return len(p), nil
}

func TestMuxerWriteErrorSurfaces(t *testing.T) {
	w := &failWriter{n: 10, err: syscall.ENOSPC}
	m, _ := NewMuxer(w, &fakeFormat{}, avTracks())
	var err error
	for i := 0; i < 200 && err == nil; i++ {
		err = m.WriteSample(Sample{Track: 0, PTS: time.Duration(i) * 33 * time.Millisecond, Keyframe: i%30 == 0, Data: vp8Key})
		if err == nil {
			err = m.WriteSample(Sample{Track: 1, PTS: time.Duration(i) * 33 * time.Millisecond, Data: []byte{1}})
		}
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("got %v, want ENOSPC", err)
	}
	if err2 := m.WriteSample(Sample{Track: 1, PTS: time.Hour, Data: []byte{1}}); !errors.Is(err2, syscall.ENOSPC) {
		t.Fatalf("after the error: %v", err2)
	}
	if err := m.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestMuxerRejects(t *testing.T) {
	if _, err := NewMuxer(&bytes.Buffer{}, &fakeFormat{}, nil); !errors.Is(err, ErrBadTrack) {
		t.Errorf("no tracks: %v", err)
	}
	if _, err := NewMuxer(&bytes.Buffer{}, &fakeFormat{}, []Track{{Codec: frames.PCMU}}); !errors.Is(err, ErrUnsupportedCodec) {
		t.Errorf("unsupported codec: %v", err)
	}
	if _, err := NewMuxer(&bytes.Buffer{}, &fakeFormat{}, []Track{{Codec: frames.AAC}}); !errors.Is(err, ErrBadTrack) {
		t.Errorf("AAC without rate: %v", err)
	}
	if _, err := NewMuxer(&bytes.Buffer{}, &fakeFormat{}, avTracks(), WithFragmentDuration(time.Hour)); err == nil {
		t.Error("fragment of an hour accepted")
	}
	m, _ := NewMuxer(&bytes.Buffer{}, &fakeFormat{}, avTracks())
	if err := m.WriteSample(Sample{Track: 5, Data: []byte{1}}); !errors.Is(err, ErrBadTrack) {
		t.Errorf("bad track index: %v", err)
	}
	_ = m.Close()
	if err := m.WriteSample(Sample{Track: 0, Data: []byte{1}}); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestMuxerClampsBackwardsTime(t *testing.T) {
	f := &fakeFormat{}
	m, _ := NewMuxer(&bytes.Buffer{}, f, []Track{{Codec: frames.Opus}})
	for _, ms := range []int{0, 20, 40, 30, 60} {
		_ = m.WriteSample(Sample{Track: 0, PTS: time.Duration(ms) * time.Millisecond, Data: []byte{1}})
	}
	_ = m.Close()
	all := f.all()
	if len(all) != 5 || all[3].Time != 40*time.Millisecond || m.Stats().Clamped != 1 {
		t.Fatalf("%+v", all)
	}
}

func TestMuxerResumeWithoutVideoKeyframe(t *testing.T) {
	f := &fakeFormat{}
	m, _ := NewMuxer(&bytes.Buffer{}, f, avTracks(), WithStartWait(time.Second))
	feed(t, m, 0, 0, 2*time.Second, 30)
	m.Pause()
	m.Resume()
	// audio only for 1.5 s (no keyframe comes), then video without a keyframe, then one at 4 s
	for a := 2 * time.Second; a < 3500*time.Millisecond; a += 20 * time.Millisecond {
		_ = m.WriteSample(Sample{Track: 1, PTS: a, Data: []byte{1}})
	}
	_ = m.WriteSample(Sample{Track: 0, PTS: 3600 * time.Millisecond, Data: []byte{0x11}})
	_ = m.WriteSample(Sample{Track: 0, PTS: 4 * time.Second, Keyframe: true, Data: vp8Key})
	_ = m.Close()
	var videoAfter []FragmentSample
	for _, s := range f.all() {
		if s.Track == 0 && s.Time > 2*time.Second {
			videoAfter = append(videoAfter, s)
		}
	}
	if len(videoAfter) != 1 || !videoAfter[0].Keyframe {
		t.Fatalf("video after the resume: %+v (want only the keyframe)", videoAfter)
	}
}

// TestNegativeTimeClamped: a sample placed before the file's start (a
// caller's clock stepping back a little) is written at 0, not an error.
func TestNegativeTimeClamped(t *testing.T) {
	var buf bytes.Buffer
	f := &fakeFormat{}
	m, err := NewMuxer(&buf, f, avTracks())
	if err != nil {
		t.Fatal(err)
	}
	// The file starts on the keyframe at 1 s (the audio before it is
	// dropped); then audio comes stamped 5 ms before the start.
	for _, s := range []Sample{{Track: 1, PTS: time.Second - 10*time.Millisecond, Keyframe: true, Data: []byte{0xfc, 0}},
		{Track: 0, PTS: time.Second, Keyframe: true, Data: vp8Key},
		{Track: 1, PTS: time.Second - 5*time.Millisecond, Keyframe: true, Data: []byte{0xfc, 1}},
		{Track: 1, PTS: time.Second + 15*time.Millisecond, Keyframe: true, Data: []byte{0xfc, 2}},
		{Track: 0, PTS: time.Second + 33*time.Millisecond, Data: []byte{0x11, 0, 1}}} {
		if err := m.WriteSample(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range f.all() {
		if s.Time < 0 {
			t.Fatalf("sample at %v", s.Time)
		}
	}
	if st := m.Stats(); st.SamplesWritten != 4 || st.Clamped != 1 {
		t.Fatalf("stats %+v", st)
	}
}
