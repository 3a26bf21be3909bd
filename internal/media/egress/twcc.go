package egress

import (
	"encoding/binary"

	"github.com/pion/rtp"
)

// Transport-wide sequence numbers (transport-cc,
// draft-holmer-rmcat-transport-wide-cc-extensions-01): every packet a
// transport sends (media, resends, probes, on every SSRC) carries the next
// number in a header extension when the receiver negotiated it, and the
// receiver's feedback reports when each arrived: what the bandwidth
// estimator (BWE) learns from.

// twccSeq numbers a transport's packets (worker-owned).
type twccSeq struct {
	next    uint16
	last    uint16 // the number of the packet being sent
	stamped bool   // it carries one
}

// twccStamp is a downtrack's storage for the extension it writes, so
// stamping allocates nothing.
type twccStamp struct {
	ext     [2]rtp.Extension // transport-cc, playout-delay (playout.go)
	payload [2]byte
}

// stampTWCC writes the transport's next sequence number into hdr when the
// receiver negotiated transport-cc (b.TWCCExtID); hdr must carry no other
// extension (the egress drops the sender's). Called first: the extensions
// then written (stampPlayout) go after it.
func (d *Downtrack) stampTWCC(b *Binding, hdr *rtp.Header) {
	cc := &d.t.cc
	cc.stamped = false
	if b.TWCCExtID == 0 {
		return
	}
	cc.last = cc.next
	cc.next++
	cc.stamped = true
	binary.BigEndian.PutUint16(d.cc.payload[:], cc.last)
	hdr.Extension, hdr.ExtensionProfile, hdr.Extensions = false, 0, d.cc.ext[:0]
	_ = hdr.SetExtension(b.TWCCExtID, d.cc.payload[:]) // appends within ext's capacity: no allocation
}

// SentTWCC reports the transport-wide sequence number of the packet being
// sent (for TransportHooks.OnSent): false when it carries none.
func (t *Transport) SentTWCC() (uint16, bool) { return t.cc.last, t.cc.stamped }

// TransportCC reports whether the track's receiver negotiated transport-cc
// (its packets are stamped and its feedback will feed the estimator).
func (d *Downtrack) TransportCC() bool {
	b := d.bind.Load()
	return b != nil && b.TWCCExtID != 0
}
