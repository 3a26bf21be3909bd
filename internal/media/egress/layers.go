package egress

import (
	"sync/atomic"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// Estimator gives the bitrate (bps) a downtrack's receiver can take: a
// send-side estimate (transport-cc), or the receiver's REMB, within the
// endpoint's send limits. 0 means unknown: every layer fits.
type Estimator interface {
	Estimate(now int64) uint64
}

// EstimatorFunc adapts a function to Estimator.
type EstimatorFunc func(now int64) uint64

// Estimate implements Estimator.
func (f EstimatorFunc) Estimate(now int64) uint64 { return f(now) }

// fitInterval is how often the target layer is chosen again from the
// estimate.
const fitInterval = int64(200 * time.Millisecond)

// LayerSelector is the Selector of a video downtrack fed by a simulcast
// source: the viewer gets the best layer its estimate allows, switched up
// or down only where a keyframe of the new layer starts (a PLI to that
// layer asks for one), so a frame is never made of two layers; the
// downtrack's rewriter keeps sequence numbers and timestamps continuous
// across the switch. Within the layer, VP8 temporal layers are dropped
// when even the lowest layer's full rate does not fit (temporal.go); a
// publisher without simulcast whose VP8 carries temporal layers gets that
// alone. Packets of other sources without layers all pass: their viewers
// see no change.
type LayerSelector struct {
	est      atomic.Pointer[estimatorBox]
	keyframe func(layer uint8)
	reset    atomic.Bool

	// Read by Stats from any goroutine.
	cur, target, layers    atomic.Int32
	tcur, ttarget, tlayers atomic.Int32
	rate                   atomic.Uint64
	switches               atomic.Uint64

	// Worker-owned.
	sw      media.LayerSwitch
	tids    tidRates
	lastFit int64
	upSince int64  // since when a higher temporal layer is wanted but not sent (0: not)
	probeL  int    // the layer a probe was last asked for (0: none)
	probeR  uint64 // at that rate
}

type estimatorBox struct{ e Estimator }

// NewLayerSelector makes a selector choosing from est (nil: the best
// layer) that asks for keyframes of a layer with keyframe (called on the
// worker: it must not block).
func NewLayerSelector(est Estimator, keyframe func(layer uint8)) *LayerSelector {
	s := &LayerSelector{keyframe: keyframe}
	s.SetEstimator(est)
	s.cur.Store(-1)
	s.target.Store(-1)
	s.tcur.Store(-1)
	s.ttarget.Store(-1)
	return s
}

// SetEstimator replaces the estimate the layer is chosen from (nil: none,
// the best layer). Safe from any goroutine: a send-side estimator plugs in
// here when it starts.
func (s *LayerSelector) SetEstimator(e Estimator) {
	if e == nil {
		s.est.Store(nil)
		return
	}
	s.est.Store(&estimatorBox{e})
}

// Reset forgets the layers of the old source (the sink's source changed).
func (s *LayerSelector) Reset() { s.reset.Store(true) }

// Select implements Selector: it chooses the spatial layer (forwarding
// only the current one) and sets d's temporal-layer target.
func (s *LayerSelector) Select(d *Downtrack, p *media.Packet, now int64) bool {
	desc := d.descriptor()
	temporal := desc != nil && desc.HasTID
	simulcast := p.Flags&media.PacketSimulcast != 0
	if !simulcast && !temporal {
		return true
	}
	if s.reset.Swap(false) {
		s.sw, s.tids, s.lastFit, s.upSince, s.probeL = media.LayerSwitch{}, tidRates{}, 0, 0, 0
	}
	if temporal {
		layer := uint8(0)
		if simulcast {
			layer = p.Layer
		}
		s.tids.observe(layer, desc.TID, len(p.Payload), now)
	}
	if s.lastFit == 0 || now-s.lastFit >= fitInterval || simulcast && (s.sw.Target() < 0 || s.sw.NewCollapse(now)) {
		s.lastFit = now
		var budget uint64
		if b := s.est.Load(); b != nil {
			budget = b.e.Estimate(now)
		}
		spatial := 0
		if simulcast {
			if d != nil {
				s.sw.SetPathLoss(d.t.PathLoss())
			}
			s.sw.SetTarget(s.sw.Fit(budget, now))
			spatial = s.sw.Target()
			s.probeUp(d, spatial, budget, now)
		}
		tt := s.tids.fitTemporal(spatial, budget, d.temporalLayer(), now)
		if simulcast && spatial > s.lowestActive(now) {
			// Above the lowest layer the spatial choice answers the budget,
			// with its hysteresis on the layer's mean: in the browser a
			// 360p viewer's estimate dipped below the last window's rate
			// and it lost its top temporal layer (15 fps) for 2–3 s while
			// it kept the layer.
			tt = rtpx.MaxTID
		}
		d.setTemporalTarget(tt)
		s.awaitSync(d, spatial, tt, simulcast && spatial != s.sw.Current(), now)
		s.publish(d, now)
	}
	if !simulcast {
		return true
	}
	fwd, kf := s.sw.Accept(p, now)
	if fwd && int32(s.sw.Current()) != s.cur.Load() {
		s.publish(d, now)
		if r := s.sw.TakeReplay(); d != nil {
			d.replay = r
		}
	}
	if kf >= 0 && s.keyframe != nil {
		s.keyframe(uint8(kf))
	}
	return fwd
}

// probeUp asks the transport's estimator to probe the rate the layer
// above the viewer's needs when the estimate is what keeps the viewer
// below it and that rate is within twice the estimate (LiveKit's
// allocator probes so; libwebrtc's probes go to twice the estimate). An estimate only rises to
// 1.5× what gets through (GCC's AIMD), and a viewer on a low layer that
// uses most of its estimate is not application-limited, so nothing
// probed: in the browser the viewer of a 600 kbit/s link held an estimate
// of 300–345 kbit/s on 180p. A failed probe backs off in the estimator
// (2 s doubling to 60 s); it is asked again only for another layer or a
// rate 25 % away.
func (s *LayerSelector) probeUp(d *Downtrack, target int, budget uint64, now int64) {
	if d == nil || budget == 0 || target < 0 || target != s.sw.Current() {
		return
	}
	need := s.sw.UpNeed(target+1, now)
	if need == 0 || need <= budget || need > 2*budget {
		return // fits, or out of reach (probing 720p from a 600 kbit/s link's 360p only filled its queue)
	}
	if s.probeL == target+2 && 4*need >= 3*s.probeR && 4*need <= 5*s.probeR {
		return
	}
	s.probeL, s.probeR = target+2, need
	d.t.RequestProbe(need, now)
}

// lowestActive is the lowest layer the source sends (-1: none).
func (s *LayerSelector) lowestActive(now int64) int {
	for l := 0; l < media.MaxLayers; l++ {
		if s.sw.Active(l, now) {
			return l
		}
	}
	return -1
}

// temporalUpWait is how long a viewer waits for a layer-sync frame of the
// temporal layer it may move up to before a keyframe is asked for (a
// publisher that sets no Y bits; Chrome sets them every four frames).
const temporalUpWait = int64(2 * time.Second)

// awaitSync asks for a keyframe of spatial layer when the temporal layer
// the viewer may get (target tt) has been above the one sent for
// temporalUpWait (not while a spatial switch waits for its own keyframe).
func (s *LayerSelector) awaitSync(d *Downtrack, spatial, tt int, switching bool, now int64) {
	cur := d.temporalLayer()
	if n := s.tids.layers(max(spatial, 0), now); cur < 0 || min(tt, n-1) <= cur || switching {
		s.upSince = 0
		return
	}
	if s.upSince == 0 {
		s.upSince = now
		return
	}
	if now-s.upSince >= temporalUpWait && s.keyframe != nil {
		s.upSince = now
		s.keyframe(uint8(max(spatial, 0)))
	}
}

// publish copies the worker's state for Layer.
func (s *LayerSelector) publish(d *Downtrack, now int64) {
	cur := s.sw.Current()
	s.cur.Store(int32(cur))
	s.target.Store(int32(s.sw.Target()))
	rate := s.sw.Rate(cur)
	tl := max(cur, 0) // the spatial layer whose TIDs are sent (0 without simulcast)
	tcur, ttarget := int32(-1), int32(-1)
	nt := s.tids.layers(tl, now)
	if nt > 0 && d != nil {
		tcur = int32(min(d.temporalLayer(), nt-1))
		ttarget = int32(min(d.vp8.filter.Target(), nt-1))
		if tcur >= 0 {
			rate = s.tids.upTo(tl, int(tcur))
		}
	}
	s.tcur.Store(tcur)
	s.ttarget.Store(ttarget)
	s.tlayers.Store(int32(nt))
	s.rate.Store(rate)
	s.switches.Store(s.sw.Switches())
	n := int32(0)
	for l := 0; l < media.MaxLayers; l++ {
		if s.sw.Active(l, now) {
			n = int32(l + 1)
		}
	}
	s.layers.Store(n)
}

// LayerState is what a LayerSelector forwards.
type LayerState struct {
	Current  int    // layer sent (-1: none, or the source has no layers)
	Target   int    // layer being switched to (= Current when settled)
	Layers   int    // layers the source sends (highest active + 1; 0: no simulcast)
	Bitrate  uint64 // bitrate of what is sent of the current layer (bps of payload)
	Switches uint64 // layer switches made
	// VP8 temporal layers of the layer sent (TemporalLayers 0: none, and
	// the other two -1): the highest sent, and the one being switched to
	// (up at the next layer-sync frame, down at the next frame).
	Temporal, TargetTemporal, TemporalLayers int
}

// Layer returns what the selector forwards now.
func (s *LayerSelector) Layer() LayerState {
	return LayerState{Current: int(s.cur.Load()), Target: int(s.target.Load()), Layers: int(s.layers.Load()),
		Bitrate: s.rate.Load(), Switches: s.switches.Load(),
		Temporal: int(s.tcur.Load()), TargetTemporal: int(s.ttarget.Load()), TemporalLayers: int(s.tlayers.Load())}
}
