package webrtcep

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/egress"
	"github.com/gorento/gorento/internal/media/interceptor/nackgen"
)

// repairOnce makes l receive one packet repaired about d after its ask.
func repairOnce(l *nackgen.Log, next *uint64, d time.Duration) {
	l.Received(*next)
	l.Received(*next + 2)
	l.Missing(nil, time.Now().Add(-d).UnixNano(), 0)
	l.Received(*next + 1)
	*next += 3
}

// TestNoteRepairs: a publisher's endpoint marks the histories of every
// layer it receives once its uplink needs repairs (2 a second or more),
// with the repair delay, for playoutHold; a stray repair marks nothing.
func TestNoteRepairs(t *testing.T) {
	w := newBareEndpoint(t)
	src := w.core.Source(media.Video)
	streams := []*rxStream{
		{w: w, ssrc: 100, kind: media.Video, tag: &layerTag{layer: 0}, nack: &nackgen.Log{}},
		{w: w, ssrc: 101, kind: media.Video, tag: &layerTag{layer: 1}, nack: &nackgen.Log{}},
		{w: w, ssrc: 102, kind: media.Audio},
	}
	st := &rxFeedbackState{streams: streams}
	var next uint64 = 1000
	now := media.Monotime()
	repairOnce(streams[0].nack, &next, 40*time.Millisecond)
	w.noteRepairs(st, now)
	for l := uint8(0); l < 2; l++ {
		if d := src.HistoryOf(l).RepairDelay(now); d != 0 {
			t.Fatalf("one repair in a second marked layer %d with %v", l, d)
		}
	}
	repairOnce(streams[0].nack, &next, 40*time.Millisecond)
	repairOnce(streams[0].nack, &next, 40*time.Millisecond)
	w.noteRepairs(st, now)
	for l := uint8(0); l < 2; l++ { // layer 1 saw none: it shares the uplink
		if d := src.HistoryOf(l).RepairDelay(now); d < 40*time.Millisecond || d > 200*time.Millisecond { // real clock: a busy machine adds
			t.Errorf("layer %d: repair delay %v after repairs of 40 ms, want ≈ 40ms", l, d)
		}
	}
	if d := src.HistoryOf(0).RepairDelay(now + int64(playoutHold)); d != 0 {
		t.Errorf("still %v after %v without repairs", d, playoutHold)
	}
	w.noteRepairs(st, now+int64(time.Second)) // a second without repairs extends nothing
	if d := src.HistoryOf(0).RepairDelay(now + int64(playoutHold)); d != 0 {
		t.Errorf("a clean second extended the mark: %v", d)
	}
}

// viewerOffer is a Chromium-like offer of a viewer (receive-only video and
// audio) that offers the playout-delay extension with video, as Chrome does.
func viewerOffer(t *testing.T) string {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{sdp.TransportCCURI, egress.PlayoutDelayURI} {
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: uri}, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

// extmaps lists the extension URIs of the answer's m-lines of a kind.
func extmaps(t *testing.T, answer, kind string) []string {
	t.Helper()
	var d sdp.SessionDescription
	if err := d.UnmarshalString(answer); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range d.MediaDescriptions {
		if m.MediaName.Media != kind {
			continue
		}
		for _, a := range m.Attributes {
			if _, uri, ok := parseExtmap("a=" + a.Key + ":" + a.Value); a.Key == "extmap" && ok {
				out = append(out, uri)
			}
		}
	}
	return out
}

// TestPlayoutDelayNegotiated: the answer to a viewer accepts playout-delay
// for video (not audio) when the cap is on, and not at all when it is 0;
// the video track's binding gets its id.
func TestPlayoutDelayNegotiated(t *testing.T) {
	for _, limit := range []time.Duration{200 * time.Millisecond, 0} {
		eng, err := NewEngine(Config{LoopbackOnly: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Egress: egress.Config{MaxPlayoutDelay: limit}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(eng.Close)
		p := media.NewPipeline()
		t.Cleanup(p.Release)
		ep, err := New(p, eng, Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(ep.Release)
		answer, err := ep.ProcessOffer(viewerOffer(t))
		if err != nil {
			t.Fatal(err)
		}
		video := strings.Join(extmaps(t, answer, "video"), " ")
		if got := strings.Contains(video, egress.PlayoutDelayURI); got != (limit > 0) {
			t.Errorf("cap %v: playout-delay in the video answer %v (%s)", limit, got, video)
		}
		if audio := strings.Join(extmaps(t, answer, "audio"), " "); strings.Contains(audio, egress.PlayoutDelayURI) {
			t.Errorf("playout-delay negotiated for audio: %s", audio)
		}
	}
	// The track's binding takes the negotiated id (one-byte ids only).
	w := newBareEndpoint(t)
	codec := webrtc.RTPCodecParameters{PayloadType: 96, RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}}
	for _, tc := range []struct {
		id   int
		want uint8
	}{{7, 7}, {15, 0}} {
		b := &extBinding{fakeBinding{ssrc: 5, codecs: []webrtc.RTPCodecParameters{codec}, out: &countingWriter{}},
			[]webrtc.RTPHeaderExtensionParameter{{URI: sdp.TransportCCURI, ID: 3}, {URI: egress.PlayoutDelayURI, ID: tc.id}}}
		if _, err := w.tracks[media.Video].Bind(b); err != nil {
			t.Fatal(err)
		}
		if got := w.tracks[media.Video].dt.PlayoutExtID(); got != tc.want {
			t.Errorf("negotiated id %d: binding's playout-delay id %d, want %d", tc.id, got, tc.want)
		}
	}
}

// extBinding is a fakeBinding with negotiated header extensions.
type extBinding struct {
	fakeBinding
	exts []webrtc.RTPHeaderExtensionParameter
}

func (b *extBinding) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return b.exts }
