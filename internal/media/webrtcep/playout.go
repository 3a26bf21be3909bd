package webrtcep

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/gorento/gorento/internal/media"
)

// The publisher's side of the minimum playout delay (egress/playout.go):
// once a second the endpoint looks at the repairs of the video it
// receives (nackgen), and while they come at least minRepairsPerSecond a
// second it notes on the history of every layer it receives that its
// uplink needs repairs, and how long they take, for playoutHold. Viewers'
// egress reads that with each packet and asks their jitter buffers to wait
// for the repairs. All layers are marked alike: they share the uplink,
// and a viewer moving to a layer nobody watched (whose losses were not
// asked for, so not timed) must not lose the delay at the switch.

const (
	// minRepairsPerSecond is how many repairs a second make an uplink one
	// that needs them: a stray loss on a clean link adds no delay.
	minRepairsPerSecond = 2
	// playoutHold is how long an uplink counts as needing repairs after
	// the last second that had them: random loss of a few % leaves seconds
	// with fewer, which must not drop the delay and raise it again.
	playoutHold = 5 * time.Second
)

// noteRepairs marks the histories of the received video streams (in st)
// when they saw repairs since the last call (the receive feedback's report
// tick, on the rxTicker's goroutine, which alone touches rxStream.repaired
// and st). A change either way is logged.
func (w *Endpoint) noteRepairs(st *rxFeedbackState, now int64) {
	var repaired uint64
	var delay time.Duration
	streams := st.streams
	for _, s := range streams {
		if s.nack == nil {
			continue
		}
		n, d := s.nack.Repairs()
		if n > s.repaired {
			repaired += n - s.repaired
			delay = max(delay, d)
		}
		s.repaired = n
	}
	if repaired < minRepairsPerSecond || w.opts.SendOnly {
		if st.repairsUntil != 0 && now >= st.repairsUntil {
			st.repairsUntil = 0
			w.log.Info("publisher's uplink clean: its viewers' playout delay ends")
		}
		return
	}
	if st.repairsUntil == 0 {
		w.log.Info("publisher's uplink needs repairs: its viewers get a playout delay", "repairs", repaired, "repairDelay", delay)
	}
	st.repairsUntil = now + int64(playoutHold)
	src := w.core.Source(media.Video)
	for _, s := range streams {
		if s.kind != media.Video {
			continue
		}
		var layer uint8
		if s.tag != nil {
			layer = s.tag.layer
		}
		src.HistoryOf(layer).NoteRepairs(delay, st.repairsUntil)
	}
}

// oneByteExtID is the id a header extension was negotiated with, when it
// fits the one-byte header the egress writes (0: none).
func oneByteExtID(exts []webrtc.RTPHeaderExtensionParameter, uri string) uint8 {
	for _, e := range exts {
		if e.URI == uri && e.ID > 0 && e.ID < 15 {
			return uint8(e.ID)
		}
	}
	return 0
}
