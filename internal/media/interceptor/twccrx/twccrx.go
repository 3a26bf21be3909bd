// Package twccrx records the transport-wide sequence numbers of received
// packets and builds the transport-cc feedback the sender's bandwidth
// estimator needs (draft-holmer-rmcat-transport-wide-cc-extensions-01).
//
// It replaces Pion's transport-cc sender interceptor where the endpoint
// reads some packets outside Pion's interceptor chain (webrtcep's direct
// inbound path): the sequence is transport-wide, so one recorder must see
// every packet, whichever path it took, or the feedback would report the
// other path's packets lost. It also drops the unbuffered channel send that
// Pion's interceptor makes per packet: packets are recorded under a mutex,
// and the feedback is built on the endpoint's tick. The encoding of the
// feedback is Pion's (twcc.Recorder).
package twccrx

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

// Recorder is the transport-cc receive side of one peer connection.
type Recorder struct {
	interceptor.NoOp
	start time.Time
	mu    sync.Mutex // guards rec
	rec   *twcc.Recorder
}

// Factory makes the Recorder of each peer connection and hands it to onNew.
type Factory struct{ onNew func(*Recorder) }

// New returns a recorder (the factory makes one per peer connection).
func New() *Recorder { return &Recorder{start: time.Now(), rec: twcc.NewRecorder(rand.Uint32())} }

// NewInterceptor implements interceptor.Factory.
func (f Factory) NewInterceptor(string) (interceptor.Interceptor, error) {
	r := New()
	if f.onNew != nil {
		f.onNew(r)
	}
	return r, nil
}

// Configure registers transport-cc on m for audio and video (as Pion's
// ConfigureTWCCSender does) with this package's recorder in ir.
func Configure(m *webrtc.MediaEngine, ir *interceptor.Registry, onNew func(*Recorder)) error {
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		m.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, kind)
		if err := m.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.TransportCCURI}, kind); err != nil {
			return err
		}
	}
	ir.Add(Factory{onNew: onNew})
	return nil
}

// ExtensionID is the transport-cc header extension ID among exts (0: none).
func ExtensionID(exts []interceptor.RTPHeaderExtension) uint8 {
	for _, e := range exts {
		if e.URI == sdp.TransportCCURI {
			return uint8(e.ID)
		}
	}
	return 0
}

// BindRemoteStream records the packets Pion's path delivers.
func (r *Recorder) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	id := ExtensionID(info.RTPHeaderExtensions)
	if id == 0 {
		return reader
	}
	ssrc := info.SSRC
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil {
			return n, a, err
		}
		if a == nil {
			a = interceptor.Attributes{}
		}
		h, err := a.GetRTPHeader(b[:n]) // parsed once by the stats recorder below
		if err != nil {
			return 0, nil, err
		}
		if seq, ok := Sequence(h.GetExtension(id)); ok {
			r.Record(ssrc, seq, time.Now())
		}
		return n, a, nil
	})
}

// Sequence reads a transport-cc extension's sequence number.
func Sequence(ext []byte) (uint16, bool) {
	if len(ext) < 2 {
		return 0, false
	}
	return uint16(ext[0])<<8 | uint16(ext[1]), true
}

// Record marks transport-wide sequence number seq of a packet of ssrc as
// arrived at.
func (r *Recorder) Record(ssrc uint32, seq uint16, at time.Time) {
	us := at.Sub(r.start).Microseconds()
	r.mu.Lock()
	r.rec.Record(ssrc, seq, us)
	r.mu.Unlock()
}

// Feedback builds the feedback for what arrived since the last call (nil:
// nothing).
func (r *Recorder) Feedback() []rtcp.Packet {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rec.BuildFeedbackPacket()
}
