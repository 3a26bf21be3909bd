// Package transcode makes the transcoders the media graph inserts between
// a source and the sinks that cannot take its codec (media/transcode.go
// decides where). A Transcoder is one element of the pipeline's
// gorento-worker: its one input is decoded once, and each output is an
// encoder added when a sink needs a new format and removed when the last
// sink that needed it leaves, shared by every sink that needs it.
//
//	source pad ─► Transcoder input (slow-sink queue) ─► worker: depay → decode ─┬─ encode H.264 ─► output pad ─► sinks
//	                                                                             └─ encode VP9   ─► output pad ─► sinks
//
// Keyframes: a sink's request makes that output's encoder emit one; the
// decoder's need for one (a gap, a start) asks the source. Bitrate: each
// video encoder follows the lowest estimate of the receivers behind its
// output, within the source element's encoder bitrate bounds (KMS's
// encoderBitrate, minEncoderBitrate, maxEncoderBitrate). Timestamps: the
// worker stamps frames from their RTP timestamps, so the outputs keep
// the sender's timing; each output has its own SSRC and continuous
// numbering (procelem.StreamOut).
package transcode

import (
	"log/slog"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
)

// Factory makes the transcoders of one pipeline: a media.TranscoderFactory.
type Factory struct {
	// Backend creates worker elements (the server's process.Manager).
	Backend procelem.Backend
	// Key selects the pipeline's worker process (the pipeline's id).
	Key string
	// Bitrates returns the encoder bitrate bounds of a source element
	// (nil: procelem.DefaultBitrates).
	Bitrates func(source media.Element) procelem.Bitrates
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

var _ media.TranscoderFactory = (*Factory)(nil)

// CanTranscode implements media.TranscoderFactory: the worker decodes and
// encodes VP8, VP9, H.264, Opus, PCMU and PCMA (not AV1: Debian's
// GStreamer 1.22 has no AV1 RTP depayloader), within one media type.
func (f *Factory) CanTranscode(from, to *media.Codec) bool {
	if f == nil || f.Backend == nil || from == nil || to == nil {
		return false
	}
	return from.Kind() == to.Kind() && procelem.Processable(from) && procelem.Processable(to) &&
		!strings.EqualFold(to.MimeType, "video/AV1")
}

// NewTranscoder implements media.TranscoderFactory.
func (f *Factory) NewTranscoder(p *media.Pipeline, src *media.SourcePad, from *media.Codec) (media.Transcoder, error) {
	return newTranscoder(f, p, src, from)
}

func (f *Factory) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.Default()
}

func (f *Factory) bitrates(src *media.SourcePad) procelem.Bitrates {
	if f.Bitrates != nil {
		return f.Bitrates(src.Owner())
	}
	return procelem.DefaultBitrates
}
