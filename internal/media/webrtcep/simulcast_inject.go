package webrtcep

import (
	"bytes"
	"sync/atomic"

	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// injectPackets is how many packets of each SIM SSRC get the mid and rid
// extensions written in: Pion identifies a new SSRC from its first
// packets (at most 10 probed) and reads it as that rid's track from then on.
const injectPackets = 32

// simInjector is the receive interceptor that makes an SSRC-group SIM
// publisher look like a RID simulcast one to Pion: it writes the mid and
// rtp-stream-id (repaired-rtp-stream-id for RTX) header extensions into
// the first packets of each SSRC of the group. Other streams pass
// untouched, without any cost per packet. (LiveKit does the same for
// SIM publishers: pkg/sfu/interceptor/unhandlesimulcast.go.)
type simInjector struct {
	interceptor.NoOp
	sim *atomic.Pointer[simulcastInfo]
}

type simInjectorFactory struct {
	sim *atomic.Pointer[simulcastInfo]
}

func (f simInjectorFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &simInjector{sim: f.sim}, nil
}

// BindRemoteStream implements interceptor.Interceptor.
func (i *simInjector) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	sim := i.sim.Load()
	rid, repair, ok := sim.ridOf(info.SSRC)
	if !ok {
		return reader
	}
	var midID, ridID uint8
	for _, e := range info.RTPHeaderExtensions {
		switch {
		case e.URI == extMid:
			midID = uint8(e.ID)
		case e.URI == extRID && !repair, e.URI == extRepairedID && repair:
			ridID = uint8(e.ID)
		}
	}
	if midID == 0 || ridID == 0 {
		return reader
	}
	left := injectPackets
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil || left <= 0 {
			return n, a, err
		}
		left--
		return injectIDs(b, n, midID, []byte(sim.mid), ridID, []byte(rid)), a, nil
	})
}

// injectIDs sets two header extensions of the RTP packet in b[:n], moving
// its payload, and returns its new length (n unchanged when it cannot).
func injectIDs(b []byte, n int, midID uint8, mid []byte, ridID uint8, rid []byte) int {
	var h rtp.Header
	hl, err := h.Unmarshal(b[:n])
	if err != nil {
		return n
	}
	// The extensions' bytes are in b, which is about to be rewritten.
	for _, id := range h.GetExtensionIDs() {
		if err := h.SetExtension(id, bytes.Clone(h.GetExtension(id))); err != nil {
			return n
		}
	}
	if len(mid) > 0 && h.GetExtension(midID) == nil {
		if err := h.SetExtension(midID, mid); err != nil {
			return n
		}
	}
	if err := h.SetExtension(ridID, rid); err != nil {
		return n
	}
	nl := h.MarshalSize()
	if n-hl+nl > len(b) {
		return n
	}
	copy(b[nl:], b[hl:n])
	if _, err := h.MarshalTo(b[:nl]); err != nil {
		return n
	}
	return n - hl + nl
}
