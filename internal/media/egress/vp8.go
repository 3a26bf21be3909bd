package egress

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// vp8Path is a video downtrack's VP8 handling (worker-owned): the payload
// descriptor of the packet being processed, read once for the selector and
// the forwarder; the temporal-layer filter (the selector sets its target);
// and the munger that keeps PictureID, TL0PICIDX and KEYIDX continuous
// across dropped frames and source switches. The munged bytes are written
// into the output copy (the fast path's batch, or the resend buffer), never
// into the source payload, which every sink shares.
type vp8Path struct {
	codec  *media.Codec // codec of the last packet
	isVP8  bool
	ok     bool // desc describes the packet being processed
	desc   rtpx.VP8Descriptor
	filter rtpx.TemporalFilter
	munger rtpx.VP8Munger
}

// parse reads pkt's VP8 descriptor (ok false: not VP8, or malformed).
func (v *vp8Path) parse(pkt *media.Packet) {
	if pkt.Codec != v.codec {
		v.codec, v.isVP8 = pkt.Codec, pkt.Codec != nil && rtpx.IsVP8(pkt.Codec.MimeType)
	}
	v.ok = false
	if v.isVP8 {
		d, err := rtpx.ParseVP8(pkt.Payload)
		v.desc, v.ok = d, err == nil
	}
}

// descriptor is the VP8 descriptor of the packet being processed (nil:
// none). For selectors, on the worker.
func (d *Downtrack) descriptor() *rtpx.VP8Descriptor {
	if d == nil || !d.vp8.ok {
		return nil
	}
	return &d.vp8.desc
}

// setTemporalTarget sets the highest temporal layer forwarded (rtpx.MaxTID:
// all). For selectors, on the worker.
func (d *Downtrack) setTemporalTarget(tid int) {
	if d != nil {
		d.vp8.filter.SetTarget(tid)
	}
}

// temporalLayer is the highest temporal layer forwarded (-1: none seen).
func (d *Downtrack) temporalLayer() int {
	if d == nil {
		return -1
	}
	return d.vp8.filter.Current()
}

// filterTemporal reports whether pkt (parsed) is forwarded; a dropped packet
// leaves no gap in the output sequence numbers or PictureIDs.
func (d *Downtrack) filterTemporal(pkt *media.Packet) bool {
	v := &d.vp8
	if !v.ok || v.filter.Accept(&v.desc, &pkt.Header) {
		return true
	}
	if d.rw.Holds(&pkt.Header) {
		// A repair whose number the output kept (the packets after it went
		// out): dropped, its number stayed a hole no NACK could fill, and a
		// frame lost whole a PictureID gap on which a receiver's VP8
		// reference finder held every later frame until a keyframe (issue
		// 15, 10 % loss: 1–8 s frozen). Sent, it fills both: the rest of a
		// dropped frame never completes it, and a whole frame is one no
		// frame sent refers to.
		return true
	}
	d.rw.Skip(&pkt.Header)
	v.munger.Drop(&v.desc, pkt.Header.SSRC)
	d.stats.temporal.Add(1)
	return false
}

// munge returns the patch of a forwarded packet (none unless VP8).
func (d *Downtrack) munge(pkt *media.Packet, outSeq uint16) rtpx.VP8Patch {
	v := &d.vp8
	if !v.ok {
		return rtpx.VP8Patch{}
	}
	vals := v.munger.Forward(&v.desc, pkt.Header.SSRC)
	d.seq.setVP8(outSeq, vals)
	return rtpx.NewVP8Patch(&v.desc, vals)
}

// resendPatch is the patch a resend of outSeq (carrying src) is sent with:
// the values it was first sent with. Every VP8 packet sent with a readable
// descriptor had its values recorded, so the codec tells whether there are
// any.
func (d *Downtrack) resendPatch(outSeq uint16, src *media.Packet) rtpx.VP8Patch {
	if src.Codec == nil || !rtpx.IsVP8(src.Codec.MimeType) {
		return rtpx.VP8Patch{}
	}
	vals, ok := d.seq.vp8Of(outSeq)
	if !ok {
		return rtpx.VP8Patch{}
	}
	desc, err := rtpx.ParseVP8(src.Payload)
	if err != nil {
		return rtpx.VP8Patch{}
	}
	return rtpx.NewVP8Patch(&desc, vals)
}

// patched returns payload with p applied, copied into the downtrack's
// resend buffer when p changes it (for Pion's writer, which takes the
// payload as it is). On the worker; the result is valid until the next
// send.
func (d *Downtrack) patched(payload []byte, p *rtpx.VP8Patch) []byte {
	if !p.Changes() {
		return payload
	}
	b := d.rtxBuf[2 : 2+copy(d.rtxBuf[2:], payload)]
	p.Apply(b)
	return b
}
