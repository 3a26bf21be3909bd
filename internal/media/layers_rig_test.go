package media_test

import (
	"time"

	"github.com/gorento/gorento/internal/media"
)

// simRig feeds the packets of three simulcast layers, each kept in its own
// history as a source pad keeps them, to a LayerSwitch on a hand-moved
// clock.
type simRig struct {
	s     media.LayerSwitch
	rings [3]*media.SourceRing
	seq   [3]uint16
	now   int64
}

func newSimRig() *simRig {
	r := &simRig{now: int64(time.Second)}
	for l := range r.rings {
		r.rings[l] = media.NewSourceRing(4096, time.Hour)
	}
	return r
}

// push hands the switch one packet of layer l (a keyframe's first when
// key) with RTP timestamp ts.
func (r *simRig) push(l uint8, key bool, ts uint32) {
	r.seq[l]++
	p := simPkt(l, key, r.seq[l])
	p.Header.Timestamp = ts
	b := media.GetPacketBuf()
	b.SetHistoryForTest(r.rings[l], p)
	r.s.Accept(b.Packet(), r.now)
	b.Release()
}
