package media

import (
	"math"
	"sync"
	"time"
)

// Simulcast in the graph: a publisher's layers all leave through its one
// video source pad, each packet tagged with its Layer (PacketSimulcast).
// A sink that chooses layers itself (a WebRTC sink, per viewer) or passes
// them all on (PassThrough) implements LayerAware; every other sink
// (recorder, filters, mixers) gets the best layer at its sink pad, switched
// only at a keyframe of the new layer, so it never sees two layers mixed.

// LayerAware is a Handler that takes every layer of a simulcast source.
type LayerAware interface {
	// SelectsLayers reports whether the element's sink pads receive every
	// layer (true) or only the one the pad chooses for it (false).
	SelectsLayers() bool
}

// LayerKeyframer is a Handler that can ask for a keyframe of one layer of
// a simulcast source pad (a PLI to that layer's SSRC).
type LayerKeyframer interface {
	RequestLayerKeyframe(p *SourcePad, layer uint8)
}

// Layer switching timings.
const (
	// LayerActiveTimeout: a layer without packets for this long is paused
	// (the publisher stopped sending it), and no longer chosen — or, once
	// its frame rate is known, after three frame intervals (at least
	// layerPauseMin, at most layerPauseMax): a 30 fps layer that stops is
	// left after 300 ms, a 1 fps screen share is not left between frames.
	LayerActiveTimeout = time.Second
	layerPauseMin      = int64(300 * time.Millisecond)
	layerPauseMax      = int64(5 * time.Second)
	// layerUpStable: a layer must have been sent this long without a pause
	// before a viewer moves up to it (a starved top layer that stutters in
	// and out must not make viewers flap).
	layerUpStable = int64(time.Second)
	// layerRateWindow is the window of the per-layer bitrates.
	layerRateWindow = int64(500 * time.Millisecond)
	// layerMeanWeight: a layer's mean rate moves by 1/layerMeanWeight of
	// each window's rate (a memory of ~2 s).
	layerMeanWeight = 4
	// layerKeyframeRetry is how long after asking for a keyframe of the
	// target layer it is asked for again while none came; each retry waits
	// twice as long, up to layerKeyframeRetryMax. A keyframe crossing a
	// full uplink (Chrome's VP8 simulcast makes one on every layer for a
	// PLI on any) can take longer than the first wait, and asking again
	// then only sent another burst into the same queue.
	layerKeyframeRetry    = int64(500 * time.Millisecond)
	layerKeyframeRetryMax = int64(2 * time.Second)
)

// Frame rates are compared per rate window: frames counted in each of the
// last smoothWindows windows (4 s) against the layers below in the same
// windows. A viewer stays on a layer while over its last stayWindows (2 s)
// it sent at least 2/3 of the frames of the smoothest layer below, and
// moves up only to one that kept 4/5 of them in each second of the last
// smoothWindows (under 10 % loss Chrome's top layer went 24 → 4 fps within
// 2 s of looking smooth). Per frame interval (a mean over ~8 frames) one
// dip of Chrome's 360p after the drop to 600 kbit/s (3 frames dropped, a
// second of 27 fps; its encoder held to a sawing estimate does so every
// few seconds) moved viewers down or restarted the 4 s hold: B stayed on
// 180p 5–16 s after 360p ran at ~30 fps again.
const (
	smoothWindows = 8
	stayWindows   = 4
	frameFirst    = -2 // in LayerSwitch.frames: the window of the layer's first packet
)

// layerStay: a viewer stays on its layer while its budget is at least
// this share (%) of the layer's mean rate. One delay overuse cuts the
// estimate to 85 % of what got through; a link below the layer's rate
// takes it lower and keeps it there.
const layerStay = 85

// layerUpMargin: moving up needs the budget this share (%) above the
// layer's mean rate. The estimate counts the whole transport (Opus, RTP,
// SRTP and UDP overhead: ~100 kbit/s next to a 450 kbit/s layer), and the
// new layer's keyframe (~1/3 s of its rate) must drain from the
// bottleneck's queue while the layer runs. Simulated (bwe_upswitch_test.go,
// 4 seeds, 450 kbit/s ± 20 % a second, Opus, probes for the layer above):
// with 20 % the viewer of a 600 or 650 kbit/s link moved up, its link
// dropped 20–40 % for seconds and it froze up to 2 s; with 30 % it stays on
// 180p there without a drop and holds 360p at 800 kbit/s (82–100 %).
const layerUpMargin = 30

// A layer whose encoder drops frames (a publisher short of uplink gives
// its top layer what is left: Chrome at 10 % loss sent 720p at 11–18 fps
// and 360p at 30) is worse to watch than the smooth layer below it.
// smoothEnough reports whether layer l kept up with the layers below it:
// to stay on (or move down to), ≥ 2/3 of their frames over the last
// stayWindows; to move up to, ≥ 4/5 in each second (two windows) of the
// last smoothWindows.
// Only the windows l was sent throughout count: a layer that resumed is
// judged on what it sent since, and moved up to once it kept up for
// stayWindows (Chrome resumed its 360p at 30 fps, then at its minimum
// bitrate sent 16–20 fps for 3 s: a viewer that moved up after 1 s moved
// back down).
func (s *LayerSwitch) smoothEnough(l int, up bool) bool {
	got, ref, last, lastRef := 0, 0, 0, 0
	for k := 1; k <= min(s.winN, smoothWindows); k++ {
		w := (s.winN - k) % smoothWindows
		n := int(s.frames[l][w])
		if n == frameFirst {
			break // the layer's first window: as much history as a new viewer has
		}
		if n < 0 {
			if up && k <= stayWindows {
				return false
			}
			break
		}
		if !up && k > stayWindows {
			break
		}
		r := 0
		for b := 0; b < l; b++ {
			r = max(r, int(s.frames[b][w]))
		}
		if up && k > 1 && 5*(n+last) < 4*(r+lastRef) {
			return false
		}
		got, ref, last, lastRef = got+n, ref+r, n, r
	}
	return 3*got >= 2*ref
}

// LayerSwitch forwards one layer of a simulcast source at a time and moves
// to the target layer only where a keyframe of it starts: the frames a sink
// gets are each from one layer, and the output sequence continues (the
// egress rewriter). It measures each layer's bitrate for the choice of the
// target. The zero value is ready (no layer yet); not safe for concurrent
// use.
type LayerSwitch struct {
	cur, target int8 // layer+1; 0 = none
	seen        [MaxLayers]int64
	since       [MaxLayers]int64  // when the layer became active
	frameAt     [MaxLayers]int64  // when the layer's last frame started
	lastTS      [MaxLayers]uint32 // its RTP timestamp
	interval    [MaxLayers]int64  // mean frame interval (ns; 0: unknown)
	bytes       [MaxLayers]uint64
	rate        [MaxLayers]uint64
	mean        [MaxLayers]uint64      // smoothed rate over the windows the layer was active throughout (0: none yet)
	ring        [MaxLayers]*SourceRing // each layer's history, and the last packet of it seen
	ext         [MaxLayers]uint64
	marked      [MaxLayers]uint64
	winStart    int64
	lastReq     int64
	retry       int64 // the wait before the next keyframe request (0: layerKeyframeRetry)
	switches    uint64
	replay      Replay
	lossFrom    [MaxLayers]uint64 // the first extended sequence number of the layer in the window (0: none yet)
	lossTop     [MaxLayers]uint64 // the highest in the window
	lossGot     [MaxLayers]int    // packets of the layer in the window
	lossRep     [MaxLayers]int    // repairs (late packets) of the layer in the window
	lossy       [MaxLayers]bool   // the last window lost more than layerLossy of the layer
	lossFrames  [MaxLayers]int    // frames of the layer started in the window
	lossAvg     [MaxLayers]lossAvg
	frames      [MaxLayers][smoothWindows]int16 // frames of the layer per rate window, the newest at winN-1 (mod smoothWindows); -1: not sent throughout
	winN        int                             // rate windows closed
	fresh       [MaxLayers]bool                 // no window of the layer closed since its first packet
	collapseAt  int64                           // the latest collapse mark NewCollapse reported
	downLoss    float64                         // the viewer's own path's loss (SetPathLoss)
}

// lossAvg is a layer's loss upstream per rate window, smoothed: packets
// lost (not arrived by the window's end, repaired later or not), packets
// expected, frames; over the first lossAvgWeight windows their mean.
type lossAvg struct {
	lost, expected, frames float64
	n                      int // windows measured
}

// tooLossy reports whether pλ is over layerUpRepairRounds, with the
// losses counted one standard deviation higher (pλ goes with their
// square, and a window holds a handful): a layer measured briefly must
// show fewer. A lossless layer is never too lossy.
func (a *lossAvg) tooLossy() bool {
	k := float64(min(a.n, lossAvgWeight)) // windows the means stand for
	lost, expected, frames := a.lost*k, a.expected*k, a.frames*k
	if lost == 0 || expected == 0 || frames == 0 {
		return false
	}
	hi := lost + math.Sqrt(lost)
	return hi*hi > layerUpRepairRounds*expected*frames
}

// add folds one window in.
func (a *lossAvg) add(lost, expected, frames int) {
	a.n++
	w := float64(min(a.n, lossAvgWeight))
	a.lost += (float64(lost) - a.lost) / w
	a.expected += (float64(expected) - a.expected) / w
	a.frames += (float64(frames) - a.frames) / w
}

// The same holds on the viewer's own path: a frame that loses a packet
// there waits for our resend, and for another round when the NACK or the
// resend is lost too. In the browser a viewer behind 10 % loss both ways
// (its own link) got 720p at 19 fps with 3 s of freezes in 30 s. With p
// the path's inherent loss (the send-side estimator's, from transport-cc)
// and n a layer's packets per frame (upstream's counts), p²n over
// layerUpRepairRounds keeps a viewer from moving up to, or starting on,
// the layer (720p at 10 %: 0.045); over layerStayRepairRounds it leaves
// it (the viewer started on 720p before any feedback came).
const layerStayRepairRounds = 0.0375

// SetPathLoss gives the loss (0–1) of the path to the viewer, for Fit.
func (s *LayerSwitch) SetPathLoss(p float64) { s.downLoss = p }

// pathLossy reports whether too many of layer l's frames would wait for a
// second round of repair on the viewer's own path (limit: p²n).
func (s *LayerSwitch) pathLossy(l int, limit float64) bool {
	a := &s.lossAvg[l]
	if s.downLoss <= 0 || a.frames <= 0 {
		return false
	}
	return s.downLoss*s.downLoss*a.expected/a.frames > limit
}

// layerLossy: a layer that lost more than this share of its packets over
// the last rate window (none of which came back repaired) is passed over
// for a lower one, as a stuttering one is: a publisher's uplink that just
// shrank (a full drop-tail queue drops ~80 % of everything) lets a small
// layer's frames and keyframes through long before a large one's, and its
// encoder pauses the large one only a second or two later. Random loss
// (10 %, 3 %) never comes near it over a window of a video layer.
const layerLossy = 0.4

// A viewer with an estimate (a real-time one) does not move up to, nor
// start on, a layer on which many frames wait for a second round of
// repair. A frame with a
// packet lost upstream waits for its repair (Chrome answers a NACK in ~35
// ms); when the NACK or the repair is lost too (each as likely as the
// loss, p), it waits another round, far longer than a short path's jitter
// buffer holds it, and is shown late or dropped (a base-layer frame holds
// every later one). That share of frames is about 2pλ, λ the packets lost
// per frame: random loss hits every layer alike, but a large layer's frames
// have more packets. Chrome at 10 % loss (18 runs): 360p 1.6–1.9 packets
// a frame (pλ 0.011–0.020; B ran at 24–30 fps on it), 720p 3.8–5.2 (pλ
// 0.033–0.072): B moved up after 4 s of smoothness, its frame rate fell
// and it moved back, each move a keyframe and 0.3–2 s frozen. At 3 % loss
// 720p read 0.004–0.009. The counts are smoothed over ~8 s (lossAvgWeight
// windows) and taken one standard deviation high (lossAvg.tooLossy), so
// that a layer measured briefly must show fewer.
const (
	layerUpRepairRounds = 0.03 // pλ
	lossAvgWeight       = 16
)

// Replay is a range of a layer's history a sink should forward right
// after the packet that switched it: the keyframe that starts the layer
// arrived late (repaired by a retransmission), after packets that follow
// it were already passed over.
type Replay struct {
	Ring     *SourceRing // nil: nothing to replay
	From, To uint64      // extended sequence numbers, inclusive
}

// maxReplay bounds a replay (packets): a keyframe and a few frames.
const maxReplay = 256

// TakeReplay returns, once, what to forward after the packet Accept
// switched on (Ring nil: nothing).
func (s *LayerSwitch) TakeReplay() Replay {
	r := s.replay
	s.replay = Replay{}
	return r
}

// Current is the layer forwarded now (-1: none yet).
func (s *LayerSwitch) Current() int { return int(s.cur) - 1 }

// Target is the layer being switched to, or the current one (-1: none).
func (s *LayerSwitch) Target() int { return int(s.target) - 1 }

// Switches counts the layer switches made.
func (s *LayerSwitch) Switches() uint64 { return s.switches }

// SetTarget sets the layer to switch to at its next keyframe (-1: none).
// A new target's history is marked wanted at once: the keyframe asked
// for it, and the frames after it, must be repaired upstream. Marked at
// the next Fit (200 ms later), a layer no viewer had watched had its
// losses given up until then, the switch keyframe's among them (it comes
// ~50 ms after the request), and the viewer switched to a keyframe that
// could never complete: at 10 % loss it got packets but no frame for 1–8
// s, NACKing holes the server never got, until a keyframe.
func (s *LayerSwitch) SetTarget(layer int) {
	if layer >= -1 && layer < MaxLayers {
		if int8(layer+1) != s.target {
			s.retry = 0 // a new target: its first request goes out at once
			if layer >= 0 && s.ring[layer] != nil && s.ext[layer] != 0 {
				s.marked[layer] = s.ext[layer]
				s.ring[layer].MarkWanted(s.ext[layer])
			}
		}
		s.target = int8(layer + 1)
	}
}

// Active reports whether layer is being sent: a packet within three frame
// intervals (LayerActiveTimeout while its frame rate is unknown).
func (s *LayerSwitch) Active(layer int, now int64) bool {
	if layer < 0 || layer >= MaxLayers || s.seen[layer] == 0 {
		return false
	}
	timeout := int64(LayerActiveTimeout)
	if iv := s.interval[layer]; iv > 0 {
		timeout = min(max(3*iv, layerPauseMin), layerPauseMax)
	}
	return now-s.seen[layer] < timeout
}

// Rate is layer's bitrate (bps, payload bytes) over the last window.
func (s *LayerSwitch) Rate(layer int) uint64 {
	if layer < 0 || layer >= MaxLayers {
		return 0
	}
	return s.rate[layer]
}

// Fit returns the layer for a budget in bps (0: unlimited): the highest
// active layer whose mean rate fits, as libwebrtc and LiveKit allocate (a
// pacer absorbs keyframes and the encoder's swings). Moving up needs the
// layer measured, layerUpMargin over its mean (and over its last window) and
// to have been sent for layerUpStable; the current layer is kept while the
// budget is at least layerStay of its mean (an estimate cut by one delay
// overuse recovers; a link below the layer's rate takes the estimate
// lower). A layer whose frame rate falls well below a lower one's — a
// publisher starving its top layer — is passed over (smoothEnough). Else
// the lowest active layer, or the current one if that is below it and was
// sent within 2 s; -1 when no layer is active (or, for a viewer's first
// choice, while only layers above the lowest have been seen).
func (s *LayerSwitch) Fit(budget uint64, now int64) int {
	best, lowest := -1, -1
	cur := s.Current()
	// A lossy layer means a congested uplink: every layer loses as much, the
	// smaller ones just show it later (too few packets per window to tell).
	// Moving to the lowest at once saves a stop at the middle one, which in
	// the drop row cost its keyframe request and 0.4 s.
	uplinkLossy, collapseFrom, base := false, MaxLayers, -1
	for l := 0; l < MaxLayers; l++ {
		uplinkLossy = uplinkLossy || s.lossy[l] && s.Active(l, now)
		// The publisher's endpoint saw its uplink collapse (a queue
		// standing at a fraction of the rate before), long before a loss
		// window closes: that layer and the ones above it are passed over.
		if collapseFrom == MaxLayers && s.ring[l] != nil && s.ring[l].Collapsing(now) && s.Active(l, now) {
			collapseFrom = l
		}
		if base < 0 && s.seen[l] != 0 && now-s.seen[l] < int64(2*LayerActiveTimeout) {
			base = l
		}
	}
	for l := 0; l < MaxLayers; l++ {
		if !s.Active(l, now) {
			continue
		}
		if lowest < 0 {
			lowest = l
		}
		up := l > cur && cur >= 0
		held := up && !s.smoothEnough(l, true)
		lossy := (uplinkLossy || l >= collapseFrom) && l > lowest
		// Too lossy to move up to, or to start on (a viewer whose first
		// keyframe has not come yet: in the browser one went to 720p so).
		repairs := l > cur && budget > 0 && (s.lossAvg[l].tooLossy() || s.pathLossy(l, layerUpRepairRounds)) ||
			l == cur && budget > 0 && s.pathLossy(l, layerStayRepairRounds)
		starved := !s.smoothEnough(l, false) || held || repairs || lossy
		if starved {
			continue // it would stutter where a lower layer runs smoothly
		}
		if budget == 0 {
			best = l
			continue
		}
		need := s.mean[l]
		switch {
		case l > cur:
			// Not measured yet (a viewer's first half second, a layer just
			// resumed): a rate of 0 fits every budget, and in the browser a
			// 600 kbit/s viewer started on 720p.
			if need == 0 || up && now-s.since[l] < layerUpStable {
				continue
			}
			need = max(need, s.rate[l])
			need += need * layerUpMargin / 100
		case l == cur:
			need = need * layerStay / 100
		}
		if need <= budget {
			best = l
		}
	}
	if best < 0 {
		best = lowest
		if cur >= 0 && lowest > cur && now-s.seen[cur] < int64(2*LayerActiveTimeout) {
			// The viewer's layer, sent within 2 s, is silent for a moment:
			// the publisher stalled (Chrome on a loaded machine sent nothing
			// for 350–400 ms) and a higher layer's packet came first. Taking
			// that layer moved a viewer held on 180p by its budget up to
			// 360p: a keyframe burst into a 600 kbit/s uplink, a move back.
			best = cur
		}
		// A viewer's first layer is the lowest that runs, not merely the
		// first whose packet came: in the browser that was often the top
		// layer's, and a viewer of a 600 kbit/s link started on 720p.
		if cur < 0 && budget > 0 && lowest > 0 && s.mean[lowest] == 0 && now-s.since[lowest] < layerRateWindow {
			best = -1
		}
	}
	if base >= 0 && base < collapseFrom && best >= collapseFrom {
		// The lowest layer the source sends, though the full uplink starved
		// it for a moment (Chrome sends the repairs asked for first).
		best = base
	}
	s.markCongested()
	s.markWanted(cur)
	s.markWanted(s.Target())
	return best
}

// NewCollapse reports, once per mark, whether the publisher's endpoint
// marked one of the layers collapsing (SourceRing.MarkCollapse) since the
// last call: the sink chooses its layer again at once instead of at its
// next periodic Fit. In the drop row the mark came ~0.4 s after the drop
// and the viewer's next Fit up to 0.2 s after that, while its layer's
// packets were already lost in the publisher's full uplink; the keyframe
// of the lowest layer asked for then took another ~0.45 s. A few atomic
// loads per packet; no allocation.
func (s *LayerSwitch) NewCollapse(now int64) bool {
	found := false
	for _, r := range s.ring {
		if r == nil {
			continue
		}
		if until := r.collapsed.Load(); until > now && until > s.collapseAt {
			s.collapseAt, found = until, true
		}
	}
	return found
}

// UpNeed is the budget moving up to layer needs (bps; 0: the layer is not
// active or not measured yet).
func (s *LayerSwitch) UpNeed(layer int, now int64) uint64 {
	if layer < 0 || layer >= MaxLayers || !s.Active(layer, now) || s.mean[layer] == 0 {
		return 0
	}
	need := max(s.mean[layer], s.rate[layer])
	return need + need*layerUpMargin/100
}

// markCongested tells the histories of the layers above the lowest the
// source sends whether they are lossy (or above a lossy one): their repairs
// are then not asked for. Whether the lower layers are active does not
// matter: with Chrome's uplink full of a top layer's retransmissions, its
// lower layers sent nothing for seconds, and the top layer looked like the
// only one.
func (s *LayerSwitch) markCongested() {
	lowest, below := -1, false
	for l := 0; l < MaxLayers; l++ {
		if s.seen[l] == 0 {
			continue
		}
		if lowest < 0 {
			lowest = l
		}
		if r := s.ring[l]; r != nil {
			r.SetCongested(l > lowest && (s.lossy[l] || below))
		}
		below = below || s.lossy[l]
	}
}

// markWanted tells a layer's history that this sink uses it (its losses
// are worth repairing), at most every 16 packets.
func (s *LayerSwitch) markWanted(layer int) {
	if layer < 0 || layer >= MaxLayers || s.ring[layer] == nil || s.ext[layer] < s.marked[layer]+16 {
		return
	}
	s.marked[layer] = s.ext[layer]
	s.ring[layer].MarkWanted(s.ext[layer])
}

// Accept counts pkt and reports whether the sink forwards it; keyframe is
// the layer to ask a keyframe of (-1: none), at most every 500 ms while
// the target's keyframe is awaited. Packets of a source without layers are
// all forwarded.
func (s *LayerSwitch) Accept(pkt *Packet, now int64) (forward bool, keyframe int) {
	if pkt.Flags&PacketSimulcast == 0 {
		return true, -1
	}
	l := int8(pkt.Layer) + 1
	if pkt.Layer >= MaxLayers {
		return false, -1
	}
	ring, ext := pkt.History()
	// A repair (older than the newest packet of the layer) is no sign that
	// the layer runs: after a publisher's uplink shrank, Chrome paused its
	// top layer but spent what was left of the uplink for 2–3 s on its
	// retransmissions (asked for because this sink still forwarded the
	// layer), whose old timestamps looked like frames of a running layer.
	if ring == nil || ring != s.ring[pkt.Layer] || ext > s.ext[pkt.Layer] {
		s.observe(pkt.Layer, pkt.Header.Timestamp, len(pkt.Payload), now)
	}
	if ring != nil {
		s.countLoss(pkt.Layer, ext)
	}
	var newest uint64 // the newest packet of the layer seen before this one (0: unknown)
	if ring != nil {
		if ring != s.ring[pkt.Layer] {
			s.ring[pkt.Layer], s.marked[pkt.Layer], s.ext[pkt.Layer] = ring, 0, 0
		}
		newest = s.ext[pkt.Layer]
		s.ext[pkt.Layer] = max(ext, newest)
	}
	if s.cur == s.target {
		return l == s.cur, -1
	}
	if l == s.target && pkt.Flags&PacketKeyframe != 0 {
		s.cur = s.target
		s.switches++
		s.retry = 0
		if ring != nil && ext < newest && newest-ext <= maxReplay {
			// A late keyframe start (its first transmission was lost):
			// the rest of the keyframe and what followed it was passed
			// over; the sink forwards it from the history after this one.
			s.replay = Replay{Ring: ring, From: ext + 1, To: newest}
		}
		return true, -1
	}
	keyframe = -1
	switch {
	case s.target == 0:
	case s.retry == 0: // the first request for this target
		s.lastReq, s.retry = now, layerKeyframeRetry
		keyframe = int(s.target) - 1
	case now-s.lastReq >= s.retry:
		s.lastReq, s.retry = now, min(2*s.retry, layerKeyframeRetryMax)
		keyframe = int(s.target) - 1
	}
	return l == s.cur, keyframe
}

func (s *LayerSwitch) observe(layer uint8, ts uint32, n int, now int64) {
	if !s.Active(int(layer), now) {
		// Resumed: the pause is no frame interval (counted as one, Chrome's
		// 360p paused 2–4 s after the drop kept its pause timeout at ~1.5 s).
		s.since[layer], s.frameAt[layer] = now, 0
	}
	s.fresh[layer] = s.fresh[layer] || s.seen[layer] == 0
	s.seen[layer] = now
	if at := s.frameAt[layer]; at == 0 || ts != s.lastTS[layer] {
		s.lossFrames[layer]++
		if iv := now - at; at != 0 && iv > 0 && iv < layerPauseMax {
			if s.interval[layer] == 0 {
				s.interval[layer] = iv
			} else {
				s.interval[layer] = (7*s.interval[layer] + iv) / 8
			}
		}
		s.frameAt[layer], s.lastTS[layer] = now, ts
	}
	s.bytes[layer] += uint64(n)
	if s.winStart == 0 {
		s.winStart = now
		return
	}
	if d := now - s.winStart; d >= layerRateWindow {
		for i := range s.bytes {
			f := &s.frames[i][s.winN%smoothWindows]
			switch {
			case s.since[i] <= s.winStart && s.Active(i, now):
				*f, s.fresh[i] = int16(min(s.lossFrames[i], math.MaxInt16)), false
			case s.fresh[i]:
				*f = frameFirst
			default:
				*f = -1
			}
		}
		s.winN++
		s.closeLoss()
		for i := range s.bytes {
			s.rate[i] = s.bytes[i] * 8 * uint64(time.Second) / uint64(d)
			switch {
			case s.since[i] > s.winStart || !s.Active(i, now): // not active throughout the window
			case s.mean[i] == 0:
				s.mean[i] = s.rate[i]
			default:
				s.mean[i] = (s.mean[i]*(layerMeanWeight-1) + s.rate[i]) / layerMeanWeight
			}
			s.bytes[i] = 0
		}
		s.winStart = now
	}
}

// countLoss counts one packet of layer with extended sequence number ext
// in the loss window.
func (s *LayerSwitch) countLoss(layer uint8, ext uint64) {
	if s.lossFrom[layer] == 0 || ext+uint64(maxReplay) < s.lossFrom[layer] || ext > s.lossTop[layer]+4096 {
		s.lossFrom[layer], s.lossTop[layer], s.lossGot[layer] = ext, ext, 0
	}
	if ext <= s.lossTop[layer] && s.lossGot[layer] > 0 || ext < s.lossFrom[layer] {
		s.lossRep[layer]++
		return // late: a repair (a layer that gets through only by repairs is lossy)
	}
	s.lossTop[layer] = ext
	s.lossGot[layer]++
}

// closeLoss ends the loss window of every layer: lossy when more than
// layerLossy of the packets expected are missing, unchanged when fewer
// than 20 were expected.
func (s *LayerSwitch) closeLoss() {
	for l := range s.lossFrom {
		if s.lossFrom[l] == 0 {
			s.lossy[l], s.lossRep[l], s.lossFrames[l] = false, 0, 0
			continue
		}
		// Too few packets to tell (a layer all but stopped): as before —
		// unless it gets more repairs than new packets: Chrome, its uplink
		// full, sends the retransmissions asked for before its media, and
		// its top layer's new packets fell to a handful per window while
		// 0.5–1 Mbit/s of its repairs went on.
		expected := int(s.lossTop[l]-s.lossFrom[l]) + 1
		switch {
		case s.lossRep[l] >= 10 && s.lossRep[l] > s.lossGot[l]:
			s.lossy[l] = true
		case expected >= 20:
			s.lossy[l] = float64(expected-s.lossGot[l]) > layerLossy*float64(expected)
		}
		if s.lossFrames[l] > 0 {
			s.lossAvg[l].add(max(expected-s.lossGot[l], 0), expected, s.lossFrames[l])
		}
		s.lossFrames[l] = 0
		s.lossFrom[l], s.lossGot[l], s.lossRep[l] = s.lossTop[l]+1, 0, 0
		s.lossTop[l] = s.lossFrom[l] - 1
	}
}

// padLayers is the layer choice of a sink pad whose element does not
// choose layers: the best active layer.
type padLayers struct {
	mu sync.Mutex // a source switch may briefly push from two producers
	LayerSwitch
}

// pickLayer reports whether a simulcast packet goes on to the pad's
// element (the best layer), asking for keyframes as needed.
func (p *SinkPad) pickLayer(pkt *Packet, now int64) bool {
	ls := p.layers.Load()
	if ls == nil {
		p.layers.CompareAndSwap(nil, &padLayers{})
		ls = p.layers.Load()
	}
	ls.mu.Lock()
	ls.SetTarget(ls.Fit(0, now))
	fwd, kf := ls.Accept(pkt, now)
	ls.mu.Unlock()
	if kf >= 0 {
		p.RequestLayerKeyframe(uint8(kf))
	}
	return fwd
}

// Layer is the simulcast layer the pad passes on (-1: none, or the source
// has no layers, or the element takes every layer).
func (p *SinkPad) Layer() int {
	ls := p.layers.Load()
	if ls == nil {
		return -1
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.Current()
}

// RequestLayerKeyframe asks whatever feeds p for a keyframe of one
// simulcast layer (a plain keyframe request when it has no layers).
func (p *SinkPad) RequestLayerKeyframe(layer uint8) {
	src := p.feed.Load()
	if src == nil {
		return
	}
	if k, ok := src.owner.handler.(LayerKeyframer); ok {
		k.RequestLayerKeyframe(src, layer)
		return
	}
	src.owner.handler.RequestKeyframe(src)
}

// HistoryOf returns the retransmission history of one layer of the pad
// (layer 0 is History): each layer numbers its packets on its own.
func (p *SourcePad) HistoryOf(layer uint8) *SourceRing {
	if layer == 0 || layer >= MaxLayers {
		return p.History()
	}
	h := &p.layerHistory[layer-1]
	if r := h.Load(); r != nil {
		return r
	}
	r := NewSourceRing(DefaultHistorySlots, DefaultHistoryRetention)
	if h.CompareAndSwap(nil, r) {
		return r
	}
	return h.Load()
}
