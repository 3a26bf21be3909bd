package recorder

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pion/rtp"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	"github.com/gorento/gorento/internal/media/frames"
	"github.com/gorento/gorento/internal/media/workerleg"
)

// track is one track of the file (audio or video) and the leg feeding it:
// packets already in the file's codec are depacketised directly; others go
// through a transcoder whose output is depacketised. Guarded by the
// recorder's mu.
type track struct {
	r     *Recorder
	kind  media.MediaType
	index int          // in the muxer (-1 until the file starts)
	codec frames.Codec // in the file
	decl  container.Track

	in       *media.Codec // codec of the packets the current leg takes
	inCodec  frames.Codec // the same as a frames codec (CodecUnknown if none)
	direct   *feed
	tc       workerleg.Transcoder
	tcFeed   *feed
	leg      uint64       // counts transcoders: callbacks of an old one are ignored
	waiting  bool         // Recording waits for this track's transcoder
	refused  *media.Codec // input that could not be converted (reported once)
	pkt      rtp.Packet   // scratch packet handed to depacketizers
	emitFunc func(frames.Frame, time.Duration)
}

func newTrack(r *Recorder, kind media.MediaType, index int, codec frames.Codec) *track {
	t := &track{r: r, kind: kind, index: index, codec: codec}
	t.emitFunc = t.emit
	return t
}

// consume takes one packet that arrived at now.
func (t *track) consume(pkt *media.Packet, now time.Duration) {
	if pkt.Codec != t.in && pkt.Codec != t.refused {
		t.switchInput(pkt.Codec)
	}
	t.pkt.Header, t.pkt.Payload = pkt.Header, pkt.Payload
	switch {
	case t.direct != nil:
		t.direct.push(&t.pkt, now, t.emitFunc)
	case t.tc != nil:
		// A full or starting back end drops: its decoder asks for a keyframe.
		_ = t.tc.WriteRTP(&t.pkt, now)
	}
}

// switchInput sets up the leg for packets of codec c.
func (t *track) switchInput(c *media.Codec) {
	fc, _ := frames.CodecFromMime(c.MimeType)
	if (fc == t.codec && t.direct != nil && fc == t.inCodec) || (t.tc != nil && t.in.Matches(c)) {
		t.in = c // the same codec (another source, or what was negotiated): the leg goes on
		return
	}
	t.closeLeg()
	if fc == t.codec {
		dp, err := newDepacketizer(fc, c, t.requestKeyframe)
		if err == nil {
			t.in, t.inCodec, t.direct = c, fc, newFeed(dp)
			return
		}
		t.r.reportLocked(fmt.Errorf("%w: %v", ErrTranscode, err))
		t.refused = c
		return
	}
	if err := t.startTranscoder(c); err != nil {
		t.r.reportLocked(err)
		t.refused = c
		return
	}
	t.in, t.inCodec = c, fc
}

func (t *track) startTranscoder(c *media.Codec) error {
	factory := t.r.opts.Transcoders
	if factory == nil {
		return fmt.Errorf("%w: %s into %v needs the processing back end, which is not available", ErrTranscode, c.MimeType, t.codec)
	}
	t.leg++
	tc, err := factory(c, workerleg.Output{Codec: t.codec}, workerleg.Handler{
		OnRTP:        t.r.onTranscoded(t.kind, t.leg),
		OnError:      t.r.onTranscoderError(t.kind, t.leg),
		Ready:        t.r.onTranscoderReady(t.kind, t.leg),
		NeedKeyframe: t.requestKeyframe,
	})
	if err != nil {
		return fmt.Errorf("%w: %s into %v: %v", ErrTranscode, c.MimeType, t.codec, err)
	}
	out := tc.Output()
	var opts []frames.Option
	if out.ClockRate != 0 {
		opts = append(opts, frames.WithClockRate(out.ClockRate))
	}
	if out.Codec == frames.AAC {
		opts = append(opts, frames.WithAAC(out.AAC))
	}
	dp, err := frames.NewDepacketizer(out.Codec, opts...)
	if err != nil {
		tc.Close()
		return fmt.Errorf("%w: %v", ErrTranscode, err)
	}
	t.tc, t.tcFeed = tc, newFeed(dp)
	if t.kind == media.Video {
		tc.RequestKeyframe()
	}
	return nil
}

// transcoded takes one packet of the transcoder's output made from input
// that arrived at at: the feed places it by its input's arrival, not by
// when the worker returned it.
func (t *track) transcoded(pkt *rtp.Packet, at time.Duration) {
	if t.tcFeed != nil {
		t.tcFeed.push(pkt, at, t.emitFunc)
	}
}

// closeLeg ends the current leg; a transcoder is handed back to be closed
// outside the recorder's lock.
func (t *track) closeLeg() {
	if t.direct != nil {
		t.direct.flush(t.emitFunc)
	}
	if t.tc != nil {
		t.r.retireLocked(t.tc)
	}
	t.direct, t.tc, t.tcFeed, t.in, t.inCodec = nil, nil, nil, nil, frames.CodecUnknown
}

// flush writes what the legs still hold (stop).
func (t *track) flush() {
	if t.direct != nil {
		t.direct.flush(t.emitFunc)
	}
	if t.tcFeed != nil {
		t.tcFeed.flush(t.emitFunc)
	}
}

func (t *track) emit(f frames.Frame, pts time.Duration) {
	t.r.writeLocked(t.kind, container.Sample{Track: t.index, PTS: pts, Keyframe: f.Keyframe, Data: f.Data})
}

func (t *track) requestKeyframe() {
	if t.kind == media.Video {
		t.r.core.Sink(media.Video).RequestKeyframe()
	}
}

// newDepacketizer makes the depacketizer of packets in codec fc, with what
// the SDP's fmtp says (H.264 parameter sets, AAC parameters).
func newDepacketizer(fc frames.Codec, c *media.Codec, keyframe func()) (*frames.Depacketizer, error) {
	opts := []frames.Option{frames.WithKeyframeRequest(keyframe)}
	if c.ClockRate != 0 && c.ClockRate != fc.ClockRate() {
		opts = append(opts, frames.WithClockRate(c.ClockRate))
	}
	params := fmtpParams(c.Fmtp)
	switch fc {
	case frames.H264:
		if sps, pps, ok := spropParameterSets(params["sprop-parameter-sets"]); ok {
			opts = append(opts, frames.WithH264ParameterSets(sps, pps))
		}
	case frames.AAC:
		cfg := frames.AACConfig{SampleRate: c.ClockRate}
		cfg.SizeLength, _ = strconv.Atoi(params["sizelength"])
		cfg.IndexLength, _ = strconv.Atoi(params["indexlength"])
		cfg.IndexDeltaLength, _ = strconv.Atoi(params["indexdeltalength"])
		opts = append(opts, frames.WithAAC(cfg))
	}
	return frames.NewDepacketizer(fc, opts...)
}

// fmtpParams parses "a=b;c=d" with lower-cased keys.
func fmtpParams(fmtp string) map[string]string {
	out := map[string]string{}
	for _, kv := range strings.Split(fmtp, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if k != "" {
			out[strings.ToLower(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func spropParameterSets(v string) (sps, pps []byte, ok bool) {
	for _, part := range strings.Split(v, ",") {
		nal, err := base64.StdEncoding.DecodeString(strings.TrimSpace(part))
		if err != nil || len(nal) == 0 {
			continue
		}
		switch nal[0] & 0x1f {
		case 7:
			sps = nal
		case 8:
			pps = nal
		}
	}
	return sps, pps, sps != nil && pps != nil
}

// aacTrack fills an AAC track's parameters from an fmtp "config" (the
// AudioSpecificConfig in hex), else from the clock rate.
func aacTrack(tr *container.Track, c *media.Codec) {
	if cfg, err := hex.DecodeString(fmtpParams(c.Fmtp)["config"]); err == nil && len(cfg) >= 2 {
		tr.CodecConfig = cfg
		return
	}
	tr.SampleRate, tr.Channels = int(c.ClockRate), max(int(c.Channels), 1)
}
