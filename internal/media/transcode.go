package media

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Automatic transcoding.
//
// A sink may not be able to take the codec of the source it is connected
// to: a WebRtcEndpoint whose peer decodes only H.264 connected to one that
// receives VP8. The graph core learns codecs from two optional handler
// interfaces — CodecSource (what a source pad emits) and CodecSink (what
// a sink pad takes) — and from the format forced with Core.SetFormat. When
// both sides are known and do not match, the pipeline puts a Transcoder
// (made by its TranscoderFactory) between them: one per source pad, fed
// once, with one output per distinct target format, shared by every sink
// that needs that format. Sinks that take the source's codec keep being
// fed directly: the zero-copy path is untouched.
//
// Connections stay what the application made: a sink's Source is the pad
// it was connected to, whatever feeds it (SinkPad.Feed). Keyframe requests
// follow the feed (a transcoded sink asks the encoder), and a sink is told
// with SourceChanged when its feed changes. Forwarding elements (Forwards)
// emit the codec that reaches them, so a change of their input codec
// re-plans their outputs.

// CodecSource is implemented by handlers that know the codec of what a
// source pad emits. It is called with the graph locked: it must not block
// nor take locks held while calling into the graph (use atomics).
type CodecSource interface {
	// SourceCodec returns the codec pad p emits, nil while unknown.
	SourceCodec(p *SourcePad) *Codec
}

// CodecSink is implemented by handlers whose sink pads take only some
// codecs (an endpoint sends only what its peer negotiated). Same rules as
// CodecSource.
type CodecSink interface {
	// SinkCodecs returns the codecs pad p takes, best first; nil: any;
	// empty: none (an endpoint whose peer receives nothing of that kind).
	SinkCodecs(p *SinkPad) []*Codec
}

// CodecRelay is implemented by elements whose source pads emit the codec
// reaching a sink pad without being forwarding elements (a hub port emits
// another port's input): after a sink pad's plan, the pipeline re-plans
// the pads it returns. It is called with no lock held.
type CodecRelay interface {
	// RelayedPads returns the source pads whose codec follows p's input.
	RelayedPads(p *SinkPad) []*SourcePad
}

// Format is a media format: the input format forced on an element
// (Core.SetFormat, KMS's setVideoFormat/setAudioFormat), or the output of
// a transcoder.
type Format struct {
	Codec *Codec // nil: raw (no codec is forced)
	// FramerateNum/FramerateDen is the video frame rate of a transcoded
	// stream (0: the source's).
	FramerateNum, FramerateDen int
	// Bitrate is the target of a transcoded audio stream, bps (0: the encoder's default).
	Bitrate int
}

// same reports whether two formats make the same encoded stream.
func (f Format) same(o Format) bool {
	return f.Codec != nil && f.Codec.Same(o.Codec) &&
		f.FramerateNum*max(o.FramerateDen, 1) == o.FramerateNum*max(f.FramerateDen, 1) && f.Bitrate == o.Bitrate
}

// Transcoder converts the media of one source pad into other formats. It
// is an element of the pipeline that no application sees.
type Transcoder interface {
	Element
	// Input is the sink pad the source pad's packets reach.
	Input() *SinkPad
	// Output returns the source pad emitting format f, starting an encoder
	// when no output emits it yet.
	Output(f Format) (*SourcePad, error)
	// RemoveOutput stops the encoder behind pad: no sink takes it any more.
	RemoveOutput(pad *SourcePad)
}

// TranscoderFactory makes a pipeline's transcoders (WithTranscoders).
type TranscoderFactory interface {
	// CanTranscode reports whether a transcoder can turn from into to.
	CanTranscode(from, to *Codec) bool
	// NewTranscoder creates the transcoder of src, whose codec is from.
	NewTranscoder(p *Pipeline, src *SourcePad, from *Codec) (Transcoder, error)
}

// WithTranscoders lets the pipeline transcode with f. Without it, a sink
// that cannot take its source's codec gets nothing and the source element
// reports an ErrorEvent wrapping ErrNoTranscoder.
func WithTranscoders(f TranscoderFactory) PipelineOption {
	return func(p *Pipeline) { p.transcoders = f }
}

// ErrNoTranscoder reports that a sink cannot take its source's codec and no
// transcoder can convert it.
var ErrNoTranscoder = errors.New("media: no transcoder for this codec pair")

// MediaTranscodingStateChanged reports that media leaving a source pad
// started (Transcoding) or stopped being transcoded for some of its sinks.
// The first plan of a pad that needs no transcoding reports false too, as
// KMS does. BinName is the pad's media description.
type MediaTranscodingStateChanged struct {
	MediaType   MediaType
	Transcoding bool
	BinName     string
}

// MediaEvent implements Event.
func (MediaTranscodingStateChanged) MediaEvent() {}

type transcodeState uint8

const (
	stateUnknown transcodeState = iota
	stateDirect
	stateTranscoding
)

// transcoding is the transcoder of one source pad. Guarded by graphMu.
type transcoding struct {
	t       Transcoder
	from    *Codec
	outputs []*tcOutput
}

type tcOutput struct {
	format Format
	pad    *SourcePad
}

func (tc *transcoding) output(f Format) *tcOutput {
	if tc == nil {
		return nil
	}
	for _, o := range tc.outputs {
		if o.format.same(f) {
			return o
		}
	}
	return nil
}

// SetFormat forces the format the element takes on its sink pads of mt
// (nil: none forced). Sinks then take only that codec, transcoded when
// their source emits another.
func (c *Core) SetFormat(mt MediaType, f *Format) {
	if mt >= numMediaTypes {
		return
	}
	c.formats[mt].Store(f)
	c.CodecsChanged()
}

// Format returns the format forced on mt, nil if none.
func (c *Core) Format(mt MediaType) *Format {
	if mt >= numMediaTypes {
		return nil
	}
	return c.formats[mt].Load()
}

// IsTranscoding reports whether media leaving the source pad (mt, desc)
// is being transcoded for some of its sinks.
func (c *Core) IsTranscoding(mt MediaType, desc string) bool {
	c.pipeline.graphMu.Lock()
	defer c.pipeline.graphMu.Unlock()
	p := c.sources[padKey{mt, desc}]
	return p != nil && p.state == stateTranscoding
}

// CodecsChanged tells the pipeline that what the element's pads emit or
// take changed (an endpoint negotiated): connections are re-planned.
// Call it with no lock held.
func (c *Core) CodecsChanged() {
	p := c.pipeline
	p.graphMu.Lock()
	var pads []*SourcePad
	for _, src := range c.sources {
		pads = append(pads, src)
	}
	for _, sink := range c.sinks {
		if src := sink.source.Load(); src != nil {
			pads = append(pads, src)
		}
	}
	p.graphMu.Unlock()
	p.plan(pads...)
}

// Codec returns the codec of what reaches p (nil: unknown or nothing).
// Like sourceCodec it takes no lock.
func (p *SinkPad) Codec() *Codec { return sourceCodec(p.feed.Load()) }

// sourceCodec is the codec src emits: its handler's word, or for a
// forwarding element the codec reaching its sink pad of the same type. It
// reads atomics only (handlers answer without locks).
func sourceCodec(src *SourcePad) *Codec {
	for depth := 0; src != nil && depth < 16; depth++ {
		if cs, ok := src.owner.handler.(CodecSource); ok {
			if c := cs.SourceCodec(src); c != nil {
				return c
			}
		}
		if !src.owner.handler.Forwards() {
			return nil
		}
		src = src.owner.defaultSinks[src.mediaType].feed.Load()
	}
	return nil
}

// sinkFormatsLocked lists the formats s takes, best first; nil: any.
func sinkFormatsLocked(s *SinkPad) []Format {
	var codecs []*Codec
	if cs, ok := s.owner.handler.(CodecSink); ok {
		codecs = cs.SinkCodecs(s)
	}
	forced := s.owner.formats[s.mediaType].Load()
	if forced != nil && forced.Codec != nil {
		ok := codecs == nil
		for _, c := range codecs {
			ok = ok || forced.Codec.Matches(c)
		}
		if ok {
			return []Format{*forced}
		}
	}
	if codecs == nil {
		return nil
	}
	out := make([]Format, len(codecs))
	for i, c := range codecs {
		out[i] = Format{Codec: c}
		if forced != nil { // a raw forced format keeps its rates
			out[i].FramerateNum, out[i].FramerateDen, out[i].Bitrate = forced.FramerateNum, forced.FramerateDen, forced.Bitrate
		}
	}
	return out
}

// routeLocked decides how sink s takes src's media: directly, or
// transcoded to the returned format.
func routeLocked(src *SourcePad, s *SinkPad) (Format, bool) {
	from := sourceCodec(src)
	formats := sinkFormatsLocked(s)
	if from == nil || len(formats) == 0 || src.mediaType == Data {
		return Format{}, true // unknown, any codec, or a sink that takes nothing (it drops what comes)
	}
	for _, f := range formats {
		if from.Matches(f.Codec) {
			return Format{}, true
		}
	}
	tf := src.owner.pipeline.transcoders
	for _, f := range formats {
		if tf != nil && tf.CanTranscode(from, f.Codec) {
			return f, false
		}
	}
	return Format{}, false
}

// plan re-plans how the sinks linked to each pad are fed, then the
// outputs of forwarding elements whose input feed changed. Plans of a
// pipeline run one at a time (planMu); transcoders are made and their
// encoders started outside the graph lock.
func (p *Pipeline) plan(pads ...*SourcePad) {
	queue := append([]*SourcePad(nil), pads...)
	seen := map[*SourcePad]int{}
	for len(queue) > 0 {
		src := queue[0]
		queue = queue[1:]
		if seen[src]++; seen[src] > 3 {
			continue // a forwarding cycle; Connect refuses those, be safe anyway
		}
		queue = append(queue, p.planPad(src)...)
	}
}

// planPad plans one pad and returns the source pads of forwarding
// elements downstream whose input changed.
func (p *Pipeline) planPad(src *SourcePad) []*SourcePad {
	p.planMu.Lock()
	var changed []*SinkPad
	var stale []func()
	var failure error
	for attempt := 0; attempt < 4; attempt++ {
		need, from, released, err := p.needs(src)
		if err != nil {
			failure = err
		}
		tc, made, failed, err := p.prepare(src, need, from, released)
		if err != nil {
			failure = err
		}
		ch, st, done := p.apply(src, tc, made, failed)
		stale = append(stale, st...)
		for _, s := range ch {
			if !slices.Contains(changed, s) {
				changed = append(changed, s)
			}
		}
		if done {
			break
		}
	}
	p.planMu.Unlock()
	for _, f := range stale {
		f()
	}
	if failure != nil {
		src.owner.Emit(ErrorEvent{Err: failure})
	}
	src.owner.Deliver()
	for _, s := range changed {
		s.owner.handler.SourceChanged(s)
	}
	// What reaches the sinks may have another codec now (a new feed, or the
	// source's codec changed): outputs that carry it are planned next.
	p.graphMu.Lock()
	linked := append([]*SinkPad(nil), src.linked...)
	var next []*SourcePad
	for _, s := range linked {
		if s.owner.handler.Forwards() {
			for k, out := range s.owner.sources {
				if k.mediaType == s.mediaType {
					next = append(next, out)
				}
			}
		}
	}
	p.graphMu.Unlock()
	for _, s := range linked {
		if r, ok := s.owner.handler.(CodecRelay); ok {
			next = append(next, r.RelayedPads(s)...)
		}
	}
	return next
}

// needs lists the formats src's sinks need transcoded to, and src's codec;
// err names a sink no transcoder can feed.
func (p *Pipeline) needs(src *SourcePad) (need []Format, from *Codec, released bool, err error) {
	p.graphMu.Lock()
	defer p.graphMu.Unlock()
	if src.owner.released || p.released {
		return nil, nil, true, nil
	}
	from = sourceCodec(src)
	for _, s := range src.linked {
		f, direct := routeLocked(src, s)
		switch {
		case direct:
		case f.Codec == nil:
			err = fmt.Errorf("%s to a sink that takes %s: %w", from.MimeType, codecNames(sinkFormatsLocked(s)), ErrNoTranscoder)
		default:
			need = append(need, f)
		}
	}
	return need, from, false, err
}

func codecNames(fs []Format) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Codec.MimeType
	}
	return strings.Join(names, ", ")
}

// prepare makes sure a transcoder of src with outputs for every needed
// format exists, outside the graph lock. It returns the transcoder to use
// (nil: none), whether it was made now, and the formats it cannot make.
func (p *Pipeline) prepare(src *SourcePad, need []Format, from *Codec, released bool) (tc *transcoding, made bool, failed []Format, err error) {
	if released || len(need) == 0 {
		return nil, false, nil, nil
	}
	p.graphMu.Lock()
	tc = src.tc
	if tc != nil && !tc.from.Same(from) {
		tc = nil // the source's codec changed: a new transcoder replaces it
	}
	var missing []Format
	for _, f := range need {
		if tc.output(f) == nil && !containsFormat(missing, f) {
			missing = append(missing, f)
		}
	}
	p.graphMu.Unlock()
	if tc == nil {
		if p.transcoders == nil {
			return nil, false, need, fmt.Errorf("transcoding %s to %s: %w", from.MimeType, need[0].Codec.MimeType, ErrNoTranscoder)
		}
		t, terr := p.transcoders.NewTranscoder(p, src, from)
		if terr != nil {
			return nil, false, need, fmt.Errorf("transcoding %s to %s: %w", from.MimeType, need[0].Codec.MimeType, terr)
		}
		tc, made = &transcoding{t: t, from: from}, true
	}
	for _, f := range missing {
		pad, oerr := tc.t.Output(f)
		if oerr != nil {
			failed = append(failed, f)
			if err == nil {
				err = fmt.Errorf("transcoding %s to %s: %w", from.MimeType, f.Codec.MimeType, oerr)
			}
			continue
		}
		tc.outputs = append(tc.outputs, &tcOutput{format: f, pad: pad})
	}
	return tc, made, failed, err
}

func containsFormat(list []Format, f Format) bool {
	for _, x := range list {
		if x.same(f) {
			return true
		}
	}
	return false
}

// apply feeds each sink linked to src from src or from tc, under the graph
// lock. It returns the sinks whose feed changed, what to release after the
// lock, and false when the graph changed since needs (plan again).
func (p *Pipeline) apply(src *SourcePad, tc *transcoding, made bool, failed []Format) (changed []*SinkPad, stale []func(), done bool) {
	p.graphMu.Lock()
	defer p.graphMu.Unlock()
	if src.owner.released || p.released {
		if made {
			stale = append(stale, tc.t.Release)
		}
		return nil, stale, true
	}
	if tc != nil && src.tc != nil && src.tc != tc {
		old := src.tc // replaced: its sinks move to the new one below
		stale = append(stale, old.t.Release)
		src.tc = nil
	}
	if tc != nil {
		src.tc = tc
	}
	cur := src.tc
	used := map[*tcOutput]bool{}
	done = true
	transcoded := false
	for _, s := range src.linked {
		f, direct := routeLocked(src, s)
		var feed *SourcePad
		switch {
		case direct:
			feed = src
		case f.Codec == nil || containsFormat(failed, f):
			feed = nil // nothing can convert it; the failure is reported
		default:
			o := cur.output(f)
			if o == nil {
				done = false // a format appeared since needs
				continue
			}
			used[o] = true
			feed = o.pad
			transcoded = true
		}
		if s.setFeedLocked(feed) {
			changed = append(changed, s)
		}
	}
	if cur != nil {
		var keep []*tcOutput
		for _, o := range cur.outputs {
			if used[o] {
				keep = append(keep, o)
				continue
			}
			t, pad := cur.t, o.pad
			stale = append(stale, func() { t.RemoveOutput(pad) })
		}
		cur.outputs = keep
		in := cur.t.Input()
		if len(keep) == 0 {
			in.setFeedLocked(nil)
			stale = append(stale, cur.t.Release)
			src.tc = nil
		} else {
			in.setFeedLocked(src)
		}
	}
	if len(src.linked) > 0 || src.state != stateUnknown {
		p.reportLocked(src, transcoded)
	}
	return changed, stale, done
}

// reportLocked posts MediaTranscodingStateChanged on src's element when
// its state changes (delivered by planPad after the locks).
func (p *Pipeline) reportLocked(src *SourcePad, transcoded bool) {
	if sourceCodec(src) == nil && !transcoded {
		return // nothing known yet: KMS reports once media is negotiated
	}
	next := stateDirect
	if transcoded {
		next = stateTranscoding
	}
	if next == src.state {
		return
	}
	src.state = next
	src.owner.Post(MediaTranscodingStateChanged{MediaType: src.mediaType, Transcoding: transcoded, BinName: src.desc})
}
