package bwe

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/pion/rtcp"
)

// Estimator estimates what one transport may send. Not safe for concurrent
// use: one owner (the transport's egress worker) calls every method.
type Estimator struct {
	cfg  Config
	hist sendHistory
	rd   feedbackReader
	pr   pionReader
	ack  []acked // scratch: the packets one feedback acknowledged

	ia      interArrival
	tl      trendline
	queue   standingQueue
	rc      aimd
	loss    lossController
	rate    ackRate
	alr     alrDetector
	probes  probeController
	presult probeResult

	target       float64
	refLast      uint32
	refUnwrapped int64
	haveRef      bool
	lastFeedback int64
	lastSent     int64
	lastCut      int64
	standingAt   int64 // when the estimate was cut for the current standing queue (0: none)
	standingQ    int64 // the queue then (ns)
	fbLost       int   // the current feedback's lost and reported packets
	fbTotal      int

	feedbacks, malformed, unknown uint64
}

type acked struct {
	sent, arrival int64
	size          int32
	probe         ProbeID
}

// New makes an Estimator; cfg's zero fields take their defaults.
func New(cfg Config) (*Estimator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	initial := cfg.clamp(float64(cfg.Initial))
	e := &Estimator{
		cfg:    cfg,
		hist:   newSendHistory(cfg.History),
		ack:    make([]acked, 0, 512),
		tl:     newTrendline(),
		rc:     newAIMD(initial),
		target: initial,
	}
	e.probes.max = float64(cfg.Max)
	e.alr.setRate(e.target)
	return e, nil
}

// OnPacketSent records one packet as it leaves (media, RTX, padding or probe):
// its transport-wide sequence number, its size on the wire and the cluster it
// belongs to (NoProbe for most).
func (e *Estimator) OnPacketSent(seq uint16, size int, now int64, probe ProbeID) {
	e.hist.put(seq, size, now, probe)
	e.lastSent = now
	if probe == NoProbe {
		e.alr.advance(now)
		e.alr.sent(size, now)
	}
}

// OnFeedback takes an RTCP packet or a compound of them as received; every
// transport-cc feedback in it updates the estimate. Other packets are skipped.
// A malformed feedback is reported (and counted) after the well-formed ones
// before it were applied.
func (e *Estimator) OnFeedback(buf []byte, now int64) error {
	for len(buf) >= 4 {
		n := (int(binary.BigEndian.Uint16(buf[2:])) + 1) * 4
		if n > len(buf) {
			e.malformed++
			return ErrFeedbackTruncated
		}
		pkt := buf[:n]
		buf = buf[n:]
		if !isTransportCC(pkt) {
			continue
		}
		if err := e.rd.reset(pkt); err != nil {
			e.malformed++
			return err
		}
		if err := consume(e, &e.rd, e.unwrapRef(e.rd.refTime)); err != nil {
			e.malformed++
			return err
		}
		e.endFeedback(now)
	}
	return nil
}

// OnTransportCC is OnFeedback for a feedback pion/rtcp already parsed.
func (e *Estimator) OnTransportCC(fb *rtcp.TransportLayerCC, now int64) {
	if fb == nil {
		return
	}
	e.pr = pionReader{fb: fb}
	_ = consume(e, &e.pr, e.unwrapRef(fb.ReferenceTime&0xffffff))
	e.pr.fb = nil
	e.endFeedback(now)
}

// statusReader is a feedback's packet statuses, in order.
type statusReader interface {
	next() (status, bool, error)
}

// consume hands every status to onStatus with its arrival time: the
// reference time plus the running sum of the received packets' deltas.
// (Generic over the two readers, which live in the Estimator: no allocation.)
func consume[R statusReader](e *Estimator, r R, arrival int64) error {
	for {
		s, ok, err := r.next()
		if err != nil {
			e.ack = e.ack[:0]
			return err
		}
		if !ok {
			return nil
		}
		if s.sym != symNotReceived {
			arrival += int64(s.delta) * deltaUnit * 1000
		}
		e.onStatus(s, arrival)
	}
}

// unwrapRef turns the 24-bit reference time (64 ms units, the receiver's
// clock) into ns on a line that does not wrap, kept positive.
func (e *Estimator) unwrapRef(ref uint32) int64 {
	if !e.haveRef {
		e.haveRef, e.refLast, e.refUnwrapped = true, ref, int64(ref)+1<<20
	} else {
		d := int64(int32((ref-e.refLast)<<8) >> 8) // signed 24-bit difference
		e.refUnwrapped += d
		e.refLast = ref
	}
	return e.refUnwrapped * refTimeUnit * 1000
}

func (e *Estimator) onStatus(s status, arrival int64) {
	r := e.hist.get(s.seq)
	if r == nil {
		e.unknown++
		return
	}
	e.fbTotal++
	if s.sym == symNotReceived {
		if r.state == recordSent {
			r.state = recordLost
			e.loss.count(true)
			e.fbLost++
		}
		return
	}
	switch r.state {
	case recordReceived:
		return // reported twice
	case recordLost:
		e.loss.unlose()
	default:
		e.loss.count(false)
	}
	r.state = recordReceived
	e.ack = append(e.ack, acked{sent: r.sent, arrival: arrival, size: int32(r.size), probe: r.probe})
}

// endFeedback runs the controllers on what one feedback acknowledged.
func (e *Estimator) endFeedback(now int64) {
	e.feedbacks++
	e.lastFeedback = now
	// In arrival order (feedback lists them by sequence number).
	for i := 1; i < len(e.ack); i++ {
		for j := i; j > 0 && e.ack[j].arrival < e.ack[j-1].arrival; j-- {
			e.ack[j], e.ack[j-1] = e.ack[j-1], e.ack[j]
		}
	}
	var probeRate float64
	var probeID ProbeID
	lastArrival := int64(0)
	for _, p := range e.ack {
		e.rate.add(p.arrival, int(p.size))
		e.queue.add(p.sent, p.arrival)
		lastArrival = max(lastArrival, p.arrival)
		if sd, ad, ok := e.ia.add(p.sent, p.arrival, int(p.size)); ok {
			e.tl.update(sd, ad, p.arrival)
		}
		if p.probe != NoProbe {
			if r, ok := e.presult.add(p.probe, p.sent, p.arrival, int(p.size)); ok {
				probeRate, probeID = r, p.probe
			}
		}
	}
	e.ack = e.ack[:0]
	if probeID != NoProbe {
		e.presult.finish(probeID)
	}

	e.queue.feedback(now, e.fbLost, e.fbTotal)
	e.fbLost, e.fbTotal = 0, 0
	if lastArrival != 0 {
		e.queue.update(lastArrival)
	}
	usage, ack := e.tl.usage, e.rate.rate()
	// An episode starts with a standing queue and loss, and lasts until the
	// queue has drained.
	queued := e.queue.standing()
	standing := queued && e.queue.lossy(now)
	switch {
	case !queued:
		e.standingAt = 0
	case e.standingAt == 0 && standing: // a full buffer whose delay no longer grows: cut once
		e.standingAt, e.standingQ = now, e.queue.queue
		if usage == Normal {
			usage = Overusing
		}
	case e.standingAt != 0 && now-e.standingAt > standingDrain && e.queue.queue > e.standingQ/2:
		e.queue.rebase() // it did not drain: not our queue
		e.standingAt, standing = 0, false
	case e.standingAt != 0 && usage == Normal:
		usage = Underusing // hold the rate until the queue has drained
	}
	e.rc.inALR = e.alr.inALR
	switch {
	case usage == Overusing:
		if ack > 0 && e.rc.reduceFurther(now, ack) {
			e.rc.update(Overusing, ack, now, &e.cfg)
		} else if ack == 0 && now-e.rc.lastChange >= 200_000_000 {
			e.rc.set(e.rc.rate/2, now, &e.cfg) // overuse before any acknowledged rate
		}
	case probeRate > 0:
		e.probes.onResult(probeRate, e.target)
		if probeRate > e.rc.rate {
			e.rc.set(probeRate, now, &e.cfg)
		}
		e.loss.onProbe(probeRate)
	default:
		e.rc.update(usage, ack, now, &e.cfg)
	}
	// Loss during a standing queue is congestion loss; a moment of delay
	// overuse without one (jitter, reordering) does not make a random
	// loss sample congestion.
	e.loss.congested = e.loss.congested || standing || usage == Overusing && queued
	if e.loss.sample(now) {
		e.loss.update(now, e.target, e.rc.rate, e.rc.rtt, &e.cfg)
	}
	e.setTarget(e.cfg.clamp(e.loss.limit(e.rc.rate)))
	e.probes.onEstimate(now, e.target, usage)
}

// OnTick runs the timers (call it every 5–25 ms; the egress's 1 ms tick is
// fine): ALR, the feedback time-out, the probe controller.
func (e *Estimator) OnTick(now int64) {
	e.alr.advance(now)
	timeout := int64(e.cfg.FeedbackTimeout)
	if e.lastSent-e.lastFeedback > timeout && now-e.lastSent < timeout && now-e.lastCut >= timeout/2 && e.lastFeedback != 0 {
		// Sending, but no feedback: the path or the peer is in trouble.
		e.rc.set(e.rc.rate*0.8, now, &e.cfg)
		e.setTarget(e.cfg.clamp(e.loss.limit(e.rc.rate)))
		e.lastCut = now
	}
	if !e.cfg.NoProbing && e.probes.started && !e.congested() {
		e.probes.process(now, e.target, &e.alr)
	}
}

// congested: the path is full now (a standing queue being drained, delay
// overuse, or loss the loss controller is answering): no probing then.
func (e *Estimator) congested() bool {
	return e.standingAt != 0 || e.tl.usage == Overusing || e.loss.bound > 0 && e.loss.sampleCongested
}

// NextProbe hands out the next probe plan, if one is due. The first call
// starts the initial exponential probing.
func (e *Estimator) NextProbe(now int64) (ProbeCluster, bool) {
	if e.cfg.NoProbing {
		return ProbeCluster{}, false
	}
	if !e.probes.started {
		e.probes.start(now, e.target)
	}
	if e.congested() {
		e.probes.queued = 0 // plans made before the path filled up
		return ProbeCluster{}, false
	}
	c, ok := e.probes.pop()
	if ok {
		e.presult.register(c)
	}
	return c, ok
}

// RequestProbe: the allocator would use rate (bit/s) if the path allowed it,
// e.g. for the next simulcast layer. A probe follows unless the estimate
// already allows it; a failed one is retried after a back-off (2 s, doubling
// to 60 s).
func (e *Estimator) RequestProbe(rate uint64, now int64) {
	if !e.cfg.NoProbing {
		e.probes.request(now, float64(rate))
	}
}

// OnRTT sets the round-trip time (from RTCP receiver reports).
func (e *Estimator) OnRTT(rtt time.Duration) {
	if rtt > 0 && rtt < 10*time.Second {
		e.rc.rtt = int64(rtt)
	}
}

// SetBounds changes Min and Max (e.g. KMS's min/maxVideoSendBandwidth set at
// run time). Raising Max while the estimate sits at the old one probes it.
func (e *Estimator) SetBounds(minRate, maxRate uint64, now int64) error {
	c := e.cfg
	c.Min, c.Max = minRate, maxRate
	if err := c.Validate(); err != nil {
		return err
	}
	e.cfg = c
	e.rc.rate = e.cfg.clamp(e.rc.rate)
	e.setTarget(e.cfg.clamp(e.target))
	if !e.cfg.NoProbing {
		e.probes.setMax(now, float64(maxRate), e.target)
	} else {
		e.probes.max = float64(maxRate)
	}
	return nil
}

func (e *Estimator) setTarget(r float64) {
	e.target = r
	e.alr.setRate(r)
}

// Queue is the standing queue on the path: the recent minimum one-way
// delay above the path's own (0 while there is none).
func (e *Estimator) Queue() time.Duration { return time.Duration(e.queue.queue) }

// Target is the estimate in bit/s, within [Min, Max].
func (e *Estimator) Target() uint64 { return uint64(e.target) }

// InherentLoss is the share of packets the path loses whatever the rate
// (the loss of the last 10 s outside congestion; 0–1).
func (e *Estimator) InherentLoss() float64 { return e.loss.inherent }

// State is a snapshot for stats and logs.
type State struct {
	Target       uint64        `json:"target"`       // bit/s
	DelayBased   uint64        `json:"delayBased"`   // the AIMD estimate
	LossBound    uint64        `json:"lossBound"`    // 0: not binding
	Acknowledged uint64        `json:"acknowledged"` // what the peer received
	Usage        string        `json:"usage"`
	Trend        float64       `json:"trend"` // scaled delay trend vs. Threshold (ms)
	Queue        time.Duration `json:"queue"` // standing queue: the recent minimum delay above the path's base
	Threshold    float64       `json:"threshold"`
	Loss         float64       `json:"loss"` // last sample, 0–1
	InherentLoss float64       `json:"inherentLoss"`
	RTT          time.Duration `json:"rtt"`
	ALR          bool          `json:"alr"`
	LastProbe    uint64        `json:"lastProbe"` // last probe result, bit/s
	ProbeReason  string        `json:"probeReason"`
	Feedbacks    uint64        `json:"feedbacks"`
	Malformed    uint64        `json:"malformed"`
	UnknownSeq   uint64        `json:"unknownSeq"` // statuses for packets no longer (or never) in the history
}

// State reports the estimator's internals.
func (e *Estimator) State() State {
	return State{
		Target: uint64(e.target), DelayBased: uint64(e.rc.rate), LossBound: uint64(e.loss.bound),
		Acknowledged: uint64(e.rate.rate()), Usage: e.tl.usage.String(), Trend: e.tl.modified, Queue: time.Duration(e.queue.queue), Threshold: e.tl.threshold,
		Loss: e.loss.loss, InherentLoss: e.loss.inherent, RTT: time.Duration(e.rc.rtt), ALR: e.alr.inALR,
		LastProbe: uint64(e.probes.lastResult), ProbeReason: e.probes.lastReason,
		Feedbacks: e.feedbacks, Malformed: e.malformed, UnknownSeq: e.unknown,
	}
}

func (s State) String() string {
	return fmt.Sprintf("target %d delay %d loss-bound %d acked %d %s trend %.1f/%.1f queue %v loss %.3f (inherent %.3f) alr %v probe %d",
		s.Target, s.DelayBased, s.LossBound, s.Acknowledged, s.Usage, s.Trend, s.Threshold, s.Queue.Round(time.Millisecond), s.Loss, s.InherentLoss, s.ALR, s.LastProbe)
}
