package frames

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/pion/rtp"
)

func TestDepacketizerRoundTrip(t *testing.T) {
	for _, c := range []Codec{VP8, VP9, H264, AV1, Opus, PCMU, PCMA, AAC} {
		for _, reorder := range []bool{false, true} {
			name := c.String()
			if reorder {
				name += "/reordered"
			}
			t.Run(name, func(t *testing.T) {
				var in [][]byte
				for i := 0; i < 60; i++ {
					size := 50 + (i*97)%900
					if c == PCMU || c == PCMA {
						size = 160
					}
					in = append(in, testFrame(c, i, i%20 == 0, size))
				}
				pkts := packetize(t, c, in, 0xffffff00) // crosses the 32-bit wrap
				if reorder {
					shuffleNear(pkts, 4, rand.New(rand.NewSource(1)))
				}
				opts := []Option{}
				if c == AAC {
					opts = append(opts, WithAAC(AACConfig{SampleRate: 48000}))
				}
				d, err := NewDepacketizer(c, opts...)
				if err != nil {
					t.Fatal(err)
				}
				out := run(t, d, pkts)
				if len(out) != len(in) {
					t.Fatalf("got %d frames, want %d (stats %+v)", len(out), len(in), d.Stats())
				}
				for i, f := range out {
					want := in[i]
					if c == H264 { // start codes may change length
						if !bytes.Equal(bytes.Join(stripStartCodes(f.Data), []byte{1}), bytes.Join(stripStartCodes(want), []byte{1})) {
							t.Fatalf("frame %d differs", i)
						}
					} else if !bytes.Equal(f.Data, want) {
						t.Fatalf("frame %d differs: got %d bytes, want %d", i, len(f.Data), len(want))
					}
					if c.IsVideo() && f.Keyframe != (i%20 == 0) {
						t.Fatalf("frame %d keyframe=%v", i, f.Keyframe)
					}
					if i > 0 && f.Timestamp <= out[i-1].Timestamp {
						t.Fatalf("frame %d timestamp %d after %d: not monotonic across the wrap", i, f.Timestamp, out[i-1].Timestamp)
					}
					if f.Lost != 0 || f.Discontinuity {
						t.Fatalf("frame %d reports a gap", i)
					}
				}
				if out[len(out)-1].Timestamp < 1<<32 {
					t.Fatalf("last timestamp %d: the wrap was not unwrapped", out[len(out)-1].Timestamp)
				}
			})
		}
	}
}

func stripStartCodes(b []byte) [][]byte {
	var out [][]byte
	EachNAL(b, func(n []byte) { out = append(out, append([]byte(nil), n...)) })
	return out
}

func TestDepacketizerVideoLossWaitsForKeyframe(t *testing.T) {
	for _, c := range []Codec{VP8, VP9, H264, AV1} {
		t.Run(c.String(), func(t *testing.T) {
			var in [][]byte
			for i := 0; i < 40; i++ {
				in = append(in, testFrame(c, i, i%10 == 0, 600))
			}
			pkts := packetize(t, c, in, 1000)
			// lose the second packet of frame 3
			var kept []*rtp.Packet
			lostTS, n := uint32(0), 0
			for _, p := range pkts {
				if p.Timestamp == pkts[0].Timestamp+3*2970 {
					n++
					if n == 2 {
						lostTS = p.Timestamp
						continue
					}
				}
				kept = append(kept, p)
			}
			if lostTS == 0 {
				t.Fatal("test setup: frame 3 has one packet")
			}
			requests := 0
			d, _ := NewDepacketizer(c, WithKeyframeRequest(func() { requests++ }))
			out := run(t, d, kept)
			// frames 0,1,2 then 10..39
			if len(out) != 3+30 {
				t.Fatalf("got %d frames, want 33 (stats %+v)", len(out), d.Stats())
			}
			if out[3].Timestamp != out[0].Timestamp+10*2970 || !out[3].Keyframe {
				t.Fatalf("after the loss the next frame is not keyframe 10: ts %d key %v", out[3].Timestamp-out[0].Timestamp, out[3].Keyframe)
			}
			if !out[3].Discontinuity || out[3].Lost == 0 {
				t.Fatalf("the loss is not reported: %+v", out[3])
			}
			if requests == 0 || d.Stats().DroppedNoKey == 0 {
				t.Fatalf("no keyframe request (%d) or no dropped frames (%+v)", requests, d.Stats())
			}
		})
	}
}

func TestDepacketizerAudioLossIsOneFrame(t *testing.T) {
	var in [][]byte
	for i := 0; i < 50; i++ {
		in = append(in, testFrame(Opus, i, true, 80))
	}
	pkts := packetize(t, Opus, in, 5)
	pkts = append(pkts[:10], pkts[11:]...)
	d, _ := NewDepacketizer(Opus)
	out := run(t, d, pkts)
	if len(out) != 49 {
		t.Fatalf("got %d frames", len(out))
	}
	if out[10].Lost != 1 || !out[10].Discontinuity || out[9].Lost != 0 {
		t.Fatalf("loss not reported on the frame after it: %+v", out[10])
	}
	if got := out[10].Timestamp - out[9].Timestamp; got != 2*960 {
		t.Fatalf("gap %d ticks, want 1920: the timeline must keep the hole", got)
	}
}

func TestDepacketizerStartsOnKeyframe(t *testing.T) {
	var in [][]byte
	for i := 0; i < 30; i++ {
		in = append(in, testFrame(VP8, i, i == 12, 300))
	}
	pkts := packetize(t, VP8, in, 0)
	d, _ := NewDepacketizer(VP8)
	out := run(t, d, pkts[3:]) // join in the middle of frame 0..
	if len(out) != 18 || !out[0].Keyframe {
		t.Fatalf("got %d frames, first keyframe=%v", len(out), len(out) > 0 && out[0].Keyframe)
	}
}

func TestDepacketizerH264ParameterSets(t *testing.T) {
	sps := []byte{0x67, 0x42, 0xc0, 0x0d, 0xd9, 0x01, 0x41, 0xfb, 0x01, 0x10, 0, 0, 3, 0, 0x10, 0, 0, 3, 3, 0xc0, 0xf1, 0x42, 0xa4, 0x80}
	pps := []byte{0x68, 0xcb, 0x83, 0xcb, 0x20}
	bareIDR := []byte{0, 0, 0, 1, 0x65, 1, 2, 3, 4}
	inter := []byte{0, 0, 0, 1, 0x41, 9, 9}

	t.Run("unknown params: IDR is not a keyframe", func(t *testing.T) {
		d, _ := NewDepacketizer(H264)
		out := run(t, d, packetize(t, H264, [][]byte{bareIDR, inter}, 0))
		if len(out) != 0 {
			t.Fatalf("got %d frames from a stream without SPS/PPS", len(out))
		}
	})
	t.Run("sprop-parameter-sets are prepended", func(t *testing.T) {
		d, err := NewDepacketizer(H264, WithH264ParameterSets(sps, pps))
		if err != nil {
			t.Fatal(err)
		}
		out := run(t, d, packetize(t, H264, [][]byte{bareIDR, inter}, 0))
		if len(out) != 2 || !out[0].Keyframe {
			t.Fatalf("got %d frames", len(out))
		}
		gs, gp := H264ParameterSets(out[0].Data)
		if !bytes.Equal(gs, sps) || !bytes.Equal(gp, pps) || !H264Keyframe(out[0].Data) {
			t.Fatalf("keyframe not self-contained: % x", out[0].Data)
		}
	})
	t.Run("in-band params are remembered", func(t *testing.T) {
		withParams := append(append(append(append([]byte{0, 0, 0, 1}, sps...), 0, 0, 0, 1), pps...), bareIDR...)
		d, _ := NewDepacketizer(H264)
		out := run(t, d, packetize(t, H264, [][]byte{withParams, inter, bareIDR}, 0))
		if len(out) != 3 || !out[2].Keyframe {
			t.Fatalf("got %d frames", len(out))
		}
		if s, p := H264ParameterSets(out[2].Data); s == nil || p == nil {
			t.Fatal("later IDR did not get the remembered SPS/PPS")
		}
	})
}

func TestDepacketizerDuplicatesPaddingLate(t *testing.T) {
	var in [][]byte
	for i := 0; i < 10; i++ {
		in = append(in, testFrame(Opus, i, true, 40))
	}
	pkts := packetize(t, Opus, in, 0)
	// duplicate packet 2, padding-only packet between 4 and 5 (sequence
	// numbers shifted after it), packet 7 arriving far too late
	var seq []*rtp.Packet
	for i, p := range pkts {
		seq = append(seq, p)
		if i == 2 {
			seq = append(seq, p)
		}
	}
	d, _ := NewDepacketizer(Opus, WithReorderWindow(16))
	out := run(t, d, seq)
	if st := d.Stats(); len(out) != 10 || st.Duplicates+st.Late != 1 {
		t.Fatalf("got %d frames, stats %+v", len(out), d.Stats())
	}
	pad := &rtp.Packet{Header: rtp.Header{SSRC: 1234, SequenceNumber: pkts[9].SequenceNumber + 1, Timestamp: pkts[9].Timestamp}}
	d.Push(pad)
	next := *pkts[9]
	next.SequenceNumber += 2
	next.Timestamp += 960
	d.Push(&next)
	if out := drain(d); len(out) != 1 || out[0].Lost != 0 {
		t.Fatalf("padding counted as loss: %+v", out)
	}
	d.Push(pkts[3])
	if d.Stats().Late != 2 {
		t.Fatalf("late packet not counted: %+v", d.Stats())
	}
}

func TestDepacketizerGivesUpAfterMaxDelay(t *testing.T) {
	var in [][]byte
	for i := 0; i < 100; i++ {
		in = append(in, testFrame(Opus, i, true, 40))
	}
	pkts := packetize(t, Opus, in, 0)
	d, _ := NewDepacketizer(Opus)
	var got int
	for i, p := range pkts {
		if i == 5 {
			continue
		}
		d.Push(p)
		got += len(drain(d))
		if i == 20 && got != 5 { // 300 ms later: still waiting for packet 5
			t.Fatalf("after 300 ms %d frames out, want 5 (waiting)", got)
		}
	}
	if got != 99 {
		t.Fatalf("got %d frames, want 99 without Flush", got)
	}
}

func TestDepacketizerNewSource(t *testing.T) {
	a := packetize(t, VP8, [][]byte{testFrame(VP8, 0, true, 100), testFrame(VP8, 1, false, 100)}, 0)
	b := packetize(t, VP8, [][]byte{testFrame(VP8, 0, true, 100)}, 777777)
	for _, p := range b {
		p.SSRC = 99
		p.SequenceNumber += 3000
	}
	d, _ := NewDepacketizer(VP8)
	out := run(t, d, append(a, b...))
	if len(out) != 3 || !out[2].NewSource || out[1].NewSource {
		t.Fatalf("got %d frames; NewSource not flagged on the switch", len(out))
	}
}

func TestUnwrapper(t *testing.T) {
	var u TimestampUnwrapper
	in := []uint32{0xfffffff0, 0xfffffffa, 0x10, 0xfffffffe /* late */, 0x20, 0x70000030, 0xe0000040, 0x10 /* wrapped again */}
	want := []int64{0xfffffff0, 0xfffffffa, 0x100000010, 0xfffffffe, 0x100000020, 0x170000030, 0x1e0000040, 0x200000010}
	for i, v := range in {
		if got := u.Unwrap(v); got != want[i] {
			t.Fatalf("%d: Unwrap(%#x) = %#x, want %#x", i, v, got, want[i])
		}
	}
	var s SeqUnwrapper
	if s.Unwrap(65535) != 65535 || s.Unwrap(0) != 65536 || s.Unwrap(65534) != 65534 || s.Unwrap(3) != 65539 {
		t.Fatal("sequence unwrap")
	}
}

func TestVideoSize(t *testing.T) {
	for _, c := range []Codec{VP8, VP9, H264} {
		w, h, err := VideoSize(c, testFrame(c, 0, true, 10))
		if err != nil || w != 320 || h != 240 {
			t.Errorf("%v: %dx%d %v", c, w, h, err)
		}
	}
	if _, _, err := VideoSize(VP8, testFrame(VP8, 1, false, 10)); err == nil {
		t.Error("VP8 inter frame has no size")
	}
}

func TestCodecFromMime(t *testing.T) {
	for in, want := range map[string]Codec{"video/VP8": VP8, "vp9": VP9, "video/h264": H264, "audio/opus": Opus,
		"audio/PCMU": PCMU, "audio/MPEG4-GENERIC": AAC, "video/AV1": AV1} {
		if got, err := CodecFromMime(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := CodecFromMime("video/H265"); err == nil {
		t.Error("H265 accepted")
	}
}
