package mediatest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/gorento/gorento/internal/media"
)

// Transcoders is a media.TranscoderFactory whose transcoders re-label
// packets: each output pushes a copy of every input packet carrying the
// output's codec. It counts what it makes, for graph tests.
type Transcoders struct {
	// Refuse lists target MIME types it cannot make (CanTranscode false).
	Refuse []string
	// Fail makes NewTranscoder fail.
	Fail bool

	mu     sync.Mutex // guards list
	list   []*Transcoder
	made   atomic.Int64
	closed atomic.Int64
}

var _ media.TranscoderFactory = (*Transcoders)(nil)

// CanTranscode implements media.TranscoderFactory.
func (f *Transcoders) CanTranscode(_, to *media.Codec) bool {
	for _, r := range f.Refuse {
		if r == to.MimeType {
			return false
		}
	}
	return true
}

// NewTranscoder implements media.TranscoderFactory.
func (f *Transcoders) NewTranscoder(p *media.Pipeline, _ *media.SourcePad, from *media.Codec) (media.Transcoder, error) {
	if f.Fail {
		return nil, errors.New("mediatest: transcoder refused")
	}
	t := &Transcoder{f: f, from: from, outputs: map[*media.SourcePad]*media.Codec{}}
	if err := t.core.Init(p, t, t, nil); err != nil {
		return nil, err
	}
	f.made.Add(1)
	f.mu.Lock()
	f.list = append(f.list, t)
	f.mu.Unlock()
	return t, nil
}

// Made returns how many transcoders were created.
func (f *Transcoders) Made() int64 { return f.made.Load() }

// Live returns how many transcoders are not released.
func (f *Transcoders) Live() int64 { return f.made.Load() - f.closed.Load() }

// All returns every transcoder made, in order.
func (f *Transcoders) All() []*Transcoder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Transcoder(nil), f.list...)
}

// Transcoder is the fake made by Transcoders.
type Transcoder struct {
	core media.Core
	f    *Transcoders
	from *media.Codec
	n    atomic.Int64 // outputs ever made

	mu      sync.Mutex // guards outputs
	outputs map[*media.SourcePad]*media.Codec

	keyframes atomic.Int64
}

var (
	_ media.Transcoder  = (*Transcoder)(nil)
	_ media.CodecSource = (*Transcoder)(nil)
)

// Core implements media.Element.
func (t *Transcoder) Core() *media.Core { return &t.core }

// Release implements media.Element.
func (t *Transcoder) Release() {
	if t.core.Detach() {
		t.f.closed.Add(1)
	}
}

// From returns the codec the transcoder decodes.
func (t *Transcoder) From() *media.Codec { return t.from }

// Outputs returns the codecs of the live outputs.
func (t *Transcoder) Outputs() []*media.Codec {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*media.Codec
	for _, c := range t.outputs {
		out = append(out, c)
	}
	return out
}

// Keyframes returns the keyframe requests its outputs received.
func (t *Transcoder) Keyframes() int64 { return t.keyframes.Load() }

// Input implements media.Transcoder.
func (t *Transcoder) Input() *media.SinkPad { return t.core.Sink(t.from.Kind()) }

// Output implements media.Transcoder.
func (t *Transcoder) Output(f media.Format) (*media.SourcePad, error) {
	pad := t.core.SourcePad(t.from.Kind(), fmt.Sprintf("out%d", t.n.Add(1)))
	t.mu.Lock()
	t.outputs[pad] = f.Codec
	t.mu.Unlock()
	return pad, nil
}

// RemoveOutput implements media.Transcoder.
func (t *Transcoder) RemoveOutput(pad *media.SourcePad) {
	t.mu.Lock()
	delete(t.outputs, pad)
	t.mu.Unlock()
}

// SourceCodec implements media.CodecSource.
func (t *Transcoder) SourceCodec(p *media.SourcePad) *media.Codec {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.outputs[p]
}

// Consume implements media.Handler: a copy per output, labelled with its codec.
func (t *Transcoder) Consume(_ *media.SinkPad, pkt *media.Packet) {
	t.mu.Lock()
	outs := make(map[*media.SourcePad]*media.Codec, len(t.outputs))
	for p, c := range t.outputs {
		outs[p] = c
	}
	t.mu.Unlock()
	for p, c := range outs {
		cp := *pkt
		cp.Codec = c
		p.Push(&cp)
	}
}

// RequestKeyframe implements media.Handler: counted.
func (t *Transcoder) RequestKeyframe(*media.SourcePad) { t.keyframes.Add(1) }

// BitrateEstimate implements media.Handler.
func (t *Transcoder) BitrateEstimate(*media.SinkPad) uint64 { return 0 }

// SourceChanged implements media.Handler.
func (t *Transcoder) SourceChanged(*media.SinkPad) {}

// Forwards implements media.Handler.
func (t *Transcoder) Forwards() bool { return true }
