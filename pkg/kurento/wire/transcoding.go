package wire

// Transcoding is the MediaTranscodingState of an element transcoding.
const Transcoding = "TRANSCODING"

// MediaTranscodingStateChanged reports that media leaving an element
// started (TRANSCODING) or stopped (NOT_TRANSCODING) being transcoded for
// some of its sinks.
type MediaTranscodingStateChanged struct {
	EventBase
	State     string `json:"state"`
	BinName   string `json:"binName"`
	MediaType string `json:"mediaType"`
}

// AudioCaps is the caps parameter of setAudioFormat.
type AudioCaps struct {
	Codec   string `json:"codec"` // OPUS, PCMU, PCMA, RAW
	Bitrate int    `json:"bitrate"`
}

// Fraction is a rational number (a frame rate).
type Fraction struct {
	Numerator   int `json:"numerator"`
	Denominator int `json:"denominator"`
}

// VideoCaps is the caps parameter of setVideoFormat.
type VideoCaps struct {
	Codec     string   `json:"codec"` // VP8, VP9, H264, H265, AV1, RAW
	Framerate Fraction `json:"framerate"`
}
