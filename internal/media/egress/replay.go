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
