package webrtcep

import "time"

// Hold times of rembBudget after a step down under congestion.
const (
	rembHoldFirst = int64(8 * time.Second)
	rembHoldMax   = int64(64 * time.Second)
	rembCalmReset = int64(30 * time.Second) // without congestion: the hold is back to rembHoldFirst
	rembStepUp    = 4                       // without congestion: up to 4× the layer's rate
)

// rembBudget is a viewer's layer budget from its REMB, until a send-side
// estimator is plugged in (Endpoint.SetLayerEstimator). A receiver's REMB
// (libwebrtc's receive-side estimate) rises to at most 1.5× what it
// receives + 10 kb/s, so on its own it would never let a viewer move up a
// layer once it moved down. So REMB is read as a congestion signal: below
// 1.2× the bitrate of the layer the viewer gets, it is the budget (the
// viewer moves down); above, the budget is 4× that bitrate (about one layer
// up), at most maxVideoSendBandwidth — after a step down, only once a hold
// time has passed
// (8 s, doubled after each new congestion, at most 64 s, back to 8 s after
// 30 s without congestion), so a viewer on a slow link tries the higher
// layer now and then instead of flapping. Worker-owned, like the selector
// that calls it.
type rembBudget struct {
	remb    func() (raw, clamped uint64) // bps; 0 = none received
	ceiling func() uint64                // maxVideoSendBandwidth (bps; 0 = none)
	rate    func() uint64                // bitrate of the layer sent (bps)

	congested bool
	calmSince int64
	holdUntil int64
	hold      int64
}

// Estimate implements egress.Estimator.
func (b *rembBudget) Estimate(now int64) uint64 {
	raw, clamped := b.remb()
	ceiling := b.ceiling()
	if raw == 0 {
		return ceiling
	}
	if rate := b.rate(); rate > 0 && raw*5 < rate*6 {
		if !b.congested {
			b.congested = true
			b.hold = min(max(2*b.hold, rembHoldFirst), rembHoldMax)
			b.holdUntil = now + b.hold
		}
		return clamped
	}
	if b.congested {
		b.congested, b.calmSince = false, now
	}
	if b.hold != 0 && now-b.calmSince > rembCalmReset {
		b.hold = 0
	}
	if now < b.holdUntil {
		return clamped
	}
	// Free to move up, one layer at a time (layers are ~3–4× apart).
	if rate := b.rate(); rate > 0 && (ceiling == 0 || rembStepUp*rate < ceiling) {
		return max(clamped, rembStepUp*rate)
	}
	return ceiling
}
