package webrtcep

import (
	"math/rand/v2"
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media/interceptor/nackgen"
)

// Feedback about received streams when the endpoint reads them itself
// (Config.DirectInbound, direct.go): Pion's NACK generator and receiver
// report interceptors are not registered, since they would see only the
// packets of Pion's path; this tick sends both for every received stream,
// and the transport-cc feedback (twccrx) as often as Pion's interceptor did.

// Intervals of the receive feedback: NACKs as often as Pion's generator
// asks (100 ms), receiver reports once a second (Pion's default).
const (
	nackInterval   = 100 * time.Millisecond
	reportInterval = time.Second
)

// rxFeedback runs while the endpoint lives, from its first received stream on.
func (w *Endpoint) rxFeedback() {
	t := time.NewTicker(nackInterval)
	defer t.Stop()
	sender := rand.Uint32() // our SSRC as the reporter, as Pion's interceptors pick one
	var seqs []uint16
	var pkts []rtcp.Packet
	every := int(reportInterval / nackInterval)
	for n := 1; ; n++ {
		select {
		case <-w.life.Done():
			return
		case <-t.C:
		}
		pc := w.pcRef.Load()
		if pc == nil {
			continue
		}
		streams := w.direct.received()
		pkts = pkts[:0]
		for _, s := range streams {
			if s.nack == nil {
				continue
			}
			seqs = s.nack.Missing(seqs[:0])
			if p := nackgen.NACK(sender, s.ssrc, seqs); p != nil {
				pkts = append(pkts, p)
			}
		}
		if r := w.twcc.Load(); r != nil {
			pkts = append(pkts, r.Feedback()...)
		}
		if n%every == 0 {
			if rr := w.receiverReport(sender, streams); rr != nil {
				pkts = append(pkts, rr)
			}
		}
		if len(pkts) > 0 {
			if err := pc.WriteRTCP(pkts); err != nil {
				w.log.Debug("receive feedback", "err", err)
			}
		}
	}
}

// receiverReport reports every received stream (nil: none received yet).
func (w *Endpoint) receiverReport(sender uint32, streams []*rxStream) *rtcp.ReceiverReport {
	g := w.stats.Load()
	if g == nil {
		return nil
	}
	now := time.Now()
	rr := &rtcp.ReceiverReport{SSRC: sender}
	for _, s := range streams {
		if rep, ok := g.ReceptionReport(s.ssrc, now); ok && len(rr.Reports) < 31 {
			rr.Reports = append(rr.Reports, rep)
		}
	}
	if len(rr.Reports) == 0 {
		return nil
	}
	return rr
}
