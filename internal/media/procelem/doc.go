// Package procelem adapts the processing back end (package process: a
// GStreamer pipeline in a gorento-worker process) to the media graph. An
// Element is a graph element whose sink pads feed the inputs of one
// process.Element and whose source pads carry its outputs:
//
//	sink pad (Media, Inputs[i]) ─► slow-sink queue ─► input i ─┐
//	                                                           ├─ worker: depay → decode → processing → encode → pay
//	source pad (Media, Outputs[j]) ◄─ own SSRC, continuous ◄── output j
//
// Filters are the common case (one input, one output, the codec that
// arrives leaves); mixers take N inputs and transcoders give M outputs
// (Config.Inputs, Config.Outputs, Config.OutputCodecs).
//
// Inputs are consumed through the core's slow-sink queue (Core.UseQueue),
// rewritten onto one continuous stream per input (rtpx.Rewriter: a source
// change is not a jump for the worker's depayloader) and written without
// blocking. Outputs leave with the element's own SSRC per output and
// continuous sequence numbers and timestamps, also across a re-creation
// of the worker element.
//
// The worker element is created when the Element is (with the pipeline's
// negotiated codec, else VP8 or Opus), so configuration errors — a bad
// GStreamer command, a missing worker — fail the constructor, and is
// re-created when a different codec arrives on an input. Settings made
// with Apply (an overlay image, a property) are replayed on every
// re-creation.
//
// One goroutine per Element (control.go) owns the worker element: it
// creates and re-creates it, turns downstream keyframe requests into
// RequestKeyframe and the downstream bitrate estimate into SetBitrate
// (within the element's encoder bitrate bounds). A worker failure becomes
// one media.ErrorEvent wrapping ErrProcessing; the outputs stop, so the
// pipeline's flow checks report MediaFlowOut NOT_FLOWING.
package procelem
