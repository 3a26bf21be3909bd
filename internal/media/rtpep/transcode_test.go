package rtpep

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
)

var (
	h264 = &media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "packetization-mode=1;profile-level-id=42e01f"}
	pcmu = &media.Codec{MimeType: "audio/PCMU", ClockRate: 8000, Channels: 1}
	pcma = &media.Codec{MimeType: "audio/PCMA", ClockRate: 8000, Channels: 1}
	vp9  = &media.Codec{MimeType: "video/VP9", ClockRate: 90000, Fmtp: "profile-id=0"}
)

func entries(codecs ...*media.Codec) []codecEntry {
	out := make([]codecEntry, len(codecs))
	for i, c := range codecs {
		out[i] = codecEntry{pt: uint8(100 + i), codec: c}
	}
	return out
}

// TestChoose: an offered m-line is answered with the remote side's first
// supported codec, or a forced format's codec when offered — the
// pipeline's codec does not override the remote side (the graph
// transcodes), as a WebRtcEndpoint answers.
func TestChoose(t *testing.T) {
	h265 := &media.Codec{MimeType: "video/H265", ClockRate: 90000}
	for _, tc := range []struct {
		name    string
		kind    media.MediaType
		offered []*media.Codec
		forced  *media.Codec
		want    *media.Codec // nil: nothing acceptable
	}{
		{"first supported", media.Video, []*media.Codec{h264, vp8}, nil, h264},
		{"unsupported skipped", media.Video, []*media.Codec{h265, vp9, vp8}, nil, vp9},
		{"forced offered", media.Video, []*media.Codec{h264, vp8}, vp8, vp8},
		{"forced not offered", media.Video, []*media.Codec{h264, vp9}, vp8, h264},
		{"audio peer order", media.Audio, []*media.Codec{pcmu, opus}, nil, pcmu},
		{"audio forced", media.Audio, []*media.Codec{pcmu, pcma, opus}, opus, opus},
		{"nothing supported", media.Video, []*media.Codec{h265}, nil, nil},
		{"nothing offered", media.Audio, nil, opus, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var forced *media.Format
			if tc.forced != nil {
				forced = &media.Format{Codec: tc.forced}
			}
			got, ok := choose(tc.kind, entries(tc.offered...), forced)
			if tc.want == nil {
				if ok {
					t.Fatalf("chose %s, want nothing", got.codec.MimeType)
				}
				return
			}
			if !ok || !got.codec.Same(tc.want) {
				t.Fatalf("chose %+v (%v), want %s", got.codec, ok, tc.want.MimeType)
			}
		})
	}
}

// TestOfferCodecs: our offers list a forced format's codec first, then the
// pipeline's, then Gorento's order; every supported codec is offered.
func TestOfferCodecs(t *testing.T) {
	for _, tc := range []struct {
		name          string
		kind          media.MediaType
		forced, inUse *media.Codec
		want          []string
	}{
		{"default", media.Video, nil, nil, []string{"VP8", "H264", "VP9", "AV1"}},
		{"pipeline's first", media.Video, nil, vp9, []string{"VP9", "VP8", "H264", "AV1"}},
		{"forced before pipeline's", media.Video, h264, vp9, []string{"H264", "VP9", "VP8", "AV1"}},
		{"audio pipeline's", media.Audio, nil, pcma, []string{"PCMA", "opus", "PCMU"}},
		{"audio forced", media.Audio, pcmu, opus, []string{"PCMU", "opus", "PCMA"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var forced *media.Format
			if tc.forced != nil {
				forced = &media.Format{Codec: tc.forced}
			}
			var got []string
			for _, c := range offerCodecs(tc.kind, forced, tc.inUse) {
				got = append(got, rtpmapName(c.codec))
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") {
				t.Fatalf("offered %v, want %v", got, tc.want)
			}
		})
	}
}

// transcodeRig is an endpoint in a pipeline that transcodes with
// mediatest's fake transcoders (they relabel packets with the target
// codec), and a plain UDP socket as the remote side.
type transcodeRig struct {
	pipe   *media.Pipeline
	tf     *mediatest.Transcoders
	ep     *Endpoint
	events *mediatest.Events
	remote *net.UDPConn
}

func newTranscodeRig(t *testing.T) *transcodeRig {
	t.Helper()
	r := &transcodeRig{tf: &mediatest.Transcoders{}, events: mediatest.NewEvents()}
	r.pipe = media.NewPipeline(media.WithTranscoders(r.tf))
	t.Cleanup(r.pipe.Release)
	var err error
	if r.ep, err = New(r.pipe, testEngine(t, Config{}), Options{}, r.events.Handler()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.ep.Release)
	if r.remote, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.remote.Close() })
	return r
}

// offer negotiates an offer of one m-line from the remote socket.
func (r *transcodeRig) offer(t *testing.T, mline string) *net.UDPAddr {
	t.Helper()
	offer := fmt.Sprintf("v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"+mline,
		r.remote.LocalAddr().(*net.UDPAddr).Port)
	answer, err := r.ep.ProcessOffer(offer)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := parseRemote(answer, "answer")
	if err != nil || len(lines) != 1 {
		t.Fatalf("answer %v:\n%s", err, answer)
	}
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: lines[0].port}
}

func transcodingEvent(mt media.MediaType, on bool) media.MediaTranscodingStateChanged {
	return media.MediaTranscodingStateChanged{MediaType: mt, Transcoding: on, BinName: media.DefaultPad}
}

// TestTranscodeRTPIn: H.264 arrives over RTP, the element behind the
// endpoint takes only VP8: the graph transcodes what the endpoint emits,
// and the endpoint reports it.
func TestTranscodeRTPIn(t *testing.T) {
	r := newTranscodeRig(t)
	sink, err := mediatest.NewSink(r.pipe, mediatest.SinkOptions{Codecs: []*media.Codec{vp8}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := media.Connect(r.ep, sink, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	to := r.offer(t, "m=video %d RTP/AVP 103 96\r\na=rtpmap:103 H264/90000\r\na=rtpmap:96 VP8/90000\r\na=sendonly\r\n")
	if c := r.ep.Stats(media.Video).Codec; !strings.EqualFold(c.MimeType, "video/H264") {
		t.Fatalf("answered %s, want the remote side's first codec", c.MimeType)
	}
	r.events.WaitFor(t, transcodingEvent(media.Video, true), waitLong)
	if !r.ep.Core().IsTranscoding(media.Video, media.DefaultPad) {
		t.Fatal("IsTranscoding false")
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 103, SSRC: 7}, Payload: []byte{0x65, 1, 2, 3}}
	for i := 0; i < 20; i++ {
		pkt.SequenceNumber, pkt.Timestamp = uint16(i), uint32(i*3000)
		b, _ := pkt.Marshal()
		if _, err := r.remote.WriteToUDP(b, to); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, waitLong, "transcoded packets at the VP8 sink", func() bool { return sink.Count() >= 10 })
	all := r.tf.All()
	if len(all) != 1 || !all[0].From().Same(r.ep.Stats(media.Video).Codec) {
		t.Fatalf("transcoders %v", all)
	}
	if outs := all[0].Outputs(); len(outs) != 1 || !outs[0].Matches(vp8) {
		t.Fatalf("outputs %v", outs)
	}
	// The sink takes H.264 too now: direct again, the transcoder goes.
	sink.SetCodecs([]*media.Codec{vp8, h264})
	r.events.WaitFor(t, transcodingEvent(media.Video, false), waitLong)
	eventually(t, waitLong, "the transcoder released", func() bool { return r.tf.Live() == 0 })
}

// TestTranscodeRTPOut: Opus reaches the endpoint, whose remote side
// receives PCMU only: the graph transcodes what feeds the endpoint, and
// PCMU (payload type 0) goes out; the source element reports it.
func TestTranscodeRTPOut(t *testing.T) {
	r := newTranscodeRig(t)
	srcEvents := mediatest.NewEvents()
	src, err := mediatest.NewSource(r.pipe, srcEvents.Handler())
	if err != nil {
		t.Fatal(err)
	}
	src.SetCodec(media.Audio, opus)
	if err := media.Connect(src, r.ep, media.Audio, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	srcEvents.WaitFor(t, transcodingEvent(media.Audio, false), waitLong) // nothing known about the sink yet
	r.offer(t, "m=audio %d RTP/AVP 0\r\na=recvonly\r\n")
	srcEvents.WaitFor(t, transcodingEvent(media.Audio, true), waitLong)
	a := mediatest.Stream{SSRC: 2, Seq: 1, Step: 960, Codec: opus}
	got := make(chan rtp.Header, 64)
	go func() {
		buf := make([]byte, 1500)
		for {
			n, _, err := r.remote.ReadFromUDP(buf)
			if err != nil {
				close(got)
				return
			}
			var p rtp.Packet
			if p.Unmarshal(buf[:n]) == nil {
				select {
				case got <- p.Header:
				default:
				}
			}
		}
	}()
	deadline := time.After(waitLong)
	for n := 0; n < 5; {
		src.Push(media.Audio, a.Next([]byte{0xfc, 1, 2, 3}))
		select {
		case h := <-got:
			if h.PayloadType != 0 {
				t.Fatalf("payload type %d sent, want 0 (PCMU)", h.PayloadType)
			}
			n++
		case <-deadline:
			t.Fatal("no PCMU sent")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if st := r.ep.Stats(media.Audio); st.Dropped != 0 || st.Sent < 5 {
		t.Fatalf("stats %+v", st)
	}
	if n := r.tf.Made(); n != 1 {
		t.Fatalf("%d transcoders made", n)
	}
	if r.ep.SinkCodecs(r.ep.Core().Sink(media.Video)) == nil {
		t.Fatal("video was not offered: its sink pad must take nothing, not anything")
	}
	_ = r.remote.Close()
	for range got {
	}
}

// TestForcedFormatNegotiation: setVideoFormat/setAudioFormat before
// negotiating put the forced codec first in our offer and make an answer
// take it when offered.
func TestForcedFormatNegotiation(t *testing.T) {
	r := newTranscodeRig(t)
	r.ep.Core().SetFormat(media.Video, &media.Format{Codec: vp8})
	r.ep.Core().SetFormat(media.Audio, &media.Format{Codec: pcma})
	r.offer(t, "m=video %d RTP/AVP 103 96\r\na=rtpmap:103 H264/90000\r\na=rtpmap:96 VP8/90000\r\n")
	if c := r.ep.Stats(media.Video).Codec; !c.Matches(vp8) {
		t.Fatalf("answered %s, want the forced VP8", c.MimeType)
	}
	o := newTranscodeRig(t)
	o.ep.Core().SetFormat(media.Audio, &media.Format{Codec: pcma})
	offer, err := o.ep.GenerateOffer(OfferOptions{OfferToReceiveAudio: true, OfferToReceiveVideo: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(offer, "m=audio ") || !strings.Contains(offer, " RTP/AVP 8 ") {
		t.Fatalf("offer does not put the forced PCMA first:\n%s", offer)
	}
}
