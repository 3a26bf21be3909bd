package egress

import (
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpx"
)

// The hooks of bandwidth estimation, pacing, probing and layer selection
// (issue 15). They plug into a transport and its downtracks here and are
// all called on the transport's worker, one call at a time, so an
// implementation needs no lock for state it keeps per transport. None may
// block or allocate per packet. Where each is called, in the order a
// packet meets them:
//
//	Downtrack.Enqueue (producer goroutine: hold the buffer, push to the worker)
//	worker: Downtrack.process
//	  1. stale generation / keyframe wait / codec not negotiated → dropped
//	  2. Selector.Select(d, pkt, now)        false → dropped, nothing else runs
//	     (it reads the VP8 descriptor, parsed once here, and sets the
//	     temporal-layer target)
//	  2b. VP8 temporal-layer filter (vp8.go) false → dropped, its sequence
//	     number and PictureID skipped so the output stays continuous
//	  3. rewrite: SSRC, payload type, continuous sequence numbers and
//	     timestamps (rtpx.Rewriter), Sequencer.Record (for NACKs), VP8
//	     PictureID/TL0PICIDX/KEYIDX (rtpx.VP8Munger, written into the
//	     output copy)
//	  4. Pacer.Pace(&Paced{…}, now)          false → the pacer took the packet;
//	                                          it calls Downtrack.SendPaced later
//	  5. stamp the transport-wide sequence number when the receiver
//	     negotiated transport-cc (twcc.go), send (fast path or Pion's
//	     writer), then TransportHooks.OnSent
//	Downtrack.NACK → worker: resend from the source's history (RTX when the
//	  binding has an RTX SSRC), then TransportHooks.OnSent
//	Transport.OnRTCP → worker: TransportHooks.OnRTCP (feedback, REMB, RR)
//	every Config.Tick: sender reports, then TransportHooks.OnTick
//	transport detached (closed): Detacher.OnDetach
//
// BWE (bwe.go) implements them all: estimation, pacing (pacer.go) and
// probing (probe.go). A Selector reads the estimate with
// Transport.Estimate and asks for a probe with Transport.RequestProbe.
//
// A Selector that drops packets of the stream it forwards must keep the
// output sequence numbers continuous itself (the rewriter maps source
// numbers one to one, except those the temporal filter skips); switching
// layers changes the source SSRC, which the rewriter turns into a
// continuation of the output stream.

// Selector chooses which packets of its source a downtrack forwards: the
// simulcast layer and temporal layers a viewer's estimate allows. nil
// forwards everything.
type Selector interface {
	// Select is called for each packet of the downtrack's source, in
	// order, before it is rewritten; false drops it.
	Select(d *Downtrack, p *media.Packet, now int64) bool
}

// TransportHooks see what a transport sends and receives: a send-side
// bandwidth estimator, a probe controller, a layer allocator.
type TransportHooks interface {
	// OnSent is told about every RTP packet sent on the transport (media,
	// resends, paced packets), with its output header and size in bytes
	// (header and payload, before SRTP).
	OnSent(d *Downtrack, h *rtp.Header, size int, now int64)
	// OnRTCP receives the RTCP receivers sent about the transport's
	// tracks (transport-cc feedback, REMB, receiver reports), as given to
	// Transport.OnRTCP.
	OnRTCP(pkts []rtcp.Packet, now int64)
	// OnTick runs every Config.Tick.
	OnTick(now int64)
}

// Detacher is TransportHooks told, on the worker, that their transport no
// longer sends (closed): a pacer releases what it holds.
type Detacher interface {
	OnDetach()
}

// Pacer is TransportHooks that also hold back what exceeds the
// transport's rate (a leaky bucket): TransportParams.Hooks may implement it.
type Pacer interface {
	TransportHooks
	// Pace is asked before each media packet is sent. true: send it now.
	// false: the pacer took p (and the reference to p.Buf) and will send
	// it later with Downtrack.SendPaced, or drop it with p.Buf.Release.
	Pace(p *Paced, now int64) bool
}

// Paced is a media packet ready to send: its output header and its source
// packet (whose payload goes out), held.
type Paced struct {
	Downtrack *Downtrack
	Header    rtp.Header
	Buf       *media.PacketBuf
	VP8       rtpx.VP8Patch // the munged VP8 descriptor bytes (rtpx.VP8Munger)
}

// SendPaced sends a packet a Pacer held back and releases its buffer. On
// the transport's worker only (from TransportHooks.OnTick or OnRTCP).
func (d *Downtrack) SendPaced(p *Paced, now int64) {
	if !d.t.detached && !d.t.stopped {
		if b := d.bind.Load(); b != nil {
			d.send(b, &p.Header, p.Buf.Packet().Payload, &p.VP8, now)
		}
	}
	p.Buf.Release()
	p.Buf = nil
}
