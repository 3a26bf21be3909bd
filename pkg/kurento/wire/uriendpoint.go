package wire

// UriEndpointStateChanged is fired by recorders and players on every
// change of state (STOP, START, PAUSE).
type UriEndpointStateChanged struct {
	EventBase
	State string `json:"state"`
}

// VideoInfo is a PlayerEndpoint's videoInfo: times in milliseconds.
type VideoInfo struct {
	Complex
	IsSeekable   bool  `json:"isSeekable"`
	SeekableInit int64 `json:"seekableInit"`
	SeekableEnd  int64 `json:"seekableEnd"`
	Duration     int64 `json:"duration"`
}

// MediaProfiles are the MediaProfileSpecType values, in kmd order.
var MediaProfiles = []string{"WEBM", "MKV", "MP4", "WEBM_VIDEO_ONLY", "WEBM_AUDIO_ONLY", "MKV_VIDEO_ONLY",
	"MKV_AUDIO_ONLY", "MP4_VIDEO_ONLY", "MP4_AUDIO_ONLY", "JPEG_VIDEO_ONLY", "KURENTO_SPLIT_RECORDER", "FLV"}
