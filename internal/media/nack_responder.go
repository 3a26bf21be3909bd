package media

import (
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// nackHistory is how many sent packets per video stream can be resent:
// ~2 s of 720p at 2 Mb/s, ~1 s at 5 Mb/s. A power of two.
const nackHistory = 512

// nackResendInterval is the shortest time between two resends of one
// packet: a NACK repeated within it (or the same NACK delivered to several
// RTCP readers) is answered once.
const nackResendInterval = 10 * time.Millisecond

// nackResendBudget caps the resends of one stream per second, so a peer
// flooding NACKs cannot make us send more than a few times its media rate.
const nackResendBudget = 1000

// nackSlotAlign rounds slot buffers up, so that packets a little larger than
// the ones before still fit without a new buffer.
const nackSlotAlign = 64

// nackResponderFactory makes the NACK responder of each endpoint.
//
// Pion's responder (pkg/nack) copies every sent packet into freshly allocated
// memory and resends from a new goroutine per NACK; ours keeps a fixed ring
// of reused buffers per stream, so the send path allocates nothing once the
// ring is warm, memory is bounded by nackHistory, and resends happen on the
// RTCP reader that received the NACK, each packet at most once per
// nackResendInterval and at most nackResendBudget per second.
type nackResponderFactory struct{}

// NewInterceptor implements interceptor.Factory.
func (nackResponderFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &nackResponder{streams: map[uint32]*sentHistory{}}, nil
}

// nackResponder answers NACKs from the packets it saw going out.
type nackResponder struct {
	interceptor.NoOp
	mu      sync.Mutex // guards streams
	streams map[uint32]*sentHistory
}

// sentHistory is the ring of one outgoing stream's last packets.
type sentHistory struct {
	mu      sync.Mutex // guards slots and largest
	slots   [nackHistory]sentSlot
	largest int // the largest packet recorded: the size of new slot buffers
	out     interceptor.RTPWriter

	rtxMu       sync.Mutex // guards the resend scratch space and budget
	rtxBuf      []byte
	rtxHdr      rtp.Header
	budgetStart int64 // monotime of the current one-second budget window
	budgetUsed  int
}

type sentSlot struct {
	seq      uint16
	pad      byte  // padding length (not in the marshalled header)
	n        int   // marshalled length; 0 means empty
	resentAt int64 // monotime of the last resend, 0 if never
	buf      []byte
}

// BindLocalStream records every packet of streams that negotiated NACK.
func (r *nackResponder) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !negotiatedNack(info) {
		return w
	}
	h := &sentHistory{out: w}
	r.mu.Lock()
	r.streams[info.SSRC] = h
	r.mu.Unlock()
	ssrc := info.SSRC
	return interceptor.RTPWriterFunc(func(hdr *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		if hdr.SSRC == ssrc {
			h.record(hdr, payload)
		}
		return w.Write(hdr, payload, a)
	})
}

// UnbindLocalStream forgets a stream's history.
func (r *nackResponder) UnbindLocalStream(info *interceptor.StreamInfo) {
	r.mu.Lock()
	delete(r.streams, info.SSRC)
	r.mu.Unlock()
}

// BindRTCPReader resends what incoming NACKs ask for.
func (r *nackResponder) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return onRTCP(reader, func(pkts []rtcp.Packet) {
		for _, p := range pkts {
			if nack, ok := p.(*rtcp.TransportLayerNack); ok {
				r.answer(nack)
			}
		}
	})
}

// onRTCP wraps an interceptor's RTCP reader: handle sees every compound
// packet read, parsed once and cached in the attributes for the others.
func onRTCP(reader interceptor.RTCPReader, handle func([]rtcp.Packet)) interceptor.RTCPReader {
	return interceptor.RTCPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil {
			return 0, nil, err
		}
		if a == nil {
			a = interceptor.Attributes{}
		}
		pkts, err := a.GetRTCPPackets(b[:n])
		if err != nil {
			return 0, nil, err
		}
		handle(pkts)
		return n, a, nil
	})
}

// Close forgets every stream.
func (r *nackResponder) Close() error {
	r.mu.Lock()
	r.streams = map[uint32]*sentHistory{}
	r.mu.Unlock()
	return nil
}

func (r *nackResponder) answer(nack *rtcp.TransportLayerNack) {
	r.mu.Lock()
	h := r.streams[nack.MediaSSRC]
	r.mu.Unlock()
	if h == nil {
		return
	}
	for _, pair := range nack.Nacks {
		h.resend(pair.PacketID)
		for i := uint16(0); i < 16; i++ {
			if pair.LostPackets&(1<<i) != 0 {
				h.resend(pair.PacketID + i + 1)
			}
		}
	}
}

// record copies a sent packet into its slot, reusing the slot's buffer.
func (h *sentHistory) record(hdr *rtp.Header, payload []byte) {
	size := hdr.MarshalSize() + len(payload)
	h.mu.Lock()
	defer h.mu.Unlock()
	s := &h.slots[hdr.SequenceNumber%nackHistory]
	if size > h.largest {
		h.largest = (size + nackSlotAlign - 1) / nackSlotAlign * nackSlotAlign
	}
	if cap(s.buf) < size {
		s.buf = make([]byte, h.largest)
	}
	s.buf = s.buf[:cap(s.buf)]
	n, err := hdr.MarshalTo(s.buf)
	if err != nil {
		s.n = 0
		return
	}
	s.seq, s.pad, s.resentAt = hdr.SequenceNumber, hdr.PaddingSize, 0
	s.n = n + copy(s.buf[n:], payload)
}

// resend writes the packet with sequence number seq again if it is still
// in the history, was not resent within nackResendInterval and the stream's
// budget allows; a NACK for anything older is ignored, as KMS does.
func (h *sentHistory) resend(seq uint16) {
	h.rtxMu.Lock()
	defer h.rtxMu.Unlock()
	now := monotime()
	if now-h.budgetStart >= int64(time.Second) {
		h.budgetStart, h.budgetUsed = now, 0
	}
	if h.budgetUsed >= nackResendBudget {
		return
	}
	h.mu.Lock()
	s := &h.slots[seq%nackHistory]
	if s.n == 0 || s.seq != seq || (s.resentAt != 0 && now-s.resentAt < int64(nackResendInterval)) {
		h.mu.Unlock()
		return
	}
	s.resentAt = now
	if cap(h.rtxBuf) < s.n {
		h.rtxBuf = make([]byte, s.n)
	}
	pkt := h.rtxBuf[:copy(h.rtxBuf[:cap(h.rtxBuf)], s.buf[:s.n])]
	pad := s.pad
	h.mu.Unlock()
	n, err := h.rtxHdr.Unmarshal(pkt)
	if err != nil {
		return
	}
	h.rtxHdr.PaddingSize = pad
	h.budgetUsed++
	_, _ = h.out.Write(&h.rtxHdr, pkt[n:], nil)
}

func negotiatedNack(info *interceptor.StreamInfo) bool {
	for _, fb := range info.RTCPFeedback {
		if fb.Type == "nack" && fb.Parameter == "" {
			return true
		}
	}
	return false
}
