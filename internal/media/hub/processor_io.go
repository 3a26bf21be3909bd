package hub

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
)

// portMix is a port's side of its hub's processor.
type portMix struct {
	out   [2]*procelem.StreamOut         // its source pads (audio, video)
	codec [2]atomic.Pointer[media.Codec] // what leaves them (SourceCodec)
	in    [2]mixInput                    // what its sink pads feed

	// Control loop only.
	output [2]*mixOutput
	// Mixer: the ports whose audio this port hears; guarded by processor.mu.
	hears []int
}

// mixInput is the worker input fed by one sink pad of a port.
type mixInput struct {
	mu sync.Mutex // guards the fields below; held by Consume, briefly unless the input is (re)made
	procelem.StreamIn
	index int // -1: none
	codec *media.Codec
	pt    uint8
}

// inputRef says which port's pad feeds a worker input.
type inputRef struct {
	port *Port
	mt   media.MediaType
}

// attach prepares a new port's side (its inputs are none since NewPort).
func (m *processor) attach(p *Port) {
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		p.mix.out[mt] = procelem.NewStreamOut(p.core.Source(mt))
	}
	m.poke()
}

// detach removes a released port's inputs and takes it off its outputs.
func (m *processor) detach(p *Port) {
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		in := &p.mix.in[mt]
		in.mu.Lock()
		m.dropInputLocked(in)
		in.mu.Unlock()
	}
	m.poke()
}

// consume writes what reaches p's default sink pad of mt to its worker
// input, (re)made when the codec arriving differs.
func (m *processor) consume(p *Port, pad *media.SinkPad, pkt *media.Packet) {
	mt := pad.MediaType()
	if !routable(mt) || pad.Desc() != media.DefaultPad || pkt.Codec == nil || m.failed.Load() {
		return
	}
	in := &p.mix.in[mt]
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.codec == nil || !in.codec.Same(pkt.Codec) {
		m.makeInputLocked(p, mt, in, pkt.Codec)
	}
	if in.index < 0 {
		in.Drop()
		return
	}
	if err := in.Write(m.w, in.index, in.pt, pkt, m.h.pipeline.Now()); err != nil {
		m.poke()
	}
}

// makeInputLocked replaces p's input of mt by one decoding codec.
func (m *processor) makeInputLocked(p *Port, mt media.MediaType, in *mixInput, codec *media.Codec) {
	m.dropInputLocked(in)
	in.codec = codec // even when it fails: not retried for every packet
	st, err := procelem.WorkerStream(codec)
	if err != nil {
		m.cfg.Logger.Warn("hub: input codec cannot be decoded", "key", m.cfg.Key, "codec", codec.MimeType)
		return
	}
	st.Port = p.id
	m.mu.Lock()
	i := m.next
	m.next++
	m.mu.Unlock()
	if err := m.request(func(ctx context.Context) error { return m.w.AddInput(ctx, i, st) }); err != nil {
		if m.ctx.Err() == nil {
			m.cfg.Logger.Warn("hub: adding an input", "key", m.cfg.Key, "err", err)
		}
		return
	}
	in.index, in.pt = i, st.PayloadType
	in.Reanchor()
	m.setInputRef(i, &inputRef{port: p, mt: mt})
}

func (m *processor) dropInputLocked(in *mixInput) {
	if in.index < 0 {
		in.codec = nil
		return
	}
	i := in.index
	in.index, in.codec = -1, nil
	m.setInputRef(i, nil)
	if err := m.request(func(ctx context.Context) error { return m.w.RemoveInput(ctx, i) }); err != nil && m.ctx.Err() == nil {
		m.cfg.Logger.Debug("hub: removing an input", "key", m.cfg.Key, "err", err)
	}
}

// inputOf returns the port and media type feeding worker input i.
func (m *processor) inputOf(i int) (*Port, media.MediaType) {
	if r := (*m.inputRefs.Load())[i]; r != nil {
		return r.port, r.mt
	}
	return nil, 0
}

func (m *processor) setInputRef(i int, r *inputRef) {
	m.refMu.Lock()
	defer m.refMu.Unlock()
	next := map[int]*inputRef{}
	for k, v := range *m.inputRefs.Load() {
		next[k] = v
	}
	if r == nil {
		delete(next, i)
	} else {
		next[i] = r
	}
	m.inputRefs.Store(&next)
}

// hasReceivers reports whether something connected to p's default source
// pad of mt takes media (an endpoint whose peer negotiated no audio takes
// no audio: no mix is encoded for it).
func hasReceivers(p *Port, mt media.MediaType) bool {
	for _, cn := range p.core.SinkConnections(media.ConnectionFilter{MediaType: &mt, Desc: media.DefaultPad}) {
		cs, ok := cn.Sink.(media.CodecSink)
		if !ok {
			return true
		}
		if list := cs.SinkCodecs(cn.Sink.Core().SinkPad(mt, cn.SinkDesc)); list == nil || len(list) > 0 {
			return true
		}
	}
	return false
}

// wantedCodec is the codec p should send on mt: the first one its first
// receiver with a preference takes and the worker makes, else the default.
func wantedCodec(p *Port, mt media.MediaType) *media.Codec {
	for _, cn := range p.core.SinkConnections(media.ConnectionFilter{MediaType: &mt, Desc: media.DefaultPad}) {
		cs, ok := cn.Sink.(media.CodecSink)
		if !ok {
			continue
		}
		list := cs.SinkCodecs(cn.Sink.Core().SinkPad(mt, cn.SinkDesc))
		for _, c := range list {
			if procelem.Processable(c) {
				return c
			}
		}
	}
	if mt == media.Audio {
		return defaultAudio
	}
	return defaultVideo
}

// reconcile makes the outputs follow the ports: each port whose source
// pad of a media type has receivers gets an output in the codec they take;
// inputs whose source went away are removed.
func (m *processor) reconcile() {
	live := m.h.Ports()
	m.prune(live)
	for _, p := range live {
		for _, mt := range []media.MediaType{media.Audio, media.Video} {
			if p.core.Sink(mt).Feed() == nil {
				in := &p.mix.in[mt]
				if in.mu.TryLock() { // a busy Consume means media is arriving
					m.dropInputLocked(in)
					in.mu.Unlock()
				}
			}
			m.reconcileOutput(p, mt)
		}
	}
}

// prune takes released ports off the outputs they were on: an output
// left without ports stops.
func (m *processor) prune(live []*Port) {
	for _, o := range *m.byIndex.Load() {
		l := o.ports.Load()
		if l == nil {
			continue
		}
		for _, p := range *l {
			if !slices.Contains(live, p) {
				m.leave(p, o)
			}
		}
	}
}

func (m *processor) reconcileOutput(p *Port, mt media.MediaType) {
	cur := p.mix.output[mt]
	want := hasReceivers(p, mt) && m.produces(p, mt)
	var codec *media.Codec
	if want {
		codec = wantedCodec(p, mt)
		if cur != nil && cur.codec.Same(codec) {
			return
		}
	}
	if cur != nil {
		m.leave(p, cur)
		p.mix.output[mt] = nil
	}
	if !want {
		if cur != nil {
			p.mix.codec[mt].Store(nil)
		}
		return
	}
	o := m.join(p, mt, codec)
	if o == nil {
		return
	}
	p.mix.output[mt] = o
	p.mix.codec[mt].Store(codec)
	p.mix.out[mt].AskKeyframe()
	p.core.CodecsChanged()
}

// produces reports whether the hub sends media of mt to port p.
func (m *processor) produces(p *Port, mt media.MediaType) bool {
	if m.shared[mt] {
		return true
	}
	if mt != media.Audio || !m.mixes {
		return false
	}
	if m.explicit { // Mixer: only ports that hear someone
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(p.mix.hears) > 0
	}
	return true
}

// join puts p on an output of mt in codec: the shared one, or its own mix.
func (m *processor) join(p *Port, mt media.MediaType, codec *media.Codec) *mixOutput {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.shared[mt] {
		for _, o := range m.outputs {
			if o.mt == mt && o.codec.Same(codec) {
				addPort(o, p)
				return o
			}
		}
	}
	st, err := procelem.WorkerStream(codec)
	if err != nil {
		return nil
	}
	if mt == media.Video {
		b := m.bitrates(p)
		st.MinBitrate, st.MaxBitrate, st.Bitrate = b.Min, b.Max, b.Clamp(b.Target)
	}
	if !m.shared[mt] {
		st.Port = p.id
		st.MixAllBut = !m.explicit
		st.Mix = append([]int(nil), p.mix.hears...)
	}
	o := &mixOutput{index: m.next, mt: mt, codec: codec, stream: st, bitrate: st.Bitrate}
	m.next++
	if err := m.request(func(ctx context.Context) error { return m.w.AddOutput(ctx, o.index, st) }); err != nil {
		if m.ctx.Err() == nil {
			m.cfg.Logger.Warn("hub: adding an output", "key", m.cfg.Key, "err", err)
		}
		return nil
	}
	addPort(o, p)
	m.outputs[o.index] = o
	m.publishLocked()
	return o
}

// leave takes p off output o, which stops when nobody is left on it.
func (m *processor) leave(p *Port, o *mixOutput) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var rest []*Port
	for _, q := range *o.ports.Load() {
		if q != p {
			rest = append(rest, q)
		}
	}
	o.ports.Store(&rest)
	if len(rest) > 0 {
		return
	}
	delete(m.outputs, o.index)
	m.publishLocked()
	if err := m.request(func(ctx context.Context) error { return m.w.RemoveOutput(ctx, o.index) }); err != nil && m.ctx.Err() == nil {
		m.cfg.Logger.Debug("hub: removing an output", "key", m.cfg.Key, "err", err)
	}
}

func addPort(o *mixOutput, p *Port) {
	var list []*Port
	if l := o.ports.Load(); l != nil {
		list = append(list, *l...)
	}
	list = append(list, p)
	o.ports.Store(&list)
}

func (m *processor) bitrates(p *Port) procelem.Bitrates {
	if m.cfg.Bitrates != nil {
		return m.cfg.Bitrates(p)
	}
	return procelem.DefaultBitrates
}

// sendKeyframes makes the encoder of each port asking for a keyframe emit one.
func (m *processor) sendKeyframes() {
	now := m.h.pipeline.Now()
	for _, p := range m.h.Ports() {
		o := p.mix.output[media.Video]
		if o == nil || !p.mix.out[media.Video].TakeKeyframe(now) {
			continue
		}
		if err := m.request(func(ctx context.Context) error { return m.w.RequestKeyframe(ctx, o.index) }); err != nil && m.ctx.Err() == nil {
			m.cfg.Logger.Debug("hub: keyframe request", "key", m.cfg.Key, "err", err)
		}
	}
}

// followEstimates sets each video encoder to the lowest estimate of the
// receivers of the ports it serves, within the first port's bounds.
func (m *processor) followEstimates() {
	for _, o := range *m.byIndex.Load() {
		ports := o.ports.Load()
		if o.mt != media.Video || ports == nil || len(*ports) == 0 {
			continue
		}
		b := m.bitrates((*ports)[0])
		var lowest uint64
		for _, p := range *ports {
			if e := p.core.Source(media.Video).DownstreamBitrate(); e != 0 && (lowest == 0 || e < lowest) {
				lowest = e
			}
		}
		target := b.Target
		if lowest > 0 {
			target = int(min(lowest, 1<<31-1))
		}
		target = b.Clamp(target)
		if o.bitrate != 0 && (target-o.bitrate)*20 < o.bitrate && (o.bitrate-target)*20 < o.bitrate {
			continue
		}
		if err := m.request(func(ctx context.Context) error {
			return m.w.SetBitrate(ctx, o.index, process.Bitrate{Target: target, Min: b.Min, Max: b.Max})
		}); err == nil {
			o.bitrate = target
		}
	}
}
