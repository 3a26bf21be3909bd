package container_test

import (
	"errors"
	"io"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/container/containertest"
	"github.com/gorento/gorento/internal/media/container/mp4"
	"github.com/gorento/gorento/internal/media/container/webm"
	"github.com/gorento/gorento/internal/media/frames"
)

func openSource(t *testing.T, path string) container.Demuxer {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	var d container.Demuxer
	if filepath.Ext(path) == ".mp4" {
		d, err = mp4.NewDemuxer(f)
	} else {
		d, err = webm.NewDemuxer(f)
	}
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// rtpTrack is one track's way through RTP: packetizer at the "sender",
// depacketizer and clock at the "recorder".
type rtpTrack struct {
	pk    *frames.Packetizer
	dp    *frames.Depacketizer
	clock *frames.Clock
}

// network delivers packets with loss and reordering.
type network struct {
	rng     *rand.Rand
	loss    float64
	held    []*rtp.Packet
	reorder int
}

func (n *network) send(p *rtp.Packet, deliver func(*rtp.Packet)) {
	if n.rng.Float64() < n.loss {
		return
	}
	n.held = append(n.held, p)
	if len(n.held) > n.reorder {
		i := n.rng.Intn(len(n.held))
		deliver(n.held[i])
		n.held = append(n.held[:i], n.held[i+1:]...)
	}
}

func (n *network) flush(deliver func(*rtp.Packet)) {
	for _, p := range n.held {
		deliver(p)
	}
	n.held = nil
}

type record struct {
	pauseAt, resumeAt time.Duration // 0: no pause
}

// throughRTP plays src through packetizers, a lossy network and
// depacketizers into m, as a PlayerEndpoint feeding a RecorderEndpoint
// would. Timestamp bases are chosen so that both tracks wrap 2^32.
func throughRTP(t *testing.T, src container.Demuxer, m *container.Muxer, loss float64, rec record) {
	t.Helper()
	var tracks []*rtpTrack
	for i, tr := range src.Tracks() {
		clock := tr.Codec.ClockRate()
		var opts []frames.Option
		if tr.Codec == frames.AAC {
			clock = uint32(tr.SampleRate)
			opts = append(opts, frames.WithAAC(frames.AACConfig{SampleRate: clock}))
		}
		base := math.MaxUint32 - clock*uint32(1+i) // wraps after 1 or 2 s
		pk, err := frames.NewPacketizer(frames.PacketizerConfig{Codec: tr.Codec, PayloadType: 96, ClockRate: clock, SSRC: uint32(100 + i), TSBase: base})
		if err != nil {
			t.Fatal(err)
		}
		dp, err := frames.NewDepacketizer(tr.Codec, opts...)
		if err != nil {
			t.Fatal(err)
		}
		c := frames.NewClock(clock)
		c.Anchor(int64(base), 5*time.Hour) // what a sender report says: base is media time 0
		tracks = append(tracks, &rtpTrack{pk: pk, dp: dp, clock: c})
	}
	net := &network{rng: rand.New(rand.NewSource(7)), loss: loss, reorder: 3}
	paused := false
	deliver := func(p *rtp.Packet) {
		i := int(p.SSRC - 100)
		tr := tracks[i]
		tr.dp.Push(p)
		for {
			f, ok := tr.dp.Pop()
			if !ok {
				return
			}
			if err := m.WriteSample(container.Sample{Track: i, PTS: tr.clock.Time(f.Timestamp), Keyframe: f.Keyframe, Data: f.Data}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var pkts []*rtp.Packet
	for {
		s, err := src.ReadSample()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.pauseAt > 0 && !paused && s.PTS >= rec.pauseAt && s.PTS < rec.resumeAt {
			net.flush(deliver)
			m.Pause()
			paused = true
		}
		if paused && s.PTS >= rec.resumeAt {
			m.Resume()
			paused = false
		}
		pkts, err = tracks[s.Track].pk.Packetize(pkts[:0], s.Data, s.PTS)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkts {
			net.send(p, deliver)
		}
	}
	net.flush(deliver)
	for i, tr := range tracks {
		tr.dp.Flush()
		for {
			f, ok := tr.dp.Pop()
			if !ok {
				break
			}
			_ = m.WriteSample(container.Sample{Track: i, PTS: tr.clock.Time(f.Timestamp), Keyframe: f.Keyframe, Data: f.Data})
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}

func newMuxer(t *testing.T, path string, tracks []container.Track) (*container.Muxer, *os.File) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	var m *container.Muxer
	switch filepath.Ext(path) {
	case ".mp4":
		m, err = mp4.NewMuxer(f, tracks)
	case ".mkv":
		m, err = webm.NewMuxer(f, webm.Matroska, tracks)
	default:
		m, err = webm.NewMuxer(f, webm.WebM, tracks)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m, f
}

// TestRoundTripThroughRTP: ffmpeg file → demux → packetise → RTP with 1 %
// loss and reordering, timestamps wrapping → depacketise → mux → ffprobe.
func TestRoundTripThroughRTP(t *testing.T) {
	dir := t.TempDir()
	if d := os.Getenv("KEEP_DIR"); d != "" {
		dir = d
	}
	for _, tc := range []struct {
		spec         containertest.Spec
		out          string
		video, audio string
	}{
		{containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm"}, "webm", "vp8", "opus"},
		{containertest.Spec{Video: "vp9", Audio: "opus", Container: "webm"}, "webm", "vp9", "opus"},
		{containertest.Spec{Video: "av1", Audio: "opus", Container: "webm"}, "webm", "av1", "opus"},
		{containertest.Spec{Video: "av1", Audio: "opus", Container: "webm"}, "mp4", "av1", "opus"},
		{containertest.Spec{Video: "h264", Audio: "opus", Container: "mp4"}, "mp4", "h264", "opus"},
		{containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4"}, "mp4", "h264", "aac"},
		{containertest.Spec{Video: "h264", Audio: "aac", Container: "mp4"}, "mkv", "h264", "aac"},
	} {
		t.Run(tc.video+"-"+tc.audio+"-to-"+tc.out, func(t *testing.T) {
			src := openSource(t, containertest.Make(t, dir, tc.spec))
			out := filepath.Join(dir, "rtp-"+tc.video+"-"+tc.audio+"."+tc.out)
			m, _ := newMuxer(t, out, src.Tracks())
			throughRTP(t, src, m, 0.01, record{})
			p := containertest.ProbeFile(t, out, true)
			if p.Codec("video") != tc.video || p.Codec("audio") != tc.audio {
				t.Fatalf("codecs %q %q", p.Codec("video"), p.Codec("audio"))
			}
			if math.Abs(p.Duration()-4) > 0.5 {
				t.Fatalf("duration %.3f s, want 4±0.5", p.Duration())
			}
			vt, keys := p.FrameTimes("video")
			if len(vt) < 60 || !keys[0] {
				t.Fatalf("%d video frames decoded, first keyframe %v", len(vt), len(keys) > 0 && keys[0])
			}
			if off := p.StartOffset(); off > 0.05 {
				t.Fatalf("audio/video start offset %.3f s", off)
			}
			if g := p.MaxGap("video"); g > 1.1 {
				t.Fatalf("video gap %.3f s: loss must cost at most one GOP", g)
			}
			t.Logf("duration %.3f s, %d video frames, start offset %.3f s, max video gap %.3f s, mux %+v",
				p.Duration(), len(vt), p.StartOffset(), p.MaxGap("video"), m.Stats())
		})
	}
}

// TestPauseLeavesNoGap records 6 s paused from 1.5 s to 3.5 s: the file is
// 4 s long and its frames follow each other without a hole.
func TestPauseLeavesNoGap(t *testing.T) {
	dir := t.TempDir()
	for _, ext := range []string{"webm", "mp4"} {
		t.Run(ext, func(t *testing.T) {
			spec := containertest.Spec{Video: "vp8", Audio: "opus", Container: "webm", Seconds: 6}
			if ext == "mp4" {
				spec = containertest.Spec{Video: "h264", Audio: "opus", Container: "mp4", Seconds: 6}
			}
			src := openSource(t, containertest.Make(t, dir, spec))
			out := filepath.Join(dir, "paused."+ext)
			m, _ := newMuxer(t, out, src.Tracks())
			throughRTP(t, src, m, 0, record{pauseAt: 1500 * time.Millisecond, resumeAt: 3500 * time.Millisecond})
			p := containertest.ProbeFile(t, out, true)
			// 1.5 s before the pause, then from the first keyframe after 3.5 s (4 s) to 6 s
			if math.Abs(p.Duration()-3.5) > 0.5 {
				t.Fatalf("duration %.3f s, want 3.5±0.5 (paused time cut out)", p.Duration())
			}
			if g := p.MaxGap("video"); g > 0.1 {
				t.Fatalf("video gap of %.3f s", g)
			}
			if g := p.MaxGap("audio"); g > 0.1 {
				t.Fatalf("audio gap of %.3f s", g)
			}
			t.Logf("duration %.3f s, gaps %.3f/%.3f s", p.Duration(), p.MaxGap("video"), p.MaxGap("audio"))
			if m.Stats().DroppedPaused == 0 {
				t.Fatal("nothing dropped while paused")
			}
		})
	}
}
