package egress

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/bwe"
)

// BWE is the send-side bandwidth estimation of one transport (issue 15.2):
// TransportHooks that give every packet the transport sends (stamped with a
// transport-wide sequence number, twcc.go) and every transport-cc feedback
// its receiver returns to a bwe.Estimator, on the transport's worker, and
// publish the estimate for the layer selector, the publisher's feedback and
// getStats. It also paces (pacer.go): Pace holds back what exceeds 2.5×
// the estimate, so keyframe bursts do not overflow the receiver's link.
//
// Before the first feedback (a receiver without transport-cc, or none yet)
// the estimate is unknown (TargetBitrate 0) and nothing is paced.
type BWE struct {
	est   *bwe.Estimator
	pace  pacer
	probe prober

	target atomic.Uint64 // bit/s; 0 until the first feedback
	loss   atomic.Uint64 // the path's inherent loss (math.Float64bits)
	start  uint64        // the estimator's initial estimate (bit/s)
	counts atomic.Pointer[BWECounts]
	state  atomic.Pointer[bwe.State]
	wantLo atomic.Uint64 // bounds asked for by SetBounds (0: unchanged)
	wantHi atomic.Uint64
	rtt    atomic.Int64 // ns, from SetRTT (0: none yet)

	// Worker-owned.
	fed         bool
	noPace      bool // tests of the estimate alone
	lastTick    int64
	tick        time.Duration // the worker's tick, as seen
	lo, hi      uint64
	nextStateAt int64
}

// EstimateReader is what a layer selector or allocator reads from a
// transport: its send-side estimate.
type EstimateReader interface {
	// TargetBitrate is what the transport may send, in bit/s (0: unknown).
	TargetBitrate() uint64
}

// ProbeRequester is TransportHooks that can probe whether the path takes
// a higher rate (before switching a viewer to a higher layer).
type ProbeRequester interface {
	RequestProbe(bps uint64, now int64)
}

var (
	_ Pacer          = (*BWE)(nil)
	_ Detacher       = (*BWE)(nil)
	_ EstimateReader = (*BWE)(nil)
	_ ProbeRequester = (*BWE)(nil)
	_ QueueReporter  = (*BWE)(nil)
	_ LossReader     = (*BWE)(nil)
)

// QueueReporter is TransportHooks that know the standing queue on the path
// to the receiver: a resend is not repeated before the last one can have
// crossed it.
type QueueReporter interface {
	Queue() time.Duration
}

// NewBWE makes the estimation hooks of one transport (TransportParams.Hooks).
func NewBWE(cfg bwe.Config) (*BWE, error) {
	est, err := bwe.New(cfg)
	if err != nil {
		return nil, err
	}
	b := &BWE{est: est, lo: cfg.Min, hi: cfg.Max, start: est.Target()}
	b.pace.init()
	return b, nil
}

// Estimate is the transport's send-side estimate in bit/s (0: unknown, or
// the transport has no BWE).
func (t *Transport) Estimate() uint64 {
	if r, ok := t.p.Hooks.(EstimateReader); ok {
		return r.TargetBitrate()
	}
	return 0
}

// RequestProbe asks the transport's estimator to find out whether the path
// takes bps (a higher simulcast layer): a probe follows unless the estimate
// already allows it; failed ones back off (2 s doubling to 60 s). On the
// transport's worker only (e.g. from a Selector); without BWE it does nothing.
func (t *Transport) RequestProbe(bps uint64, now int64) {
	if r, ok := t.p.Hooks.(ProbeRequester); ok {
		r.RequestProbe(bps, now)
	}
}

// LossReader is TransportHooks that know the share of packets the path
// to the receiver loses whatever the rate.
type LossReader interface {
	InherentLoss() float64
}

// InherentLoss implements LossReader: the loss of the last 10 s of
// transport-cc feedback outside congestion (0–1).
func (b *BWE) InherentLoss() float64 { return math.Float64frombits(b.loss.Load()) }

// PathLoss is the share of packets the path to the receiver loses whatever
// the rate (0: none, or unknown: no send-side estimation).
func (t *Transport) PathLoss() float64 {
	if r, ok := t.p.Hooks.(LossReader); ok {
		return r.InherentLoss()
	}
	return 0
}

// RequestProbe implements ProbeRequester (on the worker).
func (b *BWE) RequestProbe(bps uint64, now int64) { b.est.RequestProbe(bps, now) }

// Queue implements QueueReporter (on the worker).
func (b *BWE) Queue() time.Duration { return b.est.Queue() }

// TargetBitrate implements EstimateReader.
func (b *BWE) TargetBitrate() uint64 { return b.target.Load() }

// StartBitrate is the estimate the estimator starts from (bit/s): what a
// receiver that negotiated transport-cc may be sent before its first
// feedback; probes then find out how far above it the path goes.
func (b *BWE) StartBitrate() uint64 { return b.start }

// State is the estimator's last published state (nil before feedback).
func (b *BWE) State() *bwe.State { return b.state.Load() }

// SetBounds changes the estimate's bounds in bit/s (KMS's
// min/maxVideoSendBandwidth): applied on the worker's next tick.
func (b *BWE) SetBounds(lo, hi uint64) {
	b.wantLo.Store(lo)
	b.wantHi.Store(hi)
}

// SetRTT gives the round-trip time to the receiver (from its receiver
// reports): the estimator's additive increase and loss response use it.
// Applied on the worker's next tick.
func (b *BWE) SetRTT(rtt time.Duration) { b.rtt.Store(int64(rtt)) }

// OnSent implements TransportHooks.
func (b *BWE) OnSent(d *Downtrack, _ *rtp.Header, size int, now int64) {
	seq, ok := d.t.SentTWCC()
	if !ok {
		return
	}
	b.est.OnPacketSent(seq, size, now, b.probe.sending)
	b.probe.onSent(size)
	if d.kind == media.Video {
		b.probe.video = d
	}
	b.pace.sent(size, now)
}

// OnRTCP implements TransportHooks: transport-cc feedback updates the estimate.
func (b *BWE) OnRTCP(pkts []rtcp.Packet, now int64) {
	fed := false
	for _, p := range pkts {
		switch p := p.(type) {
		case *rtcp.TransportLayerCC:
			b.est.OnTransportCC(p, now)
			fed = true
		case *rtcp.ReceiverReport:
			// The round trip comes with the receiver reports of our sender
			// reports; Pion's stats have it, the estimator keeps its default
			// until it is wired (sr.go does not keep send times yet).
		}
	}
	if fed {
		b.fed = true
		b.publish(now)
	}
}

// OnTick implements TransportHooks.
func (b *BWE) OnTick(now int64) {
	if lo, hi := b.wantLo.Load(), b.wantHi.Load(); hi != 0 && (lo != b.lo || hi != b.hi) {
		if b.est.SetBounds(lo, hi, now) == nil {
			b.lo, b.hi = lo, hi
		}
	}
	if rtt := b.rtt.Swap(0); rtt > 0 {
		b.est.OnRTT(time.Duration(rtt))
	}
	b.est.OnTick(now)
	if b.fed {
		b.publish(now)
		b.probe.tick(b, b.tick, now)
	}
	b.pace.tick(now)
	if b.lastTick != 0 {
		b.tick = time.Duration(now - b.lastTick)
	}
	b.lastTick = now
}

// OnDetach implements Detacher: what the pacer holds is released.
func (b *BWE) OnDetach() { b.pace.drop() }

// Pace implements Pacer.
func (b *BWE) Pace(p *Paced, now int64) bool {
	return b.pace.admit(p, now)
}

// BWECounts are what the pacer and the prober did.
type BWECounts struct {
	Paced         uint64 // packets the pacer held back
	Flushed       uint64 // held packets sent early (the queue was full)
	Dropped       uint64 // held packets dropped after MaxPaceDelay (their tracks then wait for a keyframe)
	Queued        int    // packets waiting now
	ProbesSent    uint64 // probe packets (RTX copies) sent
	ProbesSkipped uint64 // probe clusters not sent (over the probe budget)
}

// Counts returns the pacer's and prober's counters (nil before feedback),
// updated once a second.
func (b *BWE) Counts() *BWECounts { return b.counts.Load() }

// publish makes the estimate readable off the worker; the full state (an
// allocation) at most once a second.
func (b *BWE) publish(now int64) {
	t := b.est.Target()
	b.target.Store(t)
	b.loss.Store(math.Float64bits(b.est.InherentLoss()))
	if !b.noPace {
		b.pace.setRate(t)
	}
	if now >= b.nextStateAt {
		b.nextStateAt = now + 1e9
		s := b.est.State()
		b.state.Store(&s)
		b.counts.Store(&BWECounts{Paced: b.pace.paced, Flushed: b.pace.flushed, Dropped: b.pace.dropped, Queued: b.pace.size,
			ProbesSent: b.probe.sent, ProbesSkipped: b.probe.skipped})
	}
}
