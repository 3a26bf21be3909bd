package process

import (
	"context"

	"github.com/gorento/gorento/internal/media/process/ipc"
)

// The dynamic kinds (issue 11): the transcoder and the hubs' mixers, whose
// inputs and outputs come and go while they run. Indexes are chosen by the
// caller and must not be reused while in use; RTP is written to and
// delivered from those indexes.
const (
	ProcTranscode     = ipc.ProcTranscode
	ProcComposite     = ipc.ProcComposite
	ProcAlphaBlending = ipc.ProcAlphaBlending
	ProcAudioMixer    = ipc.ProcAudioMixer
)

// Layout types of alpha blending (ipc).
type (
	Layout     = ipc.Layout
	PortLayout = ipc.PortLayout
)

// AddInput starts decoding a new input at index i.
func (e *Element) AddInput(ctx context.Context, i int, s Stream) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpAddInput, Stream: i, Input: &s})
}

// RemoveInput stops input i.
func (e *Element) RemoveInput(ctx context.Context, i int) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpRemoveInput, Stream: i})
}

// AddOutput starts a new encoder at output index i.
func (e *Element) AddOutput(ctx context.Context, i int, s Stream) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpAddOutput, Stream: i, Output: &s})
}

// RemoveOutput stops output i.
func (e *Element) RemoveOutput(ctx context.Context, i int) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpRemoveOutput, Stream: i})
}

// SetMix sets the ports audio output i of an audio mixer mixes.
func (e *Element) SetMix(ctx context.Context, i int, ports []int) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpSetMix, Stream: i, Mix: &ipc.Mix{Ports: ports}})
}

// SetLayout places the inputs of an alpha blending element.
func (e *Element) SetLayout(ctx context.Context, l Layout) error {
	return e.control(ctx, ipc.Control{Op: ipc.OpSetLayout, Layout: &l})
}

// hasInput reports whether input i may be written: any index of a dynamic
// element (the worker drops what it does not know), the spec's otherwise.
func (e *Element) hasInput(i int) bool {
	if ipc.IsDynamic(e.spec.Processing.Kind) {
		return i >= 0
	}
	return i >= 0 && i < len(e.spec.Inputs)
}

// hasOutput is hasInput for outputs.
func (e *Element) hasOutput(i int) bool {
	if ipc.IsDynamic(e.spec.Processing.Kind) {
		return i >= 0
	}
	return i >= 0 && i < len(e.spec.Outputs)
}
