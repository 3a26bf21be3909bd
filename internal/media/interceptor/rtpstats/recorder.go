// Package rtpstats is Gorento's statistics recorder: per-SSRC counters of
// the RTP and RTCP of one peer connection, in both directions, with loss,
// jitter (RFC 3550) and round-trip time.
//
// Pion's stats interceptor clones every received header into new memory and
// leaves the interceptors above it to parse each packet again; this one
// parses a received packet once into a reused header that it shares with
// them, and counts with no allocation per packet in either direction.
package rtpstats

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	mediaint "github.com/gorento/gorento/internal/media/interceptor"
)

// Option configures a RecorderFactory.
type Option func(*RecorderFactory) error

// OnNew hands each new Recorder to f (its owner keeps it to read the stats).
func OnNew(f func(*Recorder)) Option {
	return func(r *RecorderFactory) error {
		r.onNew = f
		return nil
	}
}

// WithClock sets the time source of arrival times (tests).
func WithClock(c mediaint.Clock) Option {
	return func(r *RecorderFactory) error {
		r.now = c
		return nil
	}
}

// RecorderFactory makes the statistics recorder of each peer connection.
type RecorderFactory struct {
	onNew func(*Recorder)
	now   mediaint.Clock
}

// NewRecorderFactory returns a factory configured by opts.
func NewRecorderFactory(opts ...Option) (*RecorderFactory, error) {
	f := &RecorderFactory{now: mediaint.RealClock}
	for _, o := range opts {
		if err := o(f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// NewInterceptor implements interceptor.Factory.
func (f *RecorderFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	r := &Recorder{now: f.now, in: map[uint32]*inboundCounters{}, out: map[uint32]*outboundCounters{}}
	if f.onNew != nil {
		f.onNew(r)
	}
	return r, nil
}

// Recorder counts the RTP and RTCP of one peer connection per SSRC. It
// must be the first interceptor registered (the innermost), so that it sees
// the RTCP the others generate and parses received packets before them.
type Recorder struct {
	interceptor.NoOp
	now mediaint.Clock
	mu  sync.Mutex // guards the maps (not the counters)
	in  map[uint32]*inboundCounters
	out map[uint32]*outboundCounters
}

// InboundStats are the counters of a received stream; FIR, PLI and NACK
// count what we sent about it.
type InboundStats struct {
	Packets, Bytes uint64 // Bytes: payload only
	PacketsLost    int64
	Jitter         float64 // seconds
	FIR, PLI, NACK uint32
}

// OutboundStats are the counters of a sent stream; FIR, PLI and NACK count
// what its receiver sent, the rest comes from the receiver's reports.
type OutboundStats struct {
	Packets, Bytes uint64 // Bytes: payload only
	FIR, PLI, NACK uint32
	PacketsLost    int64
	FractionLost   uint8         // 0–255, from the last report
	RoundTripTime  time.Duration // from the last report that echoed a sender report
	Jitter         float64       // seconds, from the last report
	Reports        uint64        // receiver reports received about the stream
}

type inboundCounters struct {
	mu        sync.Mutex // guards everything below
	st        InboundStats
	clockRate float64
	started   bool
	baseSeq   uint64 // extended sequence numbers
	maxSeq    uint64
	transit   float64     // previous transit time in clock units, for jitter
	jitter    float64     // RFC 3550 jitter in clock units
	report    reportState // receiver reports (report.go)

	// Read by one goroutine, the stream's reader: the parsed header shared
	// with the interceptors above through attrs.
	hdr   rtp.Header
	attrs interceptor.Attributes
}

type outboundCounters struct {
	mu        sync.Mutex // guards st and clockRate
	st        OutboundStats
	clockRate float64
}

// Inbound returns the counters of a received SSRC.
func (r *Recorder) Inbound(ssrc uint32) (InboundStats, bool) {
	r.mu.Lock()
	c := r.in[ssrc]
	r.mu.Unlock()
	if c == nil {
		return InboundStats{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	if c.clockRate > 0 {
		st.Jitter = c.jitter / c.clockRate
	}
	return st, true
}

// Outbound returns the counters of a sent SSRC.
func (r *Recorder) Outbound(ssrc uint32) (OutboundStats, bool) {
	r.mu.Lock()
	c := r.out[ssrc]
	r.mu.Unlock()
	if c == nil {
		return OutboundStats{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st, true
}

// BindRemoteStream counts received packets and shares their parsed header.
func (r *Recorder) BindRemoteStream(info *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	r.mu.Lock()
	c := r.in[info.SSRC] // a stream bound again keeps counting where it was
	if c == nil {
		c = &inboundCounters{clockRate: float64(info.ClockRate)}
		// Not shared on RTX streams: Pion keeps an RTX packet's attributes
		// (and writes into them) while the packet waits in its repair queue.
		if !strings.HasSuffix(strings.ToLower(info.MimeType), "/rtx") {
			c.attrs = sharedHeader(&c.hdr)
		}
		r.in[info.SSRC] = c
	}
	r.mu.Unlock()
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil {
			return 0, nil, err
		}
		hn, err := c.hdr.Unmarshal(b[:n])
		if err != nil {
			return 0, nil, err
		}
		payload := n - hn
		c.hdr.PaddingSize = 0
		if c.hdr.Padding && n > hn {
			c.hdr.PaddingSize = b[n-1]
			payload -= int(c.hdr.PaddingSize)
		}
		c.record(&c.hdr, max(payload, 0), r.now())
		if a != nil && rtpHeaderKey != nil { // the caller's own attributes
			a[rtpHeaderKey] = &c.hdr
			return n, a, nil
		}
		return n, c.attrs, nil
	})
}

func (c *inboundCounters) record(h *rtp.Header, payload int, now int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.Packets++
	c.st.Bytes += uint64(payload)
	seq := uint64(h.SequenceNumber)
	if !c.started {
		// Start one cycle up, so a late packet from before a wrap can
		// still be placed a cycle below.
		seq += 0x10000
		c.started, c.baseSeq, c.maxSeq = true, seq, seq
	} else {
		// Extend to 64 bits around the highest sequence number seen.
		ext := c.maxSeq&^0xffff | seq
		switch d := int64(ext) - int64(c.maxSeq); {
		case d < -0x8000:
			ext += 0x10000
		case d > 0x8000:
			ext -= 0x10000
		}
		if ext > c.maxSeq {
			c.maxSeq = ext
		}
		if ext < c.baseSeq {
			c.baseSeq = ext
		}
	}
	c.st.PacketsLost = int64(c.maxSeq-c.baseSeq+1) - int64(c.st.Packets)
	if c.clockRate > 0 {
		arrival := float64(now) * c.clockRate / float64(time.Second)
		transit := arrival - float64(h.Timestamp)
		if c.st.Packets > 1 {
			d := transit - c.transit
			if d < 0 {
				d = -d
			}
			if d < c.clockRate*10 { // a timestamp jump is a new source, not jitter
				c.jitter += (d - c.jitter) / 16
			}
		}
		c.transit = transit
	}
}

// BindLocalStream counts sent packets.
func (r *Recorder) BindLocalStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	c := r.outbound(info.SSRC)
	c.mu.Lock()
	c.clockRate = float64(info.ClockRate)
	c.mu.Unlock()
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		c.mu.Lock()
		c.st.Packets++
		c.st.Bytes += uint64(len(payload))
		c.mu.Unlock()
		return w.Write(h, payload, a)
	})
}

func (r *Recorder) outbound(ssrc uint32) *outboundCounters {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.out[ssrc]
	if c == nil {
		c = &outboundCounters{}
		r.out[ssrc] = c
	}
	return c
}

// BindRTCPWriter counts the feedback we send about received streams.
func (r *Recorder) BindRTCPWriter(w interceptor.RTCPWriter) interceptor.RTCPWriter {
	return interceptor.RTCPWriterFunc(func(pkts []rtcp.Packet, a interceptor.Attributes) (int, error) {
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication:
				r.countSent(p.MediaSSRC, func(s *InboundStats) { s.PLI++ })
			case *rtcp.FullIntraRequest:
				for _, e := range p.FIR {
					r.countSent(e.SSRC, func(s *InboundStats) { s.FIR++ })
				}
			case *rtcp.TransportLayerNack:
				r.countSent(p.MediaSSRC, func(s *InboundStats) { s.NACK++ })
			}
		}
		return w.Write(pkts, a)
	})
}

func (r *Recorder) countSent(ssrc uint32, f func(*InboundStats)) {
	r.mu.Lock()
	c := r.in[ssrc]
	r.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		f(&c.st)
		c.mu.Unlock()
	}
}

// BindRTCPReader counts the feedback and reports receivers send about our
// streams. It parses each RTCP packet once for every interceptor above.
func (r *Recorder) BindRTCPReader(reader interceptor.RTCPReader) interceptor.RTCPReader {
	return mediaint.OnRTCP(reader, func(pkts []rtcp.Packet) {
		now := time.Now()
		for _, p := range pkts {
			switch p := p.(type) {
			case *rtcp.PictureLossIndication:
				r.countReceived(p.MediaSSRC, func(s *OutboundStats) { s.PLI++ })
			case *rtcp.FullIntraRequest:
				for _, e := range p.FIR {
					r.countReceived(e.SSRC, func(s *OutboundStats) { s.FIR++ })
				}
			case *rtcp.TransportLayerNack:
				r.countReceived(p.MediaSSRC, func(s *OutboundStats) { s.NACK++ })
			case *rtcp.ReceiverReport:
				r.applyReports(p.Reports, now)
			case *rtcp.SenderReport:
				r.senderReport(p, now)
				r.applyReports(p.Reports, now)
			}
		}
	})
}

func (r *Recorder) countReceived(ssrc uint32, f func(*OutboundStats)) {
	r.mu.Lock()
	c := r.out[ssrc]
	r.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		f(&c.st)
		c.mu.Unlock()
	}
}

func (r *Recorder) applyReports(reports []rtcp.ReceptionReport, now time.Time) {
	for _, rep := range reports {
		rtt, ok := roundTrip(rep, now)
		r.mu.Lock()
		c := r.out[rep.SSRC]
		r.mu.Unlock()
		if c == nil {
			continue
		}
		c.mu.Lock()
		s := &c.st
		s.PacketsLost, s.FractionLost = int64(rep.TotalLost), rep.FractionLost
		s.Reports++
		if c.clockRate > 0 {
			s.Jitter = float64(rep.Jitter) / c.clockRate
		}
		if ok {
			s.RoundTripTime = rtt
		}
		c.mu.Unlock()
	}
}

// roundTrip is RFC 3550 §6.4.1's round-trip time: arrival minus the echoed
// sender-report time (LSR) minus the receiver's delay (DLSR), in NTP's
// middle 32 bits (1/65536 s).
func roundTrip(rep rtcp.ReceptionReport, now time.Time) (time.Duration, bool) {
	if rep.LastSenderReport == 0 {
		return 0, false
	}
	rtt := ntpMiddle(now) - rep.LastSenderReport - rep.Delay
	if rtt > 60<<16 { // negative (clock noise) or absurd
		return 0, false
	}
	return time.Duration(uint64(rtt) * uint64(time.Second) >> 16), true
}

// ntpMiddle returns the middle 32 bits of t as an NTP timestamp.
func ntpMiddle(t time.Time) uint32 {
	secs := uint64(t.Unix()) + 2208988800 // NTP epoch is 1900
	frac := uint64(t.Nanosecond()) << 32 / uint64(time.Second)
	return uint32((secs<<32 | frac) >> 16)
}

// rtpHeaderKey is the key under which pion/interceptor caches a parsed RTP
// header in Attributes. Its type is unexported, so it is read back from a
// map that Attributes.GetRTPHeader filled.
var rtpHeaderKey = func() any {
	a := interceptor.Attributes{}
	if _, err := a.GetRTPHeader([]byte{0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}); err != nil || len(a) != 1 {
		return nil
	}
	for k := range a {
		return k
	}
	return nil
}()

// sharedHeader returns the attributes through which interceptors above the
// recorder find h already parsed; nil (each parses for itself) if
// pion/interceptor's cache key could not be found.
//
// The map and header are reused for every packet of the stream: they are
// valid until the next read. Pion's interceptors use them synchronously,
// and our readers drop the attributes that TrackRemote.Read returns; code
// that keeps them (Pion keeps them for peeked packets of undeclared SSRCs
// and for RTX, neither used here) would see later packets' headers.
func sharedHeader(h *rtp.Header) interceptor.Attributes {
	if rtpHeaderKey == nil {
		return nil
	}
	return interceptor.Attributes{rtpHeaderKey: h}
}
