package quality

import (
	"slices"
	"time"
)

// Page is what the driver returns for one page: js/e2e/quality-page.js's
// samples and bench/quality/layers.js's outbound layers.
type Page struct {
	Samples []Sample
	Layers  []LayerSample
	Errors  []string
}

// Sample is quality-page.js's once-a-second getStats summary (the fields used here).
type Sample struct {
	T        int64 // Unix ms
	Out      *OutStats
	In       *InStats
	OutBytes float64 // every outbound RTP stream, payload + headers
	InBytes  float64
}

// OutStats is the publisher's connection (its summarised video stream).
type OutStats struct {
	AvailableOutgoingBitrate               float64
	CandidateType, QualityLimitationReason string
}

// InStats is a viewer's received video stream.
type InStats struct {
	BytesReceived, FramesDecoded, FrameHeight, FreezeCount, TotalFreezesDuration float64
}

func (s *Sample) in() InStats {
	if s.In == nil {
		return InStats{}
	}
	return *s.In
}

// LayerSample is every outbound video stream of the page at one instant.
type LayerSample struct {
	T      int64
	Layers []Layer
}

// Layer is one outbound video stream (a simulcast layer).
type Layer struct {
	Rid                        string
	Height, FPS, Bytes, Frames float64
	RtxBytes, Nacks, Plis      float64 // retransmitted bytes (payload), NACKs and PLIs received
}

// Viewer is what one subscriber got during a window.
type Viewer struct {
	FPS, FreezeSeconds, Freezes, Height, MinHeight, Kbps, LinkKbps float64
	Seconds                                                        float64
}

// Publisher is what the camera page sent during a window: all its video
// layers together (a simulcast publisher sends several).
type Publisher struct {
	Kbps, LinkKbps, Height, EstimateKbps float64
	Layers                               int     // layers that sent frames
	IdleKbps                             float64 // bytes on layers that sent no frame (padding, retransmissions)
	Limit, Candidate                     string
}

func between[T any](ss []T, at func(*T) int64, from, to time.Time) (a, b *T, n []*T) {
	for i := range ss {
		t := time.UnixMilli(at(&ss[i]))
		if t.Before(from) || t.After(to) {
			continue
		}
		if a == nil {
			a = &ss[i]
		}
		b = &ss[i]
		n = append(n, &ss[i])
	}
	return a, b, n
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	return v[len(v)/2]
}

func secs(a, b int64) float64 { return float64(b-a) / 1000 }

// MeasureViewer summarises a viewer page between two instants (false: no
// two samples in it). Its counters start at the last sample at or before
// from: the first after it would leave out what the browser counted in
// between — in the drop row the freeze the drop itself caused, which
// Chrome reports once it ends, 0.3–0.9 s after the drop.
func MeasureViewer(p Page, from, to time.Time) (Viewer, bool) {
	a, b, all := between(p.Samples, func(s *Sample) int64 { return s.T }, from, to)
	if a == nil || b.T <= a.T {
		return Viewer{}, false
	}
	for i := range p.Samples {
		if s := &p.Samples[i]; !time.UnixMilli(s.T).After(from) {
			a = s // the samples are in time order
		}
	}
	d, ia, ib := secs(a.T, b.T), a.in(), b.in()
	v := Viewer{
		FPS:           (ib.FramesDecoded - ia.FramesDecoded) / d,
		FreezeSeconds: ib.TotalFreezesDuration - ia.TotalFreezesDuration,
		Freezes:       ib.FreezeCount - ia.FreezeCount,
		Kbps:          (ib.BytesReceived - ia.BytesReceived) * 8 / 1000 / d,
		LinkKbps:      (b.InBytes - a.InBytes) * 8 / 1000 / d,
		Seconds:       d,
	}
	var h []float64
	for _, s := range all {
		if x := s.in().FrameHeight; x > 0 {
			h = append(h, x)
			if v.MinHeight == 0 || x < v.MinHeight {
				v.MinHeight = x
			}
		}
	}
	v.Height = median(h)
	return v, true
}

// MeasurePublisher summarises the camera page between two instants: the
// video rate is the sum of its layers (payload + headers), its height the
// largest layer that sent frames (median over the window).
func MeasurePublisher(p Page, from, to time.Time) (Publisher, bool) {
	a, b, all := between(p.Samples, func(s *Sample) int64 { return s.T }, from, to)
	la, lb, lall := between(p.Layers, func(s *LayerSample) int64 { return s.T }, from, to)
	if a == nil || b.T <= a.T || la == nil || lb.T <= la.T {
		return Publisher{}, false
	}
	pub := Publisher{LinkKbps: (b.OutBytes - a.OutBytes) * 8 / 1000 / secs(a.T, b.T)}
	sum := func(l *LayerSample) (bytes float64) {
		for _, x := range l.Layers {
			bytes += x.Bytes
		}
		return bytes
	}
	pub.Kbps = (sum(lb) - sum(la)) * 8 / 1000 / secs(la.T, lb.T)
	sent := map[string]bool{}
	var heights []float64
	for _, l := range lall {
		top := 0.0
		for _, x := range l.Layers {
			if x.Height > top && x.FPS > 0 {
				top = x.Height
			}
		}
		if top > 0 {
			heights = append(heights, top)
		}
	}
	for _, x := range lb.Layers {
		for _, y := range la.Layers {
			switch {
			case x.Rid != y.Rid:
			case x.Frames > y.Frames:
				sent[x.Rid] = true
			default:
				pub.IdleKbps += (x.Bytes - y.Bytes) * 8 / 1000 / secs(la.T, lb.T)
			}
		}
	}
	pub.Height, pub.Layers = median(heights), len(sent)
	var est []float64
	limits, cands := map[string]int{}, map[string]int{}
	for _, s := range all {
		if s.Out == nil {
			continue
		}
		if s.Out.AvailableOutgoingBitrate > 0 {
			est = append(est, s.Out.AvailableOutgoingBitrate/1000)
		}
		limits[s.Out.QualityLimitationReason]++
		cands[s.Out.CandidateType]++
	}
	pub.EstimateKbps, pub.Limit, pub.Candidate = median(est), dominant(limits), dominant(cands)
	return pub, true
}

func dominant(n map[string]int) string {
	best := ""
	for k, c := range n {
		if k != "" && (best == "" || c > n[best] || c == n[best] && k < best) {
			best = k
		}
	}
	return best
}
