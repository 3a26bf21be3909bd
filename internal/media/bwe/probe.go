package bwe

import "time"

// ProbeCluster is a plan: send at Bitrate until at least MinPackets packets
// and MinBytes bytes went out (about ProbeDuration), every packet tagged with
// ID — media sent meanwhile too, topped up with RTX copies of recent packets
// or padding. The feedback on those packets tells what the path delivered.
type ProbeCluster struct {
	ID         ProbeID
	Bitrate    uint64 // bit/s
	MinPackets int
	MinBytes   int
	Reason     string // "initial", "further", "alr", "recovery", "alr-exit", "request", "max"
}

// Probe shape (libwebrtc's defaults).
const (
	ProbeDuration   = 15 * time.Millisecond
	probeMinPackets = 5
)

// BytesDue is how many bytes of the cluster should be out after elapsed time
// (at least one packet at the start): what a pacer sends up to.
func (c ProbeCluster) BytesDue(elapsed time.Duration) int {
	return int(float64(c.Bitrate) / 8 * elapsed.Seconds())
}

// Done reports whether a cluster with these counts is complete.
func (c ProbeCluster) Done(packets, bytes int) bool {
	return packets >= c.MinPackets && bytes >= c.MinBytes
}

// probeController decides when to probe and how high. Like libwebrtc's
// ProbeController: exponential probing at start (3× then 6× the initial
// estimate), periodic probes at 2× the estimate while application limited,
// probes at 85 % of the rate before a large drop while the path may have
// recovered (up to three, a second apart), one when the application leaves
// ALR, one when Max is raised, and probes the allocator asks for (a higher
// layer) with a back-off that doubles after each that fails. A probe whose
// result lifts the estimate above 70 % of the probed rate is followed by one
// at twice the new estimate, up to Max.
type probeController struct {
	queue  [4]ProbeCluster // pending plans, oldest first
	queued int
	nextID ProbeID

	started       bool
	waiting       bool    // for the result of a probe that may be followed
	waitingSince  int64   // ns
	furtherAbove  float64 // probe again if the estimate rises above this
	lastProbe     int64
	peak          float64 // highest estimate of the last peakWindow
	peakAt        int64
	usage         Usage
	dropAt        int64
	beforeDrop    float64
	recoveryTries int
	lastRecovery  int64
	lastALREnd    int64
	requested     float64 // the last allocator request (bit/s)
	requestBack   time.Duration
	requestRetry  int64
	max           float64
	lastResult    float64
	lastReason    string
}

const (
	probeWaitResult     = int64(time.Second)
	probeFurtherRatio   = 0.7
	alrProbeInterval    = int64(5 * time.Second)
	dropRatio           = 0.66
	dropWindow          = int64(5 * time.Second)
	peakWindow          = int64(2 * time.Second)
	recoveryFraction    = 0.85
	recoveryTries       = 3
	recoveryInterval    = int64(time.Second)
	requestBackoffStart = 2 * time.Second
	requestBackoffMax   = 60 * time.Second
)

func (p *probeController) push(now int64, rate float64, reason string) {
	rate = min(rate, p.max)
	if p.queued == len(p.queue) || rate <= 0 {
		return
	}
	p.nextID++
	if p.nextID <= 0 {
		p.nextID = 1
	}
	minBytes := int(rate / 8 * ProbeDuration.Seconds())
	p.queue[p.queued] = ProbeCluster{ID: p.nextID, Bitrate: uint64(rate), MinPackets: probeMinPackets, MinBytes: minBytes, Reason: reason}
	p.queued++
	p.lastProbe = now
	p.lastReason = reason
}

// probe plans a cluster; with further, a good result leads to the next one.
func (p *probeController) probe(now int64, rate float64, reason string, further bool) {
	p.push(now, rate, reason)
	switch {
	case !further:
	case rate >= p.max: // nothing above to find
		p.waiting = false
	default:
		p.waiting, p.waitingSince, p.furtherAbove = true, now, probeFurtherRatio*rate
	}
}

// pop returns the oldest pending plan.
func (p *probeController) pop() (ProbeCluster, bool) {
	if p.queued == 0 {
		return ProbeCluster{}, false
	}
	c := p.queue[0]
	copy(p.queue[:], p.queue[1:p.queued])
	p.queued--
	return c, true
}

func (p *probeController) start(now int64, initial float64) {
	p.started = true
	p.probe(now, 3*initial, "initial", false)
	p.probe(now, 6*initial, "initial", true)
	p.peak, p.peakAt = initial, now
}

// onEstimate follows the target and the delay detector after each feedback.
func (p *probeController) onEstimate(now int64, est float64, u Usage) {
	if p.waiting && est > p.furtherAbove {
		p.probe(now, 2*est, "further", true)
	}
	if est >= p.peak || now-p.peakAt > peakWindow {
		p.peak, p.peakAt = est, now
	}
	if est < dropRatio*p.peak && (p.dropAt == 0 || now-p.dropAt > dropWindow) {
		// A large drop from the recent peak (a fall in steps counts as one).
		p.dropAt, p.beforeDrop, p.recoveryTries = now, p.peak, 0
	}
	p.usage = u
}

// process runs the timers: result time-out, recovery, ALR probes, ALR exit,
// allocator requests.
func (p *probeController) process(now int64, est float64, alr *alrDetector) {
	if p.waiting && now-p.waitingSince > probeWaitResult {
		p.waiting = false
	}
	if p.dropAt != 0 && now-p.dropAt <= dropWindow && p.usage != Overusing && p.recoveryTries < recoveryTries &&
		now-p.lastRecovery >= recoveryInterval && est < recoveryFraction*p.beforeDrop {
		p.probe(now, recoveryFraction*p.beforeDrop, "recovery", true)
		p.recoveryTries++
		p.lastRecovery = now
	}
	if alr.inALR && now-max(alr.started, p.lastProbe) >= alrProbeInterval && est < p.max {
		p.probe(now, 2*est, "alr", true)
	}
	if !alr.inALR && alr.ended != 0 && alr.ended != p.lastALREnd {
		p.lastALREnd = alr.ended
		if now-alr.ended < int64(time.Second) && est < p.max {
			p.probe(now, 2*est, "alr-exit", true)
		}
	}
	if p.requested > est && p.requestRetry <= now {
		p.probe(now, 1.1*p.requested, "request", false)
		p.requestRetry = now + int64(p.requestBack)
		p.requestBack = min(2*p.requestBack, requestBackoffMax)
	}
}

// request: the allocator wants rate (a higher layer than the estimate allows).
func (p *probeController) request(now int64, rate float64) {
	rate = min(rate, p.max)
	if rate == p.requested {
		return
	}
	p.requested, p.requestBack, p.requestRetry = rate, requestBackoffStart, now
}

// onResult: a cluster proved rate (est: the estimate before it). A request it
// satisfies is done. Recovery probing ends when one succeeds, or when one
// finds hardly more than the estimate: the drop was real, not a dip.
func (p *probeController) onResult(rate, est float64) {
	p.lastResult = rate
	if p.requested > 0 && rate >= p.requested {
		p.requested = 0
	}
	if p.recoveryTries > 0 && (rate >= recoveryFraction*p.beforeDrop*probeFurtherRatio || rate < 1.2*est) {
		p.recoveryTries = recoveryTries
	}
}

func (p *probeController) setMax(now int64, max, est float64) {
	if p.started && max > p.max && est >= 0.9*p.max {
		p.max = max
		p.probe(now, max, "max", false)
		return
	}
	p.max = max
}

// probeResult computes the rate a probe cluster proved from the feedback on
// its packets (libwebrtc's ProbeBitrateEstimator): the lower of the send and
// receive rates, or 95 % of the receive rate when it fell clearly below the
// send rate (the path is saturated). At least 80 % of the cluster's packets and
// bytes must have arrived, within one second.
type probeResult struct {
	clusters [4]probeStats
}

type probeStats struct {
	id                         ProbeID
	bitrate                    uint64 // the cluster's plan
	minPackets, minBytes       int
	firstSend, lastSend        int64
	firstArrival, lastArrival  int64
	lastSendSize, firstArrSize int
	bytes, packets             int
	done                       bool
}

// register remembers a cluster's thresholds when it is handed out.
func (r *probeResult) register(c ProbeCluster) {
	slot := &r.clusters[int(c.ID)%len(r.clusters)]
	*slot = probeStats{id: c.ID, bitrate: c.Bitrate, minPackets: c.MinPackets, minBytes: c.MinBytes}
}

// add takes one acknowledged probe packet; it returns a rate when the cluster
// just became conclusive.
func (r *probeResult) add(id ProbeID, sent, arrival int64, size int) (float64, bool) {
	c := &r.clusters[int(id)%len(r.clusters)]
	if c.id != id || c.done {
		return 0, false
	}
	if c.packets == 0 || sent < c.firstSend {
		c.firstSend = sent
	}
	if c.packets == 0 || sent > c.lastSend {
		c.lastSend, c.lastSendSize = sent, size
	}
	if c.packets == 0 || arrival < c.firstArrival {
		c.firstArrival, c.firstArrSize = arrival, size
	}
	if c.packets == 0 || arrival > c.lastArrival {
		c.lastArrival = arrival
	}
	c.bytes += size
	c.packets++
	if float64(c.packets) < 0.8*float64(c.minPackets) || float64(c.bytes) < 0.8*float64(c.minBytes) {
		return 0, false
	}
	sendIv, recvIv := c.lastSend-c.firstSend, c.lastArrival-c.firstArrival
	if sendIv <= 0 || recvIv <= 0 || sendIv > int64(time.Second) || recvIv > int64(time.Second) {
		return 0, false
	}
	sendRate := float64(c.bytes-c.lastSendSize) * 8 / (float64(sendIv) / 1e9)
	recvRate := float64(c.bytes-c.firstArrSize) * 8 / (float64(recvIv) / 1e9)
	if recvRate > 2*sendRate {
		return 0, false
	}
	// What the path took, never more than the cluster was to prove: the
	// browser's viewer of a 600 kbit/s link once got a 2.2 Mbit/s estimate
	// (and 720p for a second) from a cluster measured above its plan.
	res := min(sendRate, recvRate, float64(c.bitrate))
	if recvRate < 0.9*sendRate {
		res = min(0.95*recvRate, float64(c.bitrate))
	}
	return res, true
}

// finish marks a cluster as used once the feedback that made it conclusive is processed.
func (r *probeResult) finish(id ProbeID) {
	if c := &r.clusters[int(id)%len(r.clusters)]; c.id == id {
		c.done = true
	}
}
