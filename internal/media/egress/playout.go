package egress

import (
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
)

// A minimum playout delay for viewers of a publisher whose uplink needs
// repairs (the playout-delay header extension,
// http://www.webrtc.org/experiments/rtp-hdrext/playout-delay; LiveKit
// sends it too). A viewer's jitter buffer is sized to its own path: on a
// short smooth one Chrome waits 10–60 ms, while a packet lost on the
// publisher's uplink arrives as a repair 35–80 ms late (Chromium answers a
// NACK in ~35 ms, and a frame's lost last packet is noticed only when the
// next frame starts), or later when the repair needs a second ask. The
// frame is then skipped, and a frame later frames depend on freezes the
// video until it comes. So while the publisher's endpoint notes repairs on
// the source's history (media.SourceRing.NoteRepairs, webrtcep), every
// video packet to a viewer that negotiated the extension asks for a
// minimum delay of three repair delays plus a frame (PlayoutDelayFor),
// within Config.MaxPlayoutDelay. Once the uplink is clean the packets ask
// for none (playoutNone) for playoutNoneFor, then carry nothing: a clean
// call keeps its low latency, and a call never repaired is never stamped.
//
// How libwebrtc applies it (VideoReceiveStream2): the delay of the newest
// frame that carried one stays in force (so "none" must be sent, not just
// stopped), it is a floor under the delay its timing would choose anyway
// (the larger wins, as with jitterBufferTarget), its current delay moves
// towards a new target by at most 100 ms a second (no jump, no freeze), and
// min > max is invalid. Min 0 with max > 0 switches Chrome to its
// low-latency renderer, and max 0 turns smoothing off: neither is sent.
// "None" is min 10 ms (below the 10 ms render delay every target already
// includes) and max is always Chrome's default maximum (10 s), so only the
// floor changes.

// PlayoutDelayURI is the playout-delay header extension.
const PlayoutDelayURI = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay"

const (
	// playoutFrame is a frame's worth at 30 fps: a frame's lost last
	// packet is noticed when the next frame starts.
	playoutFrame = 34 * time.Millisecond
	// playoutRepairs is how many repair delays the delay covers: the
	// repair, one more when its ask or the repair was lost (asked again a
	// repair delay after the first ask), and one for the spread of repair
	// delays (the measure is an average: Chromium's 90th percentile is 1.4×
	// its median) and the receiver's decode and render time, which its
	// target includes. Measured in Chromium at 10 % loss: 2 left B at
	// 25.8–29.4 fps (8 runs), 3 at 29.1–30.2 (7; docs/impaired-links.md).
	playoutRepairs = 3
	// playoutNone is the min delay that asks for nothing more than the
	// receiver chooses anyway.
	playoutNone = 10 * time.Millisecond
	// playoutMax is the max delay sent: Chrome's default maximum.
	playoutMax = 10 * time.Second
	// playoutNoneFor is how long playoutNone is sent once the uplink is
	// clean, before packets carry the extension no more.
	playoutNoneFor = 2 * time.Second
	// playoutUnit is the extension's granularity.
	playoutUnit = 10 * time.Millisecond
)

// playoutStamp is a downtrack's playout-delay state (worker-owned).
type playoutStamp struct {
	on      bool          // packets carry the extension
	min     time.Duration // the min delay they ask for
	noneAt  int64         // when it became playoutNone (0: it is not)
	payload [3]byte
}

// PlayoutDelayFor is the min delay asked of viewers of a publisher whose
// repairs take repair: playoutRepairs of them and a frame, rounded up to
// the extension's 10 ms, within limit.
func PlayoutDelayFor(repair, limit time.Duration) time.Duration {
	d := (playoutRepairs*repair + playoutFrame + playoutUnit - 1) / playoutUnit * playoutUnit
	return min(d, limit)
}

// updatePlayout sets the delay the packets of ring ask for (on forward,
// per media packet: two atomic loads).
func (d *Downtrack) updatePlayout(b *Binding, ring *media.SourceRing, now int64) {
	limit := d.t.w.s.cfg.MaxPlayoutDelay
	p := &d.playout
	if b.PlayoutExtID == 0 || limit <= 0 || ring == nil {
		p.on = false
		return
	}
	want := time.Duration(0)
	if r := ring.RepairDelay(now); r > 0 {
		want = max(PlayoutDelayFor(r, limit), playoutNone)
	}
	switch {
	case want > 0:
		p.set(want)
		p.noneAt = 0
	case !p.on:
	case p.noneAt == 0:
		p.set(playoutNone)
		p.noneAt = now
	case now-p.noneAt >= int64(playoutNoneFor):
		p.on, p.noneAt = false, 0
	}
}

// set makes the packets ask for min.
func (p *playoutStamp) set(m time.Duration) {
	p.on = true
	if m == p.min {
		return
	}
	p.min = m
	lo, hi := uint32(m/playoutUnit), uint32(playoutMax/playoutUnit)
	p.payload[0], p.payload[1], p.payload[2] = byte(lo>>4), byte(lo<<4|hi>>8), byte(hi)
}

// stampPlayout adds the playout-delay extension to hdr while the track
// asks for a delay (after stampTWCC: it appends within the storage
// stampTWCC uses, allocating nothing).
func (d *Downtrack) stampPlayout(b *Binding, hdr *rtp.Header) {
	if !d.playout.on || b.PlayoutExtID == 0 {
		return
	}
	if !hdr.Extension {
		hdr.ExtensionProfile, hdr.Extensions = 0, d.cc.ext[:0]
	}
	_ = hdr.SetExtension(b.PlayoutExtID, d.playout.payload[:])
}

// PlayoutDelay reports the min delay the track's packets ask for (0: they
// carry no playout-delay extension). On the worker, or in tests once it
// is idle.
func (d *Downtrack) PlayoutDelay() time.Duration {
	if !d.playout.on {
		return 0
	}
	return d.playout.min
}

// PlayoutExtID is the id of the playout-delay extension the track's
// receiver negotiated (0: none, or not bound).
func (d *Downtrack) PlayoutExtID() uint8 {
	if b := d.bind.Load(); b != nil {
		return b.PlayoutExtID
	}
	return 0
}
