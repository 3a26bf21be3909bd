package webrtcep

import (
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// offerWith makes a browser-like offer (sendrecv audio and video) whose
// codecs are exactly those given, in that order.
func offerWith(t *testing.T, video, audio []webrtc.RTPCodecParameters) string {
	t.Helper()
	m := &webrtc.MediaEngine{}
	for _, c := range video {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range audio {
		if err := m.RegisterCodec(c, webrtc.RTPCodecTypeAudio); err != nil {
			t.Fatal(err)
		}
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(k); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return offer.SDP
}

// answerCodecs lists the codec names of the answer's m-line of a kind, in order.
func answerCodecs(t *testing.T, answer, kind string) []string {
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
			if a.Key == "rtpmap" {
				name, _, _ := strings.Cut(strings.Fields(a.Value)[1], "/")
				out = append(out, name)
			}
		}
	}
	return out
}

func TestAnswerKeepsPeerCodecsInPeerOrder(t *testing.T) {
	h264 := vcodec(100, webrtc.MimeTypeH264, "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
	vp8 := vcodec(101, webrtc.MimeTypeVP8, "")
	opus := acodec(111, webrtc.MimeTypeOpus, 48000, 2, "minptime=10;useinbandfec=1")
	pcmu := acodec(0, webrtc.MimeTypePCMU, 8000, 1, "")
	for _, tc := range []struct {
		name              string
		video, audio      []webrtc.RTPCodecParameters
		forced            *media.Format
		wantVideo         []string
		wantAudio         []string
		wantRecv, wantRec string
	}{
		{"VP8 first", []webrtc.RTPCodecParameters{vp8, h264}, []webrtc.RTPCodecParameters{opus, pcmu}, nil,
			[]string{"VP8", "H264"}, []string{"opus", "PCMU"}, "video/VP8", "audio/opus"},
		{"H.264 first", []webrtc.RTPCodecParameters{h264, vp8}, []webrtc.RTPCodecParameters{pcmu, opus}, nil,
			[]string{"H264", "VP8"}, []string{"PCMU", "opus"}, "video/H264", "audio/PCMU"},
		{"H.264 only", []webrtc.RTPCodecParameters{h264}, []webrtc.RTPCodecParameters{pcmu}, nil,
			[]string{"H264"}, []string{"PCMU"}, "video/H264", "audio/PCMU"},
		{"forced format first", []webrtc.RTPCodecParameters{vp8, h264}, []webrtc.RTPCodecParameters{opus, pcmu},
			&media.Format{Codec: &media.Codec{MimeType: webrtc.MimeTypeH264, ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"}},
			[]string{"H264", "VP8"}, []string{"opus", "PCMU"}, "video/H264", "audio/opus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eng := newEngine(t)
			p := media.NewPipeline()
			t.Cleanup(p.Release)
			ep, err := New(p, eng, Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(ep.Release)
			if tc.forced != nil {
				ep.Core().SetFormat(media.Video, tc.forced)
			}
			answer, err := ep.ProcessOffer(offerWith(t, tc.video, tc.audio))
			if err != nil {
				t.Fatal(err)
			}
			if got := answerCodecs(t, answer, "video"); strings.Join(got, ",") != strings.Join(tc.wantVideo, ",") {
				t.Errorf("video codecs in the answer %v, want %v", got, tc.wantVideo)
			}
			if got := answerCodecs(t, answer, "audio"); strings.Join(got, ",") != strings.Join(tc.wantAudio, ",") {
				t.Errorf("audio codecs in the answer %v, want %v", got, tc.wantAudio)
			}
			if got := ep.SourceCodec(ep.Core().Source(media.Video)); got == nil || got.MimeType != tc.wantRecv {
				t.Errorf("video source codec %v, want %s", got, tc.wantRecv)
			}
			if got := ep.SourceCodec(ep.Core().Source(media.Audio)); got == nil || got.MimeType != tc.wantRec {
				t.Errorf("audio source codec %v, want %s", got, tc.wantRec)
			}
			sends := ep.SinkCodecs(ep.Core().Sink(media.Video))
			if len(sends) != len(tc.wantVideo) {
				t.Errorf("video sink codecs %v, want %v", sends, tc.wantVideo)
			}
		})
	}
}

func TestCodecsBeforeNegotiationAreUnknown(t *testing.T) {
	eng := newEngine(t)
	p := media.NewPipeline()
	t.Cleanup(p.Release)
	ep, err := New(p, eng, Options{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Release)
	if ep.SourceCodec(ep.Core().Source(media.Video)) != nil || ep.SinkCodecs(ep.Core().Sink(media.Video)) != nil {
		t.Error("codecs known before negotiating")
	}
}
