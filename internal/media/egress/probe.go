package egress

import (
	"time"

	"github.com/gorento/gorento/internal/media/bwe"
)

// Probing (issue 15.2): the estimator plans probe clusters (at start 3× and
// 6× the initial estimate, periodically while the application sends less
// than the estimate, to recover after a drop, when asked for a higher
// layer); the prober sends them as RTX copies of the video track's recent
// packets, at the cluster's rate, tagged with its id so the feedback on
// them tells what the path delivered. RTX copies are useful (a lost packet
// repaired ahead) and need nothing from an unmodified client; receivers
// without RTX are not probed (the estimate then rises only with the media
// rate). Probes spend at most ProbeShare of the estimate, averaged over
// probeWindow.

// Probe limits.
const (
	// ProbeShare is the most of the estimate probes may use over probeWindow.
	ProbeShare  = 0.15
	probeWindow = 2 * time.Second
	// probeTimeout ends a cluster that could not be completed.
	probeTimeout = 100 * time.Millisecond
	// probeLookBack is how many recent packets the copies cycle through.
	probeLookBack = 16
)

// prober sends the probe clusters of one transport (worker-owned).
type prober struct {
	sending bwe.ProbeID // the cluster of the packet being sent (bwe.NoProbe)
	video   *Downtrack  // the track probes copy packets of (the last video track that sent)

	active         bool
	c              bwe.ProbeCluster
	start          int64
	packets, bytes int
	back           uint16

	windowStart int64
	windowBytes int    // probe bytes sent in the current window
	sent        uint64 // probe packets sent
	skipped     uint64 // clusters not sent (no RTX, over budget)
}

// onSent counts a probe packet (from BWE.OnSent).
func (p *prober) onSent(size int) {
	if p.sending != bwe.NoProbe {
		p.packets++
		p.bytes += size
		p.windowBytes += size
		p.sent++
	}
}

// tick sends what is due of the current cluster, or starts the next one.
func (p *prober) tick(b *BWE, _ time.Duration, now int64) {
	if now-p.windowStart >= int64(probeWindow) {
		p.windowStart, p.windowBytes = now, 0
	}
	d := p.video
	if d == nil || d.t.detached || d.t.stopped || !d.outStarted {
		return
	}
	bind := d.bind.Load()
	if bind == nil || bind.RTXSSRC == 0 || d.lastBind != bind || d.lastPT.RTXPT == 0 {
		return // no RTX for what the track sends
	}
	if !p.active {
		c, ok := b.est.NextProbe(now)
		if !ok {
			return
		}
		budget := ProbeShare * float64(b.est.Target()) / 8 * probeWindow.Seconds()
		if float64(p.windowBytes+c.MinBytes) > budget {
			p.skipped++
			return
		}
		p.c, p.active, p.start, p.packets, p.bytes = c, true, now, 0, 0
	}
	// Up to where the cluster should be now, at least a packet: the first
	// tick sends one, the rest follows over the next ones. The estimator
	// measures the cluster from its send times, all of one tick the same:
	// a cluster sent within one tick (15 ms of data in a 20 ms tick, as
	// before) never gave a result, and probes never raised the estimate.
	due := max(p.c.BytesDue(time.Duration(now-p.start)), 1)
	for tries := 0; p.bytes < due && tries < 2*probeLookBack; tries++ {
		p.copyRecent(d, bind, now)
	}
	if p.c.Done(p.packets, p.bytes) || now-p.start > int64(probeTimeout) {
		p.active = false
	}
}

// copyRecent sends an RTX copy of one of the track's recent packets.
func (p *prober) copyRecent(d *Downtrack, bind *Binding, now int64) {
	seq := uint16(d.outTop) - p.back%probeLookBack
	p.back++
	e := &d.seq.entries[seq%sequencerSize]
	if !e.valid || e.outSeq != seq {
		return
	}
	buf := d.seq.fetch(e)
	if buf == nil {
		return
	}
	p.sending = p.c.ID
	d.resend(bind, seq, Resend{Buf: buf, TSDelta: e.tsDelta}, now)
	d.stats.resent.Add(^uint64(0)) // a probe, not a resend
	p.sending = bwe.NoProbe
	buf.Release()
}
