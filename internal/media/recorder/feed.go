package recorder

import (
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media/frames"
)

// feed turns one RTP stream into timed frames: a depacketizer, and a clock
// that places RTP time on the recording's shared clock (the pipeline's).
//
// The clock is anchored at arrival: the first packet's timestamp is given
// its arrival time, and a later packet that arrives earlier than its
// timestamp predicts moves the anchor back to it (the first packet may have
// been delayed; the earliest arrival is the best estimate of when it was
// sent). Audio and video of one sender are anchored alike, which keeps them
// within a few milliseconds of each other. Loss leaves a gap on the
// timeline (RTP time goes on); a new SSRC (another source connected)
// starts a new anchor at its arrival, so time keeps running across the
// switch.
type feed struct {
	dp     *frames.Depacketizer
	clock  *frames.Clock
	unwrap frames.TimestampUnwrapper
	ssrc   uint32
	begun  bool
	frames uint64
}

func newFeed(dp *frames.Depacketizer) *feed {
	return &feed{dp: dp, clock: frames.NewClock(dp.ClockRate())}
}

// push adds a packet that arrived at now and hands out the frames it
// completes with their time.
func (f *feed) push(pkt *rtp.Packet, now time.Duration, emit func(frames.Frame, time.Duration)) {
	if f.begun && pkt.SSRC != f.ssrc {
		// Frames of the old source keep their old anchor.
		f.dp.Flush()
		f.drain(emit)
		f.begun = false
	}
	if !f.begun {
		f.begun, f.ssrc = true, pkt.SSRC
		f.unwrap.Reset()
		f.clock.Anchor(f.unwrap.Unwrap(pkt.Timestamp), now)
	} else if ext := f.unwrap.Unwrap(pkt.Timestamp); now < f.clock.Time(ext) {
		f.clock.Anchor(ext, now)
	}
	f.dp.Push(pkt)
	f.drain(emit)
}

// flush hands out what the depacketizer still holds (end of recording).
func (f *feed) flush(emit func(frames.Frame, time.Duration)) {
	f.dp.Flush()
	f.drain(emit)
}

func (f *feed) drain(emit func(frames.Frame, time.Duration)) {
	for {
		fr, ok := f.dp.Pop()
		if !ok {
			return
		}
		f.frames++
		emit(fr, f.clock.Time(fr.Timestamp))
	}
}
