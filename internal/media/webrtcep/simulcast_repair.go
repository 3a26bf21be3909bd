package webrtcep

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/interceptor/rtxnack"
)

// onNACKGenerator keeps the endpoint's NACK generator (it learns the RTX
// pairs of each remote description) and tells it which received streams
// are worth repairing.
func (w *Endpoint) onNACKGenerator(n *rtxnack.Interceptor) {
	n.SetWanted(w.repairWanted)
	w.nack.Store(n)
}

// repairWanted reports whether the losses of a received stream are worth
// asking for: every stream, except a simulcast layer that no sink has
// forwarded or waited for within the last second (the layer's history
// keeps a second). When a publisher's uplink shrinks, Chrome pauses its
// top layer and the viewers move down; asking for that layer's losses
// made it spend what was left of the uplink on retransmissions nobody
// used (720p RTX at 0.5–0.8 Mbit/s on a 600 kbit/s uplink, for seconds),
// while the viewers waited for the lower layer's keyframe.
func (w *Endpoint) repairWanted(ssrc uint32) bool {
	wanted, _ := w.repairState(ssrc)
	return wanted
}

// repairState is repairWanted, and whether any sink gets the stream at
// all (watched; false only for a simulcast layer no sink forwarded or
// waited for within the last second): a watched layer may be not wanted
// for a while (its uplink congested) and its losses wanted again after.
func (w *Endpoint) repairState(ssrc uint32) (wanted, watched bool) {
	for l := range w.simul.in {
		if in := w.simul.in[l].Load(); in != nil && in.ssrc == ssrc {
			r := w.core.Source(media.Video).HistoryOf(uint8(l))
			return r.Wanted(), r.Watched()
		}
	}
	return true, true
}

// A publisher's uplink that falls short (issue 15, a link falling from
// clean to 600 kbit/s mid-call) overflows its drop-tail queue: from then
// on it loses most of every layer, in bursts. The first gaps of the top
// layer were asked for at once, and again every round trip, before the
// uplink watch's 250 ms tick could tell (publisher_feedback.go): 85 of
// 720p's packets in the first 300 ms, ~90 KB that Chrome resent before its
// media, on an uplink that carries 75 KB a second; its encoder then
// dropped every layer's frames for 1.5 s and the viewers froze for 2–3 s.
// So when the top layer misses 30 % of its newest packets (a burst, which
// random loss does not make), its losses are no longer asked for, held as
// the watch holds them. Not the layers below: the middle layer is a
// viewer's on an 800 kbit/s uplink, where Chrome tries its 720p now and
// then and the keyframes of every layer it makes then lose a burst; with
// the middle layer held too, its viewer went to 180p for seconds in 4 of 5
// runs (0 of 3 before; its keyframe's losses unrepaired, we suppose). The
// onset of a drop, where every layer loses, is the delay watch's
// (uplink_delay.go).
const (
	burstSpan  = 64  // newest sequence numbers of a layer looked at
	burstMin   = 32  // a run shorter than this: too early to tell
	burstLossy = 0.3 // share of them missing (P(≥ 20 of 64) at 10 % random loss, unrepaired: 2e-6)
)

// burstLoss reports whether s is the top simulcast layer received and its
// newest packets are missing in a burst; it then holds the layer's repairs.
func (w *Endpoint) burstLoss(s *rxStream) bool {
	if s.tag == nil || s.nack == nil {
		return false
	}
	lowest, top := -1, -1 // layers received
	for l := range w.simul.in {
		if w.simul.in[l].Load() != nil {
			if lowest < 0 {
				lowest = l
			}
			top = l
		}
	}
	if int(s.tag.layer) != top || top == lowest {
		return false
	}
	missing, span := s.nack.RecentMissing(burstSpan)
	if span < burstMin || float64(missing) < burstLossy*float64(span) {
		return false
	}
	w.core.Source(media.Video).HistoryOf(uint8(top)).HoldRepairs(w.now() + int64(uplinkRepairHold))
	return true
}
