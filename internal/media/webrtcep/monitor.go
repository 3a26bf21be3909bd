package webrtcep

import (
	"time"

	"github.com/pion/rtcp"

	"github.com/gorento/gorento/internal/media"
)

// mediaStateTimeout is how long without RTCP before MediaState goes back to
// disconnected (as KMS: 5 s).
const mediaStateTimeout = 5 * time.Second

// monitor runs while the endpoint lives: MediaState transitions from RTCP
// activity, and once a second the REMB for the received video and the
// fraction of packets lost.
func (s *connectionTracker) monitor() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-s.w.life.Done():
			return
		case <-t.C:
		}
		s.checkMediaState()
		if s.w.watchUplink(s.w.now()) {
			s.sendREMB() // the cap just fell: at once (publisher_feedback.go)
		}
		if n%4 == 0 {
			s.sendREMB()
			s.updateLoss()
			s.w.reportQuality()
			s.w.updateBWERTT()
		}
	}
}

func (s *connectionTracker) checkMediaState() {
	last := s.lastRTCP.Load()
	up := last != 0 && s.w.now()-last < int64(mediaStateTimeout)
	s.mu.Lock()
	if s.media != up {
		s.w.core.Post(media.MediaStateChanged{Connected: up})
	}
	s.media = up
	s.mu.Unlock()
	s.w.core.Deliver()
}

// sendREMB tells the remote sender how much video it may send
// (publisher_feedback.go).
func (s *connectionTracker) sendREMB() {
	w := s.w
	in := w.in[media.Video].Load()
	if in == nil {
		return
	}
	est := w.publisherREMB()
	if est == 0 {
		return
	}
	pc := w.pcRef.Load()
	if pc == nil {
		return
	}
	if err := pc.WriteRTCP([]rtcp.Packet{&rtcp.ReceiverEstimatedMaximumBitrate{Bitrate: float32(est), SSRCs: w.videoSSRCs(in)}}); err == nil {
		s.mu.Lock()
		s.rembSent = est
		s.mu.Unlock()
	}
}

// updateLoss computes, per received SSRC, the fraction of packets lost over
// the last second on RTCP's 0–255 scale.
func (s *connectionTracker) updateLoss() {
	g := s.w.stats.Load()
	if g == nil {
		return
	}
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
		in := s.w.in[kind].Load()
		if in == nil {
			continue
		}
		st, ok := g.Inbound(in.ssrc)
		if !ok {
			continue
		}
		recv, lost := int64(st.Packets), st.PacketsLost
		s.mu.Lock()
		prev := s.lossPrev[in.ssrc]
		dRecv, dLost := recv-prev[0], lost-prev[1]
		frac := 0.0
		if expected := dRecv + dLost; expected > 0 && dLost > 0 {
			frac = float64(dLost) * 256 / float64(expected)
			if frac > 255 {
				frac = 255
			}
		}
		s.fraction[in.ssrc] = frac
		s.lossPrev[in.ssrc] = [2]int64{recv, lost}
		s.mu.Unlock()
	}
}
