package recorder

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/mediatest/rtpmedia"
	"github.com/gorento/gorento/internal/media/uriep"
)

var (
	vp8Opus  = containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm"}
	h264Opus = containertest.Spec{Video: "h264", Audio: "opus", Container: "mkv"}
)

// TestRecordProfiles records 5 s of browser codecs in each container they
// fit without transcoding and checks the files with ffprobe.
func TestRecordProfiles(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct {
		name         string
		spec         containertest.Spec
		profile      container.Profile
		keep         bool
		video, audio string
	}{
		{"webm", vp8Opus, container.ProfileWebM, false, "vp8", "opus"},
		{"webm video only", vp8Opus, container.ProfileWebMVideoOnly, false, "vp8", ""},
		{"webm audio only", vp8Opus, container.ProfileWebMAudioOnly, false, "", "opus"},
		{"mp4 kept opus", h264Opus, container.ProfileMP4, true, "h264", "opus"},
		{"mkv kept opus", h264Opus, container.ProfileMKV, true, "h264", "opus"},
		{"mkv kept vp8", vp8Opus, container.ProfileMKV, true, "vp8", "opus"},
		{"mp4 video only", h264Opus, container.ProfileMP4VideoOnly, false, "h264", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := testMedia(t, tc.spec, rtpmedia.Options{})
			path := filepath.Join(t.TempDir(), "rec", "out."+string(tc.profile))
			r := newRig(t, Options{URI: "file://" + path, Profile: tc.profile}, Config{KeepCodecs: tc.keep})
			if !r.rec.Record() {
				t.Fatal("record refused")
			}
			r.play(ps, 0, time.Hour, 0, nil)
			r.rec.Stop()
			r.waitStopped()
			checkFile(t, path, tc.video, tc.audio, 5)
			st := r.rec.Stats()
			if st.Mux.Fragments < 4 || st.Queue.Dropped != 0 {
				t.Errorf("stats: %d fragments, %d dropped", st.Mux.Fragments, st.Queue.Dropped)
			}
		})
	}
}

// TestTimeline: loss leaves gaps where it happened, pause cuts the paused
// time, and RTP timestamps wrapping around 2^32 change nothing.
func TestTimeline(t *testing.T) {
	leakCheck(t)
	t.Run("loss keeps the timeline", func(t *testing.T) {
		ps := testMedia(t, vp8Opus, rtpmedia.Options{})
		path := filepath.Join(t.TempDir(), "loss.webm")
		r := newRig(t, Options{URI: "file://" + path}, Config{})
		r.rec.Record()
		r.play(ps, 0, time.Hour, 0, func(p rtpmedia.Packet) bool { return p.At >= 2*time.Second && p.At < 2500*time.Millisecond })
		r.rec.Stop()
		r.waitStopped()
		p := checkFile(t, path, "vp8", "opus", 5)
		if g := p.MaxGap("audio"); !near(g, 0.5, 0.05) {
			t.Errorf("audio gap %.3f s, want 0.5 (the loss)", g)
		}
		if g := p.MaxGap("video"); !near(g, 1, 0.05) {
			t.Errorf("video gap %.3f s, want 1 (loss, then waiting for the keyframe at 3 s)", g)
		}
	})
	t.Run("pause cuts the paused time", func(t *testing.T) {
		ps := testMedia(t, vp8Opus, rtpmedia.Options{})
		path := filepath.Join(t.TempDir(), "pause.webm")
		r := newRig(t, Options{URI: "file://" + path}, Config{})
		r.rec.Record()
		r.play(ps, 0, 2*time.Second, 0, nil)
		r.rec.Pause()
		r.play(ps, 2*time.Second, 3*time.Second, 0, nil)
		r.rec.Record()
		r.play(ps, 3*time.Second, time.Hour, 0, nil)
		r.rec.Stop()
		r.waitStopped()
		p := checkFile(t, path, "vp8", "opus", 4)
		if g := p.MaxGap("video"); g > 0.07 {
			t.Errorf("video gap %.3f s after pause/resume", g)
		}
		if g := p.MaxGap("audio"); g > 0.045 {
			t.Errorf("audio gap %.3f s after pause/resume", g)
		}
		want := []media.Event{uriep.StateChanged{State: uriep.Start}, Recording{}, uriep.StateChanged{State: uriep.Pause}, Paused{},
			uriep.StateChanged{State: uriep.Start}, Recording{}, uriep.StateChanged{State: uriep.Stop}, Stopped{}}
		if got := r.ev.All(); !equalEvents(got, want) {
			t.Errorf("events %#v, want %#v", got, want)
		}
	})
	t.Run("timestamps wrap", func(t *testing.T) {
		ps := testMedia(t, vp8Opus, rtpmedia.Options{TSBase: 0xFFFFFFFF - 48000})
		path := filepath.Join(t.TempDir(), "wrap.webm")
		r := newRig(t, Options{URI: "file://" + path}, Config{})
		r.rec.Record()
		r.play(ps, 0, time.Hour, 0, nil)
		r.rec.Stop()
		r.waitStopped()
		p := checkFile(t, path, "vp8", "opus", 5)
		if g := p.MaxGap("video"); g > 0.07 {
			t.Errorf("video gap %.3f s across the wrap", g)
		}
	})
}

// equalEvents compares the recorder's own events of a with b.
func equalEvents(all, b []media.Event) bool {
	var a []media.Event
	for _, e := range all {
		switch e.(type) {
		case uriep.StateChanged, Recording, Paused, Stopped:
			a = append(a, e)
		}
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStates: KMS's state machine (refusals, stop before record, no restart).
func TestStates(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	r := newRig(t, Options{URI: "file://" + dir + "/s.webm"}, Config{})
	if r.rec.State() != uriep.Stop {
		t.Fatal("not STOP at first")
	}
	r.rec.Stop() // no-op
	if !r.rec.Pause() || r.rec.Pause() {
		t.Fatal("pause from STOP, then again")
	}
	if !r.rec.Record() || r.rec.Record() {
		t.Fatal("record from PAUSE, then again")
	}
	if !r.rec.StopAndWait() || r.rec.State() != uriep.Stop {
		t.Fatal("stopAndWait")
	}
	if r.rec.Record() || r.rec.Pause() {
		t.Fatal("a stopped recorder started again")
	}
	want := []media.Event{uriep.StateChanged{State: uriep.Pause}, Paused{}, uriep.StateChanged{State: uriep.Start}, Recording{},
		uriep.StateChanged{State: uriep.Stop}, Stopped{}}
	if got := r.ev.All(); !equalEvents(got, want) {
		t.Errorf("events %#v, want %#v", got, want)
	}
	if _, err := New(r.pipe, Options{URI: "file:///tmp/x.flv", Profile: container.ProfileFLV}, Config{}, nil); !errors.Is(err, ErrProfile) {
		t.Errorf("FLV: %v", err)
	}
	if _, err := New(r.pipe, Options{URI: "file:///tmp/x", Profile: "BAD"}, Config{}, nil); !errors.Is(err, ErrProfile) {
		t.Errorf("unknown profile: %v", err)
	}
}

// TestDestinationErrors: an unwritable path or an unknown scheme is an
// Error at record(); a full disk is an Error, then a clean stop.
func TestDestinationErrors(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for uri, want := range map[string]error{
		"file://" + blocker + "/sub/x.webm": ErrOpen,
		"ftp://127.0.0.1/x.webm":            ErrOpen,
		"file://relative/x.webm":            ErrOpen,
	} {
		r := newRig(t, Options{URI: uri}, Config{})
		if r.rec.Record() {
			t.Errorf("%s: record accepted", uri)
		}
		errs := errorEvents(r.ev.All())
		if len(errs) != 1 || !errors.Is(errs[0], want) {
			t.Errorf("%s: errors %v, want %v", uri, errs, want)
		}
	}
	t.Run("allowed paths", func(t *testing.T) {
		r := newRig(t, Options{URI: "file://" + dir + "/x.webm"}, Config{AllowedPaths: []string{filepath.Join(dir, "media")}})
		if r.rec.Record() || len(errorEvents(r.ev.All())) != 1 {
			t.Errorf("recording outside the allowed paths: %v", r.ev.All())
		}
	})
	t.Run("disk full", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full")
		}
		ps := testMedia(t, vp8Opus, rtpmedia.Options{})
		r := newRig(t, Options{URI: "file:///dev/full"}, Config{})
		r.rec.Record()
		r.play(ps, 0, 3*time.Second, 0, nil)
		r.waitStopped()
		errs := errorEvents(r.ev.All())
		if len(errs) != 1 || !errors.Is(errs[0], ErrNoSpace) || !errors.Is(errs[0], ErrWrite) {
			t.Fatalf("errors %v", errs)
		}
		// the call goes on: packets still reach (and are dropped by) the recorder
		before, _ := r.rec.Core().QueueStats()
		r.play(ps, 3*time.Second, time.Hour, 0, nil)
		after, _ := r.rec.Core().QueueStats()
		if after.Delivered <= before.Delivered {
			t.Error("no packets after the error")
		}
	})
}

func errorEvents(evs []media.Event) []error {
	var out []error
	for _, e := range evs {
		if ee, ok := e.(media.ErrorEvent); ok {
			out = append(out, ee.Err)
		}
	}
	return out
}

// TestNoTranscoder: media the profile does not take, with no processing
// back end, is an Error (once); the other track is recorded.
func TestNoTranscoder(t *testing.T) {
	leakCheck(t)
	ps := testMedia(t, h264Opus, rtpmedia.Options{})
	path := filepath.Join(t.TempDir(), "x.webm")
	r := newRig(t, Options{URI: "file://" + path}, Config{StartWait: time.Second})
	r.rec.Record()
	r.play(ps, 0, time.Hour, 0, nil)
	r.rec.Stop()
	r.waitStopped()
	errs := errorEvents(r.ev.All())
	if len(errs) != 1 || !errors.Is(errs[0], ErrTranscode) {
		t.Fatalf("errors %v", errs)
	}
	checkFile(t, path, "", "opus", 5)
}

// TestEndOfStream: with stopOnEndOfStream the recorder stops when its
// source ends; without, it goes on.
func TestEndOfStream(t *testing.T) {
	leakCheck(t)
	ps := testMedia(t, vp8Opus, rtpmedia.Options{})
	for _, stop := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "eos.webm")
		r := newRig(t, Options{URI: "file://" + path, StopOnEndOfStream: stop}, Config{})
		r.rec.Record()
		r.play(ps, 0, time.Hour, 0, nil)
		r.src.Core().Source(media.Audio).PushEndOfStream()
		r.src.Core().Source(media.Video).PushEndOfStream()
		if stop {
			r.waitStopped()
			checkFile(t, path, "vp8", "opus", 5)
			continue
		}
		time.Sleep(100 * time.Millisecond)
		if r.rec.State() != uriep.Start {
			t.Error("stopped on end of stream without stopOnEndOfStream")
		}
	}
}

// TestSourceSwitch: a new source (another SSRC) continues the file where
// the first left off, on the shared clock.
func TestSourceSwitch(t *testing.T) {
	leakCheck(t)
	a := testMedia(t, vp8Opus, rtpmedia.Options{})
	b := testMedia(t, vp8Opus, rtpmedia.Options{AudioSSRC: 1111, VideoSSRC: 2222})
	path := filepath.Join(t.TempDir(), "switch.webm")
	r := newRig(t, Options{URI: "file://" + path}, Config{})
	r.rec.Record()
	r.play(a, 0, 2*time.Second, 0, nil)
	r.play(b, 0, time.Hour, 2*time.Second, nil)
	r.rec.Stop()
	r.waitStopped()
	p := checkFile(t, path, "vp8", "opus", 7)
	if g := p.MaxGap("video"); g > 0.07 {
		t.Errorf("video gap %.3f s at the switch", g)
	}
}
