package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// sample is one page's once-a-second getStats summary (js/e2e/quality-page.js).
type sample struct {
	T        int64 // Unix ms
	Out      *outStats
	In       *inStats
	OutBytes float64 // every outbound RTP stream, payload + headers
	InBytes  float64
	Layer    *sentLayer // a viewer's: what the server sends it (the room demo's getReceivedLayer)
}

// sentLayer is what the server says it sends a viewer: the simulcast layer,
// the VP8 temporal layer and its estimate of the viewer's link.
type sentLayer struct {
	Layer, TargetLayer, Layers, TemporalLayer, TemporalLayers int
	TargetBitrate                                             float64
}

type outStats struct {
	BytesSent, HeaderBytesSent, RetransmittedBytesSent float64
	FramesEncoded, FramesSent                          float64
	FrameWidth, FrameHeight, FPS, TargetBitrate        float64
	QualityLimitationReason                            string
	AvailableOutgoingBitrate, RTT, FractionLost        float64
	CandidateType                                      string
	NackCount, PliCount                                float64
	VideoBytesSent                                     float64 // every video layer, payload + headers
	Layers                                             []layerStats
	RemoteRtts                                         []remoteRTT // per layer, from our receiver reports
}

// remoteRTT is the round trip a sender computed from the receiver reports
// on one of its streams (remote-inbound-rtp): libwebrtc resends a packet
// again only once that much time has passed since its last resend.
type remoteRTT struct {
	SSRC   uint32
	RTT, N float64 // roundTripTime (s), roundTripTimeMeasurements
}

// layerStats is one outbound video stream (a simulcast layer) of a sample.
type layerStats struct {
	RID                                              string
	Height, FPS, Bytes, Retransmitted, TargetBitrate float64
	FramesSent                                       float64
	KeyFrames, PLI, NACK, Packets                    float64 // keyFramesEncoded, pliCount, nackCount, packetsSent
}

type inStats struct {
	BytesReceived, PacketsReceived, PacketsLost                 float64
	FramesDecoded, FramesDropped, KeyFramesDecoded              float64
	FrameWidth, FrameHeight, FPS                                float64
	FreezeCount, TotalFreezesDuration, NackCount, PliCount      float64
	JitterBufferDelay, JitterBufferEmittedCount, FramesReceived float64
	JitterBufferTargetDelay, JitterBufferMinimumDelay           float64
}

type pageResult struct {
	Samples     []sample
	Errors      []string
	Camera      map[string]any
	Degradation []string
}

// span is the part of a page's samples between two instants.
type span struct{ a, b *sample }

// window is the span from the last sample at or before from (the first
// after it when there is none) to the last at or before to. Counters are
// differences from sp.a: a span starting at the first sample after from
// left out what the browser counted in between — in the drop row the
// freeze the drop itself caused, which Chrome reports once it ends,
// 0.3–0.9 s after the drop.
func window(ss []sample, from, to time.Time) (span, bool) {
	var sp span
	for i := range ss {
		t := time.UnixMilli(ss[i].T)
		if !t.After(from) || sp.a == nil && t.After(from) {
			sp.a = &ss[i]
		}
		if !t.After(to) {
			sp.b = &ss[i]
		}
	}
	return sp, sp.a != nil && sp.b != nil && sp.b.T > sp.a.T
}

func (s span) seconds() float64 { return float64(s.b.T-s.a.T) / 1000 }

// rate of a counter over the span, per second.
func (s span) rate(f func(*sample) float64) float64 { return (f(s.b) - f(s.a)) / s.seconds() }

func (s span) delta(f func(*sample) float64) float64 { return f(s.b) - f(s.a) }

// median of a gauge over the samples in the span (zeros skipped).
func (s span) median(all []sample, f func(*sample) float64) float64 {
	var v []float64
	for i := range all {
		if all[i].T >= s.a.T && all[i].T <= s.b.T {
			if x := f(&all[i]); x > 0 {
				v = append(v, x)
			}
		}
	}
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

// dominant is the most frequent non-empty string of the span.
func (s span) dominant(all []sample, f func(*sample) string) string {
	n := map[string]int{}
	best := ""
	for i := range all {
		if all[i].T >= s.a.T && all[i].T <= s.b.T {
			if k := f(&all[i]); k != "" {
				n[k]++
				if n[k] > n[best] {
					best = k
				}
			}
		}
	}
	return best
}

func outOf(s *sample) *outStats {
	if s.Out == nil {
		return &outStats{}
	}
	return s.Out
}

func inOf(s *sample) *inStats {
	if s.In == nil {
		return &inStats{}
	}
	return s.In
}

// viewer is what one subscriber got from the publisher during a window.
type viewer struct {
	FPS, FreezeSeconds, Freezes, Height, MinHeight, Kbps, LinkKbps, Lost float64
	Seconds                                                              float64 // the window's length
}

func measureViewer(p pageResult, from, to time.Time) (viewer, bool) {
	sp, ok := window(p.Samples, from, to)
	if !ok {
		return viewer{}, false
	}
	v := viewer{
		FPS:           sp.rate(func(s *sample) float64 { return inOf(s).FramesDecoded }),
		FreezeSeconds: sp.delta(func(s *sample) float64 { return inOf(s).TotalFreezesDuration }),
		Freezes:       sp.delta(func(s *sample) float64 { return inOf(s).FreezeCount }),
		Height:        sp.median(p.Samples, func(s *sample) float64 { return inOf(s).FrameHeight }),
		Kbps:          sp.rate(func(s *sample) float64 { return inOf(s).BytesReceived }) * 8 / 1000,
		LinkKbps:      sp.rate(func(s *sample) float64 { return s.InBytes }) * 8 / 1000,
		Lost:          sp.delta(func(s *sample) float64 { return inOf(s).PacketsLost }),
		Seconds:       sp.seconds(),
	}
	v.MinHeight = v.Height
	var prev *sample
	var stalled float64
	for i := range p.Samples {
		s := &p.Samples[i]
		if s.T < sp.a.T || s.T > sp.b.T {
			continue
		}
		if s.In != nil && s.In.FrameHeight > 0 {
			v.MinHeight = min(v.MinHeight, s.In.FrameHeight)
		}
		if prev != nil && inOf(s).FramesDecoded == inOf(prev).FramesDecoded {
			stalled += float64(s.T-prev.T) / 1000 // no frame at all: a freeze the browser reports only once it ends
		}
		prev = s
	}
	v.FreezeSeconds = max(v.FreezeSeconds, stalled)
	return v, true
}

// publisher is what the camera page sent during a window.
type publisher struct {
	Kbps, LinkKbps, Height, FPS, EstimateKbps, TargetKbps float64
	Limit                                                 string // dominant qualityLimitationReason
	Candidate                                             string
}

func measurePublisher(p pageResult, from, to time.Time) (publisher, bool) {
	sp, ok := window(p.Samples, from, to)
	if !ok {
		return publisher{}, false
	}
	return publisher{
		Kbps: sp.rate(func(s *sample) float64 {
			if o := outOf(s); o.VideoBytesSent > 0 {
				return o.VideoBytesSent // every simulcast layer
			}
			return outOf(s).BytesSent + outOf(s).HeaderBytesSent
		}) * 8 / 1000,
		LinkKbps:     sp.rate(func(s *sample) float64 { return s.OutBytes }) * 8 / 1000,
		Height:       sp.median(p.Samples, func(s *sample) float64 { return outOf(s).FrameHeight }),
		FPS:          sp.rate(func(s *sample) float64 { return outOf(s).FramesSent }),
		EstimateKbps: sp.median(p.Samples, func(s *sample) float64 { return outOf(s).AvailableOutgoingBitrate }) / 1000,
		TargetKbps:   sp.median(p.Samples, func(s *sample) float64 { return outOf(s).TargetBitrate }) / 1000,
		Limit:        sp.dominant(p.Samples, func(s *sample) string { return outOf(s).QualityLimitationReason }),
		Candidate:    sp.dominant(p.Samples, func(s *sample) string { return outOf(s).CandidateType }),
	}, true
}

// loadAvg is the 1-minute load average (the machine is shared).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

// table renders rows of cells as Markdown.
func table(head []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

func f0(v float64) string { return fmt.Sprintf("%.0f", v) }
func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
