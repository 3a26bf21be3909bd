package egress

import (
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// Temporal layers (VP8 TIDs; Chrome sends its simulcast layers as L1T3:
// TIDs 0, 2, 1, 2 — the base layer at a quarter of the frame rate, TID ≤ 1
// at half). The selector chooses the spatial layer first; when even the
// lowest one's full rate does not fit the budget, it keeps fewer temporal
// layers of it (TID ≤ 1, then 0) before the viewer's link has to drop
// packets. A publisher without simulcast whose VP8 carries TIDs gets the
// same: a weak viewer gets a lower frame rate instead of freezing.

const (
	// tidRateWindow is the window of the per-TID bitrates.
	tidRateWindow = int64(500 * time.Millisecond)
	// tidSeenTimeout: a TID not seen for this long no longer counts as a
	// temporal layer of the source.
	tidSeenTimeout = int64(2 * time.Second)
)

// tidRates measures the bitrate of each temporal layer of each spatial
// layer from the packets a selector sees (all of them, forwarded or not).
// Worker-owned.
type tidRates struct {
	bytes    [media.MaxLayers][rtpx.MaxTID + 1]uint64
	rate     [media.MaxLayers][rtpx.MaxTID + 1]uint64
	seen     [media.MaxLayers][rtpx.MaxTID + 1]int64
	winStart int64
}

func (r *tidRates) observe(layer, tid uint8, n int, now int64) {
	if layer >= media.MaxLayers || tid > rtpx.MaxTID {
		return
	}
	r.bytes[layer][tid] += uint64(n)
	r.seen[layer][tid] = now
	if r.winStart == 0 {
		r.winStart = now
		return
	}
	if d := now - r.winStart; d >= tidRateWindow {
		for l := range r.bytes {
			for t := range r.bytes[l] {
				r.rate[l][t] = r.bytes[l][t] * 8 * uint64(time.Second) / uint64(d)
				r.bytes[l][t] = 0
			}
		}
		r.winStart = now
	}
}

// layers is the number of temporal layers of a spatial layer: its highest
// TID seen lately + 1 (0: no TIDs).
func (r *tidRates) layers(layer int, now int64) int {
	if layer < 0 || layer >= media.MaxLayers {
		return 0
	}
	for t := rtpx.MaxTID; t >= 0; t-- {
		if s := r.seen[layer][t]; s != 0 && now-s < tidSeenTimeout {
			return t + 1
		}
	}
	return 0
}

// upTo is the bitrate of a spatial layer's temporal layers 0…tid.
func (r *tidRates) upTo(layer, tid int) uint64 {
	if layer < 0 || layer >= media.MaxLayers {
		return 0
	}
	var sum uint64
	for t := 0; t <= min(tid, rtpx.MaxTID); t++ {
		sum += r.rate[layer][t]
	}
	return sum
}

// temporalStay: the temporal layers sent are kept while the budget is at
// least this share (%) of their rate: one delay overuse cut the estimate
// of a viewer on 360p below the layer's full rate, and it lost half its
// frames until the estimate recovered.
const temporalStay = 85

// fitTemporal is the highest temporal layer of spatial layer layer whose
// cumulative rate fits budget (bps; 0: unlimited), cur the one forwarded
// now: a layer above it needs 10 % headroom, the current one temporalStay. All of them
// (rtpx.MaxTID) when they all fit or the source has none; at least TID 0.
func (r *tidRates) fitTemporal(layer int, budget uint64, cur int, now int64) int {
	n := r.layers(layer, now)
	if n <= 1 || budget == 0 {
		return rtpx.MaxTID
	}
	if cur < 0 {
		cur = rtpx.MaxTID
	}
	for t := n - 1; t > 0; t-- {
		need := r.upTo(layer, t)
		switch {
		case t > cur:
			need += need / 10
		case t == min(cur, n-1):
			need = need * temporalStay / 100 // as a spatial layer (media.LayerSwitch.Fit)
		}
		if need <= budget {
			if t == n-1 {
				return rtpx.MaxTID
			}
			return t
		}
	}
	return 0
}
