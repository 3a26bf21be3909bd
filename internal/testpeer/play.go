package testpeer

import (
	"time"

	"github.com/pion/rtp"
)

// TimedPacket is real media to send: an RTP packet due At after the start
// of playing (internal/media/mediatest/rtpmedia makes them from files).
type TimedPacket struct {
	Video  bool
	At     time.Duration
	Packet *rtp.Packet
}

// Play sends packets on the peer's tracks at their due times, in real
// time, as a camera and microphone would (instead of StartMedia's marked
// packets), looping when loop is set; the returned channel is closed after
// the last packet (never when looping). It stops at Close.
func (p *Peer) Play(pkts []TimedPacket, loop bool) <-chan struct{} {
	done := make(chan struct{})
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(done)
		var span time.Duration
		if n := len(pkts); n > 0 {
			span = pkts[n-1].At + 40*time.Millisecond
		}
		var perKind [2]uint16
		for _, tp := range pkts {
			perKind[b2i(tp.Video)]++
		}
		start := time.Now()
		for round := 0; ; round++ {
			base := time.Duration(round) * span
			var tsShift [2]uint32
			if round > 0 { // continue the streams: later timestamps, no reset
				tsShift = [2]uint32{uint32(base.Seconds() * 48000), uint32(base.Seconds() * 90000)}
			}
			for _, tp := range pkts {
				if wait := time.Until(start.Add(base + tp.At)); wait > 0 {
					select {
					case <-p.stop:
						return
					case <-time.After(wait):
					}
				}
				pk := *tp.Packet
				t, shift := p.audio, tsShift[0]
				if tp.Video {
					t, shift = p.video, tsShift[1]
				}
				pk.Timestamp += shift
				pk.SequenceNumber += uint16(round) * perKind[b2i(tp.Video)] // keep sequence numbers running
				if t != nil {
					_ = t.WriteRTP(&pk)
					p.sent[b2i(tp.Video)].Add(1)
				}
			}
			if !loop {
				return
			}
		}
	}()
	return done
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
