// Package nack is Gorento's NACK responder: it keeps the last packets sent
// on each stream that negotiated NACK and resends what receivers report lost.
//
// Pion's responder (pion/interceptor/pkg/nack) copies every sent packet into
// freshly allocated memory and resends from a new goroutine per NACK; this
// one keeps a fixed ring of reused buffers per stream, so the send path
// allocates nothing once the ring is warm, memory is bounded by the history
// size, and resends happen on the RTCP reader that received the NACK, each
// packet at most once per resend interval and within a budget per second.
package nack

import (
	"errors"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	mediaint "github.com/gorento/gorento/internal/media/interceptor"
)

// Defaults of the options.
const (
	// DefaultHistory is how many sent packets per stream can be resent:
	// ~2 s of 720p at 2 Mb/s, ~1 s at 5 Mb/s.
	DefaultHistory = 512
	// DefaultResendInterval is the shortest time between two resends of one
	// packet: a NACK repeated within it (or the same NACK delivered to
	// several RTCP readers) is answered once.
	DefaultResendInterval = 10 * time.Millisecond
	// DefaultResendBudget caps the resends of one stream per second, so a
	// peer flooding NACKs cannot make us send more than a few times its
	// media rate.
	DefaultResendBudget = 1000
)

// slotAlign rounds slot buffers up, so that packets a little larger than
// the ones before still fit without a new buffer.
const slotAlign = 64

// Option configures a ResponderFactory.
type Option func(*ResponderFactory) error

// WithHistory sets how many packets per stream are kept (a power of two).
func WithHistory(n int) Option {
	return func(f *ResponderFactory) error {
		if n <= 0 || n&(n-1) != 0 || n > 1<<15 {
			return errors.New("nack: history must be a power of two up to 32768")
		}
		f.history = n
		return nil
	}
}

// WithResendInterval sets the shortest time between two resends of one packet.
func WithResendInterval(d time.Duration) Option {
	return func(f *ResponderFactory) error {
		if d < 0 {
			return errors.New("nack: negative resend interval")
		}
		f.interval = d
		return nil
	}
}

// WithResendBudget sets the most packets one stream resends per second.
func WithResendBudget(n int) Option {
	return func(f *ResponderFactory) error {
		if n <= 0 {
			return errors.New("nack: resend budget must be positive")
		}
		f.budget = n
		return nil
	}
}

// WithClock sets the time source (tests).
func WithClock(c mediaint.Clock) Option {
	return func(f *ResponderFactory) error {
		f.now = c
		return nil
	}
}

// ResponderFactory makes the NACK responder of each peer connection.
type ResponderFactory struct {
	history  int
	interval time.Duration
	budget   int
	now      mediaint.Clock
}

// NewResponderFactory returns a factory with the defaults changed by opts.
func NewResponderFactory(opts ...Option) (*ResponderFactory, error) {
	f := &ResponderFactory{history: DefaultHistory, interval: DefaultResendInterval, budget: DefaultResendBudget, now: mediaint.RealClock}
	for _, o := range opts {
		if err := o(f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// NewInterceptor implements interceptor.Factory.
func (f *ResponderFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &Responder{cfg: *f, streams: map[uint32]*sentHistory{}}, nil
}

// Responder answers NACKs from the packets it saw going out.
type Responder struct {
	interceptor.NoOp
	cfg     ResponderFactory
	mu      sync.Mutex // guards streams
	streams map[uint32]*sentHistory
}

// sentHistory is the ring of one outgoing stream's last packets.
type sentHistory struct {
	cfg     *ResponderFactory
	mu      sync.Mutex // guards slots and largest
	slots   []sentSlot // len is a power of two
	largest int        // the largest packet recorded: the size of new slot buffers
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
func (r *Responder) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	if !negotiatedNack(info) {
		return w
	}
	h := &sentHistory{cfg: &r.cfg, out: w, slots: make([]sentSlot, r.cfg.history)}
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
func (r *Responder) UnbindLocalStream(info *interceptor.StreamInfo) {
	r.mu.Lock()
	delete(r.streams, info.SSRC)
	r.mu.Unlock()
}

// BindRTCPReader resends what incoming NACKs ask for.
func (r *Responder) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return mediaint.OnRTCP(reader, func(pkts []rtcp.Packet) {
		for _, p := range pkts {
			if nack, ok := p.(*rtcp.TransportLayerNack); ok {
				r.answer(nack)
			}
		}
	})
}

// Close forgets every stream.
func (r *Responder) Close() error {
	r.mu.Lock()
	r.streams = map[uint32]*sentHistory{}
	r.mu.Unlock()
	return nil
}

func (r *Responder) answer(nack *rtcp.TransportLayerNack) {
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
	s := &h.slots[int(hdr.SequenceNumber)&(len(h.slots)-1)]
	if size > h.largest {
		h.largest = (size + slotAlign - 1) / slotAlign * slotAlign
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
// in the history, was not resent within the resend interval and the
// stream's budget allows; a NACK for anything older is ignored.
func (h *sentHistory) resend(seq uint16) {
	h.rtxMu.Lock()
	defer h.rtxMu.Unlock()
	now := h.cfg.now()
	if now-h.budgetStart >= int64(time.Second) {
		h.budgetStart, h.budgetUsed = now, 0
	}
	if h.budgetUsed >= h.cfg.budget {
		return
	}
	h.mu.Lock()
	s := &h.slots[int(seq)&(len(h.slots)-1)]
	if s.n == 0 || s.seq != seq || (s.resentAt != 0 && now-s.resentAt < int64(h.cfg.interval)) {
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
