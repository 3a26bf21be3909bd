package egress

import "github.com/gorento/gorento/internal/media"

// forwardReplay forwards, after the packet that switched the track to a
// simulcast layer, what its selector asked to replay from the layer's
// history (media.LayerSwitch.TakeReplay): the keyframe's first packet came
// late, as a retransmission, after the rest of the keyframe had been
// passed over. Without this the viewer got the start of a keyframe and a
// hole it could not repair (those packets were never sent to it, so its
// NACKs found nothing), and stayed frozen until its own keyframe request
// came through. Packets missing from the history are skipped: when they
// arrive (repaired) they are forwarded as any late packet of the layer.
func (d *Downtrack) forwardReplay(b *Binding, now int64) {
	r := d.replay
	d.replay = media.Replay{}
	for ext := r.From; ext <= r.To; ext++ {
		buf := r.Ring.Get(ext)
		if buf == nil {
			continue
		}
		pkt := buf.Packet()
		if c, ok := d.codecPT(b, pkt.Codec); ok {
			d.vp8.parse(pkt)
			d.forward(b, c, buf, now)
			d.stats.replayed.Add(1)
		}
		buf.Release()
	}
}

// gapReplayMax bounds the replay after a wait for a keyframe (packets), as
// a layer switch's.
const gapReplayMax = 256

// gapPassed notes the newest packet of its history a track waiting for a
// keyframe passed over.
func (d *Downtrack) gapPassed(pkt *media.Packet) {
	ring, ext := pkt.History()
	switch {
	case ring == nil:
	case ring != d.gapRing:
		d.gapRing, d.gapTop = ring, ext
	default:
		d.gapTop = max(d.gapTop, ext)
	}
}

// replayGap: the keyframe start that ended a track's wait for a keyframe
// came late (a repair), after the rest of the keyframe and what followed
// were passed over; they are forwarded from the history after it, as after
// a layer switch (unless the selector switched on it and asked already).
// Without this the receiver got the keyframe's start and holes no NACK
// could fill, and froze until its own keyframe request came through.
func (d *Downtrack) replayGap(pkt *media.Packet) {
	ring, ext := pkt.History()
	if d.replay.Ring == nil && ring != nil && ring == d.gapRing && ext < d.gapTop && d.gapTop-ext <= gapReplayMax {
		d.replay = media.Replay{Ring: ring, From: ext + 1, To: d.gapTop}
	}
	d.gapRing = nil
}
