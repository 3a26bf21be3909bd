package bwe

import (
	"encoding/binary"
	"math/rand/v2"
	"time"

	"github.com/pion/rtcp"
)

// A small network simulator for the estimator's tests: a sender whose
// "encoder" follows the target (30 fps frames, a keyframe every 3 s, paced at
// 2.5 × the target, probe clusters padded as the egress will), one bottleneck
// (capacity, drop-tail queue, base delay, random loss) and a receiver that
// sends transport-cc feedback every 50 ms over the reverse path. Time advances
// in 1 ms steps; everything is deterministic for a seed.

const ms = int64(time.Millisecond)

type simLink struct {
	capacity func(t int64) float64 // bit/s
	delay    func(t int64) int64   // one-way base delay, ns
	loss     float64
	queueMax int64 // drop-tail: the most queueing delay a packet may meet
	busy     int64 // when the link has sent everything queued
	drops    int
	rng      *rand.Rand
}

// carry returns the packet's arrival time at the receiver, or -1 if lost.
func (l *simLink) carry(at int64, size int) int64 {
	if l.loss > 0 && l.rng.Float64() < l.loss {
		return -1
	}
	start := max(at, l.busy)
	if start-at > l.queueMax {
		l.drops++
		return -1
	}
	l.busy = start + int64(float64(size*8)/l.capacity(start)*1e9)
	return l.busy + l.delay(l.busy)
}

type simFeedback struct {
	at  int64 // when it reaches the sender
	pkt []byte
}

// simReceiver builds transport-cc feedback like a browser does.
type simReceiver struct {
	arrivals map[uint16]int64
	next     uint16 // first sequence number not yet reported
	started  bool
	highest  uint16
	fbCount  uint8
	clock    int64 // receiver clock offset
}

func (r *simReceiver) got(seq uint16, arrival int64) {
	if !r.started {
		r.started, r.next, r.highest = true, seq, seq
	}
	r.arrivals[seq] = arrival + r.clock
	if int16(seq-r.highest) > 0 {
		r.highest = seq
	}
}

// feedback reports every packet from the last report up to the highest received.
func (r *simReceiver) feedback() []byte {
	if !r.started || int16(r.highest-r.next) < 0 {
		return nil
	}
	var statuses []status
	ref := int64(-1)
	last := int64(0)
	for seq := r.next; ; seq++ {
		at, ok := r.arrivals[seq]
		s := status{seq: seq}
		if ok {
			if ref < 0 {
				ref = at / (refTimeUnit * 1000)
				last = ref * refTimeUnit * 1000
			}
			d := (at - last) / (deltaUnit * 1000)
			last += d * deltaUnit * 1000
			s.delta = int32(d)
			s.sym = symSmallDelta
			if d < 0 || d > 255 {
				s.sym = symLargeDelta
			}
			delete(r.arrivals, seq)
		}
		statuses = append(statuses, s)
		if seq == r.highest {
			break
		}
	}
	r.next = r.highest + 1
	if ref < 0 {
		return nil
	}
	r.fbCount++
	return encodeFeedback(statuses, uint32(ref), r.fbCount)
}

// encodeFeedback writes a transport-cc packet with two-bit status vectors.
func encodeFeedback(st []status, ref uint32, count uint8) []byte {
	b := make([]byte, chunkOffset, chunkOffset+2*len(st)+2*len(st)+4)
	b[0], b[1] = 0x80|fmtTCC, rtcpTypeRTPFB
	binary.BigEndian.PutUint32(b[4:], 1)
	binary.BigEndian.PutUint32(b[8:], 2)
	binary.BigEndian.PutUint16(b[fciOffset:], st[0].seq)
	binary.BigEndian.PutUint16(b[fciOffset+2:], uint16(len(st)))
	b[fciOffset+4], b[fciOffset+5], b[fciOffset+6] = byte(ref>>16), byte(ref>>8), byte(ref)
	b[fciOffset+7] = count
	for i := 0; i < len(st); i += 7 {
		c := uint16(0xc000)
		for k := 0; k < 7 && i+k < len(st); k++ {
			c |= uint16(st[i+k].sym) << (12 - 2*k)
		}
		b = binary.BigEndian.AppendUint16(b, c)
	}
	for _, s := range st {
		switch s.sym {
		case symSmallDelta:
			b = append(b, byte(s.delta))
		case symLargeDelta:
			b = binary.BigEndian.AppendUint16(b, uint16(int16(s.delta)))
		}
	}
	if pad := (4 - len(b)%4) % 4; pad > 0 {
		b = append(b, make([]byte, pad)...)
		b[len(b)-1] = byte(pad)
		b[0] |= 0x20
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)/4-1))
	return b
}

type simSender struct {
	sourceMax func(t int64) float64 // what the encoder could produce
	nextFrame int64
	frames    int
	queue     []int // packet sizes waiting in the pacer
	budget    float64
	seq       uint16

	probe      ProbeCluster
	probing    bool
	probeStart int64
	probeBytes int
	probePkts  int
	probes     []ProbeCluster
}

type probeEvent struct {
	t      int64
	reason string
	queue  int64 // the bottleneck's queue when the cluster started (ns)
}

type sim struct {
	est       *Estimator
	link      simLink
	send      simSender
	rx        simReceiver
	fb        []simFeedback
	viaPion   bool // alternate feedback through pion/rtcp parsing
	fbEvery   int64
	trace     []point
	noFB      func(t int64) bool // drop feedback (a dead reverse path)
	sentBytes int
	inflight  []inflight
	delivered int
	probeLog  []probeEvent
}

type inflight struct {
	seq     uint16
	arrival int64
	size    int
}

type point struct {
	t              int64
	target, ack    float64
	delay, bound   float64
	usage          Usage
	lossSample     float64
	alr            bool
	delivered      int // bytes delivered so far
	sent           int
	delayedByQueue int64
}

func newSim(cfg Config, l simLink, seed uint64) *sim {
	est, err := New(cfg)
	if err != nil {
		panic(err)
	}
	l.rng = rand.New(rand.NewPCG(seed, 1))
	if l.queueMax == 0 {
		l.queueMax = 300 * ms
	}
	if l.delay == nil {
		l.delay = func(int64) int64 { return 20 * ms }
	}
	return &sim{est: est, link: l, rx: simReceiver{arrivals: map[uint16]int64{}, clock: 12345 * int64(time.Second)}, fbEvery: 50 * ms,
		send: simSender{sourceMax: func(int64) float64 { return 1e9 }}}
}

// run advances the simulation to `until` (ns).
func (s *sim) run(from, until int64) {
	for t := from; t < until; t += ms {
		target := float64(s.est.Target())
		// The encoder: one frame every 33 ms, sized for the target.
		if t >= s.send.nextFrame {
			bits := min(target, s.send.sourceMax(t)) / 30
			if s.send.frames%90 == 0 {
				bits *= 3
			}
			s.send.frames++
			s.send.nextFrame = t + 33*ms
			for bytes := int(bits / 8); bytes > 0; bytes -= 1200 {
				s.send.queue = append(s.send.queue, min(bytes, 1200)+40)
			}
		}
		// Probes: the next plan, padded up to its rate.
		if !s.send.probing {
			if c, ok := s.est.NextProbe(t); ok {
				s.send.probe, s.send.probing, s.send.probeStart, s.send.probeBytes, s.send.probePkts = c, true, t, 0, 0
				s.send.probes = append(s.send.probes, c)
				s.probeLog = append(s.probeLog, probeEvent{t, c.Reason, max(s.link.busy-t, 0)})
			}
		}
		xmit := func(size int, probe ProbeID) {
			s.send.seq++
			s.est.OnPacketSent(s.send.seq, size, t, probe)
			s.sentBytes += size
			if at := s.link.carry(t, size); at >= 0 {
				s.inflight = append(s.inflight, inflight{s.send.seq, at, size})
			}
		}
		// The pacer: 2.5 × the target, bursts of up to 5 ms.
		s.send.budget = min(s.send.budget+2.5*target/8*0.001, 2.5*target/8*0.005)
		for len(s.send.queue) > 0 && s.send.budget > 0 {
			size := s.send.queue[0]
			s.send.queue = s.send.queue[1:]
			s.send.budget -= float64(size)
			id := NoProbe
			if s.send.probing {
				id = s.send.probe.ID
				s.send.probeBytes += size
				s.send.probePkts++
			}
			xmit(size, id)
		}
		if s.send.probing {
			due := s.send.probe.BytesDue(time.Duration(t - s.send.probeStart + ms))
			for s.send.probeBytes < due || s.send.probePkts < 1 {
				xmit(1000, s.send.probe.ID)
				s.send.probeBytes += 1000
				s.send.probePkts++
			}
			if s.send.probe.Done(s.send.probePkts, s.send.probeBytes) {
				s.send.probing = false
			}
		}
		// Arrivals up to now.
		kept := s.inflight[:0]
		for _, p := range s.inflight {
			if p.arrival <= t {
				s.rx.got(p.seq, p.arrival)
				s.delivered += p.size
			} else {
				kept = append(kept, p)
			}
		}
		s.inflight = kept
		// Feedback: built every 50 ms, delivered a base delay later.
		if t%s.fbEvery == 0 {
			if pkt := s.rx.feedback(); pkt != nil && (s.noFB == nil || !s.noFB(t)) {
				s.fb = append(s.fb, simFeedback{at: t + s.link.delay(t), pkt: pkt})
			}
		}
		for len(s.fb) > 0 && s.fb[0].at <= t {
			f := s.fb[0]
			s.fb = s.fb[1:]
			if s.viaPion {
				var tcc rtcp.TransportLayerCC
				if err := tcc.Unmarshal(f.pkt); err != nil {
					panic(err)
				}
				s.est.OnTransportCC(&tcc, t)
			} else if err := s.est.OnFeedback(f.pkt, t); err != nil {
				panic(err)
			}
			s.viaPion = !s.viaPion
		}
		if t%(5*ms) == 0 {
			s.est.OnTick(t)
		}
		if t%(100*ms) == 0 {
			st := s.est.State()
			s.trace = append(s.trace, point{t: t, target: float64(st.Target), ack: float64(st.Acknowledged), delay: float64(st.DelayBased), bound: float64(st.LossBound), usage: s.est.tl.usage,
				lossSample: st.Loss, alr: st.ALR, delivered: s.delivered, sent: s.sentBytes, delayedByQueue: max(s.link.busy-t, 0)})
		}
	}
}

// firstAtLeast is when the target first reached v (ns), or -1.
func (s *sim) firstAtLeast(v float64, from int64) int64 {
	for _, p := range s.trace {
		if p.t >= from && p.target >= v {
			return p.t
		}
	}
	return -1
}

// firstAtMost is when the target first fell to v or below after from, or -1.
func (s *sim) firstAtMost(v float64, from int64) int64 {
	for _, p := range s.trace {
		if p.t >= from && p.target <= v {
			return p.t
		}
	}
	return -1
}

// meanTarget over [from, to).
func (s *sim) meanTarget(from, to int64) float64 {
	sum, n := 0.0, 0
	for _, p := range s.trace {
		if p.t >= from && p.t < to {
			sum += p.target
			n++
		}
	}
	return sum / float64(max(n, 1))
}

// goodput is the rate delivered through the bottleneck over [from, to) (bit/s).
func (s *sim) goodput(from, to int64) float64 {
	var a, b *point
	for i := range s.trace {
		p := &s.trace[i]
		if a == nil && p.t >= from {
			a = p
		}
		if p.t < to {
			b = p
		}
	}
	if a == nil || b == nil || b.t <= a.t {
		return 0
	}
	return float64(b.delivered-a.delivered) * 8 / (float64(b.t-a.t) / 1e9)
}

func constant(v float64) func(int64) float64 { return func(int64) float64 { return v } }

func step(before, after float64, at int64) func(int64) float64 {
	return func(t int64) float64 {
		if t < at {
			return before
		}
		return after
	}
}
