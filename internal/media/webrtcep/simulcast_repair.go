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
