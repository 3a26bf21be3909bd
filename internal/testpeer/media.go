package testpeer

import (
	"encoding/binary"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// sendRecorded sends recorded RTP packets as a camera (or microphone) would:
// a frame (one RTP timestamp) every 1/fps of wall-clock time, looping with
// continuous sequence numbers and timestamps (at clockRate), until Close.
// A sender delayed by a busy machine catches up instead of skipping, so
// its media clock keeps the pace of real time. idx counts them in Sent
// (0 audio, 1 video).
func (p *Peer) sendRecorded(t *webrtc.TrackLocalStaticRTP, idx int, pkts [][]byte, fps int, clockRate uint32) {
	defer p.wg.Done()
	if fps <= 0 {
		fps = 30
	}
	interval := time.Second / time.Duration(fps)
	start := time.Now()
	var frame int64
	var seq uint16
	var ts uint32
	step := clockRate / uint32(fps)
	for {
		for i := 0; i < len(pkts); {
			wait := time.NewTimer(time.Until(start.Add(time.Duration(frame) * interval)))
			select {
			case <-p.stop:
				wait.Stop()
				return
			case <-wait.C:
			}
			if f := p.opts.OnVideoFrameSent; f != nil && idx == 1 {
				f(int(frame), time.Now())
			}
			frame++
			frameTS := binary.BigEndian.Uint32(pkts[i][4:8])
			ts += step
			for ; i < len(pkts) && binary.BigEndian.Uint32(pkts[i][4:8]) == frameTS; i++ {
				var pkt rtp.Packet
				if pkt.Unmarshal(pkts[i]) != nil {
					continue
				}
				seq++
				pkt.SequenceNumber, pkt.Timestamp = seq, ts
				if t.WriteRTP(&pkt) == nil {
					p.sent[idx].Add(1)
				}
			}
		}
	}
}

// VideoReceived returns the video packets received so far, marshalled
// (Options.KeepPackets), in arrival order.
func (p *Peer) VideoReceived() [][]byte { return p.kept(webrtc.RTPCodecTypeVideo) }

// AudioReceived returns the audio packets received so far, marshalled
// (Options.KeepPackets), in arrival order.
func (p *Peer) AudioReceived() [][]byte { return p.kept(webrtc.RTPCodecTypeAudio) }

func (p *Peer) kept(kind webrtc.RTPCodecType) [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.received[kind]
	if r == nil {
		return nil
	}
	out := make([][]byte, 0, len(r.All))
	for _, pkt := range r.All {
		if b, err := pkt.Marshal(); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// ResetVideoReceived forgets the video packets kept so far.
func (p *Peer) ResetVideoReceived() {
	p.mu.Lock()
	if r := p.received[webrtc.RTPCodecTypeVideo]; r != nil {
		r.All, r.At = nil, nil
	}
	p.mu.Unlock()
}
