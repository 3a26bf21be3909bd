package transcode_test

import (
	"encoding/binary"
	"image"
	"os"
	"testing"
	"time"

	"github.com/pion/rtp"
	"go.uber.org/goleak"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/mediatest"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
	"github.com/gorento/gorento/internal/media/transcode"
)

func TestMain(m *testing.M) {
	code := m.Run()
	processtest.Cleanup()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			code = 1
			println(err.Error())
		}
	}
	os.Exit(code)
}

var (
	h264 = &media.Codec{MimeType: "video/H264", ClockRate: 90000, Fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"}
	pcmu = &media.Codec{MimeType: "audio/PCMU", ClockRate: 8000, Channels: 1}
)

// pipeline is a pipeline transcoding in a real worker.
func pipeline(t *testing.T) *media.Pipeline {
	m := process.NewManager(process.Config{WorkerPath: processtest.WorkerBin(t), HangTimeout: 10 * time.Second})
	p := media.NewPipeline(media.WithTranscoders(&transcode.Factory{Backend: m, Key: "pipeline"}))
	t.Cleanup(func() {
		p.Release()
		_ = m.Close()
	})
	return p
}

// play pushes RTP packets out of src at the pace of their timestamps.
func play(t testing.TB, src *mediatest.Source, mt media.MediaType, codec *media.Codec, pkts [][]byte) {
	t.Helper()
	start := time.Now()
	ts0 := binary.BigEndian.Uint32(pkts[0][4:8])
	for _, b := range pkts {
		var p rtp.Packet
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Until(start.Add(time.Duration(p.Timestamp-ts0) * time.Second / time.Duration(codec.ClockRate))))
		src.Push(mt, &media.Packet{Header: p.Header, Payload: p.Payload, Codec: codec})
	}
}

// marshalled returns what a sink received as RTP packets.
func marshalled(t *testing.T, s *mediatest.Sink) [][]byte {
	var out [][]byte
	for _, r := range s.Received() {
		b, err := (&rtp.Packet{Header: r.Header, Payload: r.Payload}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestVP8ToH264Shared: two H.264-only sinks get H.264 from one encoder, a
// VP8 sink keeps the source's packets untouched.
func TestVP8ToH264Shared(t *testing.T) {
	p := pipeline(t)
	src, err := mediatest.NewSource(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.SetCodec(media.Video, mediatest.VP8)
	var sinks []*mediatest.Sink
	for _, c := range [][]*media.Codec{{h264}, {h264}, {mediatest.VP8}} {
		s, err := mediatest.NewSink(p, mediatest.SinkOptions{Codecs: c}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := media.Connect(src, s, media.Video, media.DefaultPad, media.DefaultPad); err != nil {
			t.Fatal(err)
		}
		sinks = append(sinks, s)
	}
	feed := sinks[0].Core().Sink(media.Video).Feed()
	tr, ok := feed.Owner().(*transcode.Transcoder)
	if !ok || sinks[1].Core().Sink(media.Video).Feed() != feed {
		t.Fatalf("the H.264 sinks are not fed by one transcoder output (%T)", feed.Owner())
	}
	if tr.Outputs() != 1 {
		t.Fatalf("%d encoders, want 1", tr.Outputs())
	}
	in := processtest.SolidVP8(t, 0x0000ff, 320, 240, 30, 60)
	play(t, src, media.Video, mediatest.VP8, in)
	waitFor(t, "H.264 at both sinks", func() bool { return sinks[0].Count() > 20 && sinks[1].Count() > 20 })
	for i, s := range sinks[:2] {
		frames := processtest.DecodeRTP(t, marshalled(t, s), processtest.H264Caps, "rtph264depay ! avdec_h264", 320, 240)
		if got := processtest.Fraction(frames[len(frames)-1], 320, image.Rect(0, 0, 320, 240), processtest.Near(0x0000ff, 60)); got < 0.9 {
			t.Errorf("sink %d: %.0f%% blue", i, 100*got)
		}
	}
	if got := sinks[2].Count(); got != len(in) {
		t.Errorf("VP8 sink got %d packets, want the %d sent", got, len(in))
	}
	waitFor(t, "the worker's count of encoders", func() bool { return tr.WorkerEncoders() == 1 })
}

// TestOpusToPCMU: a PCMU-only sink hears the Opus source's tone.
func TestOpusToPCMU(t *testing.T) {
	p := pipeline(t)
	src, err := mediatest.NewSource(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.SetCodec(media.Audio, mediatest.Opus)
	sink, err := mediatest.NewSink(p, mediatest.SinkOptions{Codecs: []*media.Codec{pcmu}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := media.Connect(src, sink, media.Audio, media.DefaultPad, media.DefaultPad); err != nil {
		t.Fatal(err)
	}
	play(t, src, media.Audio, mediatest.Opus, processtest.ToneOpus(t, 440, 1000))
	waitFor(t, "PCMU", func() bool { return sink.Count() > 30 })
	pcm := processtest.DecodeAudio(t, marshalled(t, sink), processtest.PCMUCaps, "rtppcmudepay ! mulawdec", 8000)
	l := processtest.Spectrum(pcm[len(pcm)/4:], 8000, 440, 1000)
	if l[0] < 0.05 || l[1] > l[0]/10 {
		t.Errorf("440 Hz at %.3f, 1 kHz at %.3f", l[0], l[1])
	}
}
