package transcode

import (
	"context"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
)

// bitrateInterval is how often video encoders follow their receivers.
const bitrateInterval = time.Second

// run is the transcoder's control loop: it sends keyframe requests and
// bitrate changes (requests wait for the worker's answer, so never on a
// media path), reports a failed worker element, and closes it at Release.
func (t *Transcoder) run() {
	defer close(t.done)
	tick := t.core.Pipeline().Clock().NewTicker(bitrateInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.ctx.Done():
			_ = t.w.Close()
			return
		case <-t.wake:
		case <-tick.C():
			t.followEstimates()
		}
		if err := t.w.Err(); err != nil {
			t.fail(err)
		}
		t.sendKeyframes()
	}
}

func (t *Transcoder) sendKeyframes() {
	now := t.core.Pipeline().Now()
	for _, o := range *t.byIndex.Load() {
		if !o.stream.TakeKeyframe(now) {
			continue
		}
		ctx, cancel := context.WithTimeout(t.ctx, requestTimeout)
		if err := t.w.RequestKeyframe(ctx, o.index); err != nil && t.ctx.Err() == nil {
			t.f.logger().Debug("transcoder: keyframe request", "key", t.f.Key, "err", err)
		}
		cancel()
	}
}

// followEstimates sets each video encoder's target to the lowest estimate
// of the receivers behind its output, within the source element's bounds
// (its target while no estimate is known); changes under 5 % are skipped.
func (t *Transcoder) followEstimates() {
	if t.from.Kind() != media.Video {
		return
	}
	b := t.f.bitrates(t.src)
	for _, o := range *t.byIndex.Load() {
		target := b.Target
		if est := o.stream.Pad().DownstreamBitrate(); est > 0 {
			target = int(min(est, 1<<31-1))
		}
		target = clamp(target, b)
		if o.bitrate != 0 && abs(target-o.bitrate)*20 < o.bitrate {
			continue
		}
		ctx, cancel := context.WithTimeout(t.ctx, requestTimeout)
		if err := t.w.SetBitrate(ctx, o.index, procelemBitrate(target, b)); err == nil {
			o.bitrate = target
		}
		cancel()
	}
}

func clamp(target int, b procelem.Bitrates) int { return b.Clamp(target) }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func procelemBitrate(target int, b procelem.Bitrates) process.Bitrate {
	return process.Bitrate{Target: target, Min: b.Min, Max: b.Max}
}
