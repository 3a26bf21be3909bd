package webrtcep

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// inboundStream is the stream received from the remote peer for one kind.
type inboundStream struct {
	ssrc  uint32
	kind  media.MediaType
	track *webrtc.TrackRemote
	layer int    // simulcast layer (-1: none)
	rid   string // its rid
}

// keyframeInterval is the minimum time between two keyframe requests sent
// to the remote sender: receivers ask often, encoders need time to answer.
const keyframeInterval = 300 * time.Millisecond

// onTrack reads one received track and pushes its packets into the
// pipeline. It runs on the goroutine Pion starts for the track.
func (w *Endpoint) onTrack(tr *webrtc.TrackRemote, rc *webrtc.RTPReceiver) {
	kind := kindOf(tr.Kind())
	if kind == media.Data {
		return
	}
	if !w.life.Enter() {
		return
	}
	defer w.life.Leave()

	tag := w.addInbound(&inboundStream{ssrc: uint32(tr.SSRC()), kind: kind, track: tr}, tr.RID())
	w.spawn(func() { w.readReceiverRTCP(rc, tr.RID()) })
	switch {
	case tag != nil:
		w.RequestLayerKeyframe(w.core.Source(kind), tag.layer) // each layer starts with a keyframe
	case kind == media.Video:
		w.sendKeyframeRequest() // start the stream with a keyframe
	}
	var rx *rxStream
	if w.engine.cfg.DirectInbound {
		rx = w.newRxStream(tr, rc, kind, tag)
		w.direct.add(rx)
	}
	w.readRTP(tr, kind, tag, rx)
}

// readRTP is the ingress hot path: each packet is read into a pooled
// buffer (media.PacketBuf) that the pipeline shares by reference — the
// source's retransmission history and every sink that keeps it — with no
// allocation per packet in Gorento's code. With rx (DirectInbound), packets
// go through the stream state the direct path shares (direct.go); the
// reader keeps reading when the direct path takes the stream over, for
// what Pion still delivers: packets it held at the switch, RTX repairs.
func (w *Endpoint) readRTP(tr *webrtc.TrackRemote, kind media.MediaType, tag *layerTag, rx *rxStream) {
	src := w.core.Source(kind)
	pipe := w.core.Pipeline()
	var pt uint8
	var codec *media.Codec
	var errs readErrors
	b := media.GetPacketBuf()
	defer func() { b.Free() }()
	for {
		n, attrs, err := tr.Read(b.Data())
		if err != nil {
			if errs.fatal(err) {
				return
			}
			continue
		}
		errs = 0
		if w.opts.SendOnly && rx == nil {
			continue // read anyway so Pion's interceptors keep working
		}
		if !b.ParseRTP(n) {
			continue
		}
		pkt := b.Packet()
		if codec == nil || pkt.Header.PayloadType != pt {
			pt, codec = pkt.Header.PayloadType, codecOf(tr.Codec())
		}
		if rx != nil {
			rx.fromPion(b, codec, attrs)
			b = media.GetPacketBuf()
			continue
		}
		pkt.Codec = codec
		pkt.EnteredAt = pipe.EntryTime()
		if tag != nil {
			tag.push(src, b) // a simulcast layer
		} else {
			src.PushBuf(b)
		}
		b = media.GetPacketBuf()
	}
}

// readErrors counts consecutive read errors of one Pion stream. A packet
// that an interceptor cannot parse fails only its own read; the stream
// ends when it is closed.
type readErrors int

// maxReadErrors ends a stream that fails this many reads in a row with
// an error that does not say it is closed.
const maxReadErrors = 1000

// fatal reports whether the reader should stop after err.
func (e *readErrors) fatal(err error) bool {
	*e++
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) || *e >= maxReadErrors
}

// readReceiverRTCP drains the RTCP of the remote sender (sender reports):
// Pion's report interceptor needs it for round-trip times, and it proves
// the media session alive.
func (w *Endpoint) readReceiverRTCP(rc *webrtc.RTPReceiver, rid string) {
	buf := make([]byte, 1500)
	var errs readErrors
	read := rc.Read
	if rid != "" { // a simulcast layer: its own RTCP
		read = func(b []byte) (int, interceptor.Attributes, error) { return rc.ReadSimulcast(b, rid) }
	}
	for {
		if _, _, err := read(buf); err != nil {
			if errs.fatal(err) {
				return
			}
			continue
		}
		errs = 0
		w.state.rtcpReceived()
	}
}
