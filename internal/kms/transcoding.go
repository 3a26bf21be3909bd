package kms

import (
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/transcode"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Automatic transcoding as the protocol sees it: every pipeline transcodes
// in its worker (when the server has a processing back end), elements
// report MediaTranscodingStateChanged and answer isMediaTranscoding, and
// setVideoFormat/setAudioFormat force the codec an element takes.

// pipelineOptions are the options of o's media pipeline.
func (s *Server) pipelineOptions(o *Object) []media.PipelineOption {
	if s.cfg.Processing == nil {
		return nil
	}
	return []media.PipelineOption{media.WithTranscoders(&transcode.Factory{
		Backend: s.cfg.Processing, Key: o.id, Bitrates: elementBitrates, Logger: s.log,
	})}
}

// elementBitrates are the encoder bounds set on an element's object
// (encoderBitrate, minEncoderBitrate, maxEncoderBitrate).
func elementBitrates(e media.Element) procelem.Bitrates {
	if o, ok := e.Core().Owner.(*Object); ok && o != nil {
		return encoderBitrates(o)
	}
	return procelem.DefaultBitrates
}

func transcodingEvent(e media.MediaTranscodingStateChanged) wire.Event {
	state := wire.NotTranscoding
	if e.Transcoding {
		state = wire.Transcoding
	}
	return &wire.MediaTranscodingStateChanged{State: state, BinName: e.BinName, MediaType: mediaTypeName(e.MediaType)}
}

// isMediaTranscoding answers for the element's source pad of that media
// type and description (binName: Gorento names a transcoder after the
// pad it converts, "default" for the default pad).
func isMediaTranscoding(c *call, mt media.MediaType, binName string) (any, error) {
	if err := refuseData(mt); err != nil {
		return nil, err
	}
	return c.obj.element().Core().IsTranscoding(mt, binName), nil
}

// Codecs forced by setVideoFormat/setAudioFormat, as the graph names them.
var formatCodecs = map[string]*media.Codec{
	"VP8":  {MimeType: "video/VP8", ClockRate: 90000},
	"VP9":  {MimeType: "video/VP9", ClockRate: 90000, Fmtp: "profile-id=0"},
	"H264": {MimeType: "video/H264", ClockRate: 90000, Fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"},
	"OPUS": {MimeType: "audio/opus", ClockRate: 48000, Channels: 2},
	"PCMU": {MimeType: "audio/PCMU", ClockRate: 8000, Channels: 1},
	"PCMA": {MimeType: "audio/PCMA", ClockRate: 8000, Channels: 1},
}

// setFormat forces the format an element takes (KMS's audio-caps and
// video-caps): its sinks are fed that codec, transcoded when their source
// sends another. RAW forces no codec (media reaching a decoding element is
// raw anyway). A codec Gorento cannot make, or one the element's peer did
// not negotiate, is refused with MEDIA_OBJECT_ILLEGAL_PARAM_ERROR, as KMS
// does for caps an element does not support.
func setFormat(c *call, mt media.MediaType, codec string, f media.Format) error {
	codec = strings.ToUpper(codec)
	if codec != "RAW" {
		f.Codec = formatCodecs[codec]
		if f.Codec == nil {
			return kurentoError(wire.ErrIllegalParam, "Gorento cannot produce %s (it produces VP8, VP9, H264, OPUS, PCMU, PCMA)", codec)
		}
	}
	core := c.obj.element().Core()
	if cs, ok := c.obj.element().(media.CodecSink); ok && f.Codec != nil {
		if list := cs.SinkCodecs(core.Sink(mt)); list != nil && !anyMatches(f.Codec, list) {
			return kurentoError(wire.ErrIllegalParam, "%s was not negotiated with this element's peer", codec)
		}
	}
	core.SetFormat(mt, &f)
	return nil
}

func anyMatches(c *media.Codec, list []*media.Codec) bool {
	for _, x := range list {
		if c.Matches(x) {
			return true
		}
	}
	return false
}

func setAudioFormat(c *call, in struct {
	Caps wire.AudioCaps `kurento:"caps,type=AudioCaps"`
}) (any, error) {
	if !oneOf(in.Caps.Codec, "OPUS", "PCMU", "PCMA", "RAW") {
		return nil, kurentoError(wire.ErrIllegalParam, "Invalid parameter provided: %s", in.Caps.Codec)
	}
	if in.Caps.Bitrate < 0 {
		return nil, kurentoError(wire.ErrIllegalParam, "Invalid bitrate %d", in.Caps.Bitrate)
	}
	return nil, setFormat(c, media.Audio, in.Caps.Codec, media.Format{Bitrate: in.Caps.Bitrate})
}

func setVideoFormat(c *call, in struct {
	Caps wire.VideoCaps `kurento:"caps,type=VideoCaps"`
}) (any, error) {
	if !oneOf(in.Caps.Codec, "H265", "AV1", "VP9", "VP8", "H264", "RAW") {
		return nil, kurentoError(wire.ErrIllegalParam, "Invalid parameter provided: %s", in.Caps.Codec)
	}
	fr := in.Caps.Framerate
	if fr.Numerator < 0 || fr.Denominator < 0 || (fr.Numerator > 0 && fr.Denominator == 0) {
		return nil, kurentoError(wire.ErrIllegalParam, "Invalid framerate %d/%d", fr.Numerator, fr.Denominator)
	}
	return nil, setFormat(c, media.Video, in.Caps.Codec, media.Format{FramerateNum: fr.Numerator, FramerateDen: fr.Denominator})
}

func oneOf(s string, values ...string) bool {
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}
