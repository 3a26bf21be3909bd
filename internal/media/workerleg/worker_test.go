package workerleg

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/internal/media/process/processtest"
)

func TestMain(m *testing.M) { processtest.Main(m) }

// TestWorkerLegTiming: a leg's output is placed by when its input arrived,
// not by when the worker returned it. 1 s of silence then 1 s of a tone
// (Opus) go to the worker in one burst, stamped as a real-time sender's
// arrivals; the tone's onset in the decoded output must map back to the
// arrival of the input where it starts (1 s after the first), for an
// output clock like the input's (AAC) and another (PCMU).
func TestWorkerLegTiming(t *testing.T) {
	in := opusSilenceThenTone(t)
	m := process.NewManager(process.Config{WorkerPath: processtest.WorkerBin(t)})
	t.Cleanup(func() { _ = m.Close() })
	opus := &media.Codec{MimeType: "audio/opus", ClockRate: 48000, Channels: 2}
	for _, tc := range []struct {
		out          frames.Codec
		caps, decode string
	}{
		{frames.AAC, "media=audio,clock-rate=48000,encoding-name=MPEG4-GENERIC,payload=96,mode=(string)AAC-hbr," +
			"streamtype=(string)5,sizelength=(string)13,indexlength=(string)3,indexdeltalength=(string)3," +
			"config=(string)1190,encoding-params=(string)2", "rtpmp4gdepay ! aacparse ! avdec_aac"},
		{frames.PCMU, processtest.PCMUCaps, "rtppcmudepay ! mulawdec"},
	} {
		t.Run(tc.out.String(), func(t *testing.T) {
			var (
				mu   sync.Mutex
				pkts [][]byte
				ats  []time.Duration
			)
			ready := make(chan struct{})
			var once sync.Once
			leg, err := Worker(m, t.Name())(opus, Output{Codec: tc.out}, Handler{
				OnRTP: func(p *rtp.Packet, at time.Duration) {
					b, _ := p.Marshal()
					mu.Lock()
					pkts, ats = append(pkts, b), append(ats, at)
					mu.Unlock()
				},
				OnError: func(err error) { t.Errorf("leg: %v", err) },
				Ready:   func() { once.Do(func() { close(ready) }) },
			})
			if err != nil {
				t.Fatal(err)
			}
			defer leg.Close()
			select {
			case <-ready:
			case <-time.After(30 * time.Second):
				t.Fatal("the leg did not start")
			}
			const base = 7 * time.Second // the first packet's arrival
			for i, p := range in {
				if err := leg.WriteRTP(p, base+time.Duration(i)*20*time.Millisecond); err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
			}
			rate := time.Duration(leg.Output().ClockRate)
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				n := len(pkts)
				var span time.Duration
				if n > 0 {
					last := rtpTimestamp(pkts[n-1])
					span = time.Duration(last-rtpTimestamp(pkts[0])) * time.Second / rate
				}
				mu.Unlock()
				if span >= 1700*time.Millisecond {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the leg returned %d packets spanning %v of the 2 s written", n, span)
				}
				time.Sleep(20 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			const pcmRate = 8000
			pcm := processtest.DecodeAudio(t, pkts, tc.caps, tc.decode, pcmRate)
			onset := -1
			for i, s := range pcm {
				if math.Abs(s) > 0.05 {
					onset = i
					break
				}
			}
			if onset < 0 {
				t.Fatal("no tone in the leg's output")
			}
			if ats[0] == 0 {
				t.Fatal("the first output packet has no input time")
			}
			got := ats[0] + time.Duration(onset)*time.Second/pcmRate - base
			t.Logf("%v: tone onset at %v after the first input (want 1 s)", tc.out, got)
			// 20 ms of Opus frame plus an encoder's priming (AAC: 1024 samples).
			if got < 960*time.Millisecond || got > 1080*time.Millisecond {
				t.Errorf("%v: the tone starts %v after the first input's arrival, want 1 s", tc.out, got)
			}
		})
	}
}

// opusSilenceThenTone is 1 s of silence then 1 s of 1 kHz, 20 ms Opus
// packets numbered as one stream from RTP time 4_000_000_000 (the leg's
// RTP time wraps on the way).
func opusSilenceThenTone(t *testing.T) []*rtp.Packet {
	gen := func(wave string) [][]byte {
		return processtest.GstRTP(t, fmt.Sprintf("audiotestsrc wave=%s freq=1000 volume=0.25 num-buffers=50 samplesperbuffer=960 ! "+
			"audio/x-raw,rate=48000,channels=2 ! opusenc frame-size=20 ! rtpopuspay pt=111", wave))
	}
	var out []*rtp.Packet
	for _, b := range append(gen("silence"), gen("sine")...) {
		p := &rtp.Packet{}
		if err := p.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		n := len(out)
		p.SequenceNumber, p.Timestamp, p.SSRC = uint16(1000+n), 4_000_000_000+uint32(n)*960, 1234
		out = append(out, p)
	}
	return out
}

func rtpTimestamp(b []byte) uint32 {
	return uint32(b[4])<<24 | uint32(b[5])<<16 | uint32(b[6])<<8 | uint32(b[7])
}
