package scenario

import (
	"context"
	"time"

	"github.com/gorento/gorento/bench/internal/peer"
	"github.com/gorento/gorento/bench/internal/stats"
)

// Baseline is the one-way latency of a direct Pion→Pion link (no server)
// with the same media, generator and SRTP profile: what the generator and
// loopback add by themselves. Server latencies are reported minus this.
type Baseline struct {
	SRTP     string  `json:"srtp"`
	LatP50Ms float64 `json:"latencyP50Ms"`
	LatP99Ms float64 `json:"latencyP99Ms"`
	Loss     float64 `json:"loss"`
	Err      string  `json:"error,omitempty"`
}

// Baseline measures a publisher connected straight to n cheap subscribers
// (n separate PeerConnections from the same publisher track set would need
// a server; one link is the floor).
func (e *Env) Baseline(ctx context.Context, srtp string, window time.Duration) (b Baseline) {
	b.SRTP = srtp
	pub, err := e.peer(peer.Publisher, srtp, 1, nil)
	if err != nil {
		b.Err = err.Error()
		return b
	}
	sub, err := e.peer(peer.Subscriber, srtp, 0, nil)
	if err != nil {
		pub.Close()
		b.Err = err.Error()
		return b
	}
	defer closeAll([]*peer.Peer{pub, sub})
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	offer, err := pub.Offer(ctx)
	if err == nil {
		var answer string
		if answer, err = sub.Answer(ctx, offer); err == nil {
			if err = pub.SetAnswer(answer); err == nil {
				err = pub.WaitConnected(ctx)
			}
		}
	}
	if err != nil {
		b.Err = err.Error()
		return b
	}
	snd := peer.NewSender(e.Media, e.Epoch)
	snd.Add(pub)
	snd.Start()
	defer snd.Stop()
	time.Sleep(e.Warmup)
	from, fromNs := snd.Snapshot(), time.Since(e.Epoch).Nanoseconds()
	time.Sleep(window)
	to, toNs := snd.Snapshot(), time.Since(e.Epoch).Nanoseconds()
	time.Sleep(e.Drain)
	res := sub.Counter.Count(peer.MakeWindow(from, to, fromNs, toNs))
	exp := expectedFor(from, to, []uint16{1, 2})
	if exp > 0 {
		b.Loss = 1 - float64(res.Received)/float64(exp)
	}
	b.LatP50Ms = stats.Percentile(res.Latencies, 50) / 1e6
	b.LatP99Ms = stats.Percentile(res.Latencies, 99) / 1e6
	e.logf("  baseline (direct Pion→Pion) %s: p50 %.3f ms p99 %.3f ms loss %.3f%%", srtp, b.LatP50Ms, b.LatP99Ms, 100*b.Loss)
	return b
}
