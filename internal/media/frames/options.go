package frames

import (
	"fmt"
	"time"
)

// Option configures a Depacketizer.
type Option func(*options) error

type options struct {
	window     int
	maxDelay   time.Duration
	clockRate  uint32
	onKeyframe func()
	h264SPS    []byte
	h264PPS    []byte
	aac        AACConfig
}

func defaultOptions() options {
	return options{window: 512, maxDelay: 500 * time.Millisecond}
}

// WithReorderWindow sets how many packets the reorder buffer holds (rounded
// up to a power of two, 16…32768; default 512). A hole is given up when the
// newest packet is half a window past it.
func WithReorderWindow(packets int) Option {
	return func(o *options) error {
		if packets < 16 || packets > 32768 {
			return fmt.Errorf("%w: reorder window %d packets (16…32768)", ErrBadParams, packets)
		}
		o.window = packets
		return nil
	}
}

// WithMaxDelay sets how long, in media time, a missing packet is waited for
// (a retransmission may fill it) before the frames it belongs to are given
// up (default 500 ms).
func WithMaxDelay(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 || d > time.Minute {
			return fmt.Errorf("%w: max delay %v", ErrBadParams, d)
		}
		o.maxDelay = d
		return nil
	}
}

// WithClockRate sets the RTP clock rate when it is not the codec's usual
// one (required for AAC, where it is the sample rate).
func WithClockRate(hz uint32) Option {
	return func(o *options) error {
		if hz == 0 {
			return fmt.Errorf("%w: clock rate 0", ErrBadParams)
		}
		o.clockRate = hz
		return nil
	}
}

// WithKeyframeRequest sets fn, called (synchronously, from Push) when video
// frames are being dropped for want of a keyframe: once when it starts and
// again every second of media time while it lasts. fn must not block nor
// call the Depacketizer; a recorder sends a PLI from it.
func WithKeyframeRequest(fn func()) Option {
	return func(o *options) error { o.onKeyframe = fn; return nil }
}

// WithH264ParameterSets gives the SPS and PPS known out of band (the SDP's
// sprop-parameter-sets), used until the stream carries its own.
func WithH264ParameterSets(sps, pps []byte) Option {
	return func(o *options) error {
		if len(sps) == 0 || len(pps) == 0 || sps[0]&0x1f != nalSPS || pps[0]&0x1f != nalPPS {
			return fmt.Errorf("%w: H.264 parameter sets", ErrBadParams)
		}
		o.h264SPS, o.h264PPS = append([]byte(nil), sps...), append([]byte(nil), pps...)
		return nil
	}
}

// WithAAC describes an RFC 3640 AAC stream (required for AAC).
func WithAAC(cfg AACConfig) Option {
	return func(o *options) error {
		o.aac = cfg
		if o.clockRate == 0 {
			o.clockRate = cfg.SampleRate
		}
		return nil
	}
}
