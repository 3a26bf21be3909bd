package kurento

import (
	"context"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

// IsMediaTranscoding reports whether the element transcodes what leaves
// its pad of mediaType (binName "" = "default").
func (e *MediaElement) IsMediaTranscoding(ctx context.Context, mediaType, binName string) (bool, error) {
	p := map[string]any{"mediaType": mediaType}
	if binName != "" {
		p["binName"] = binName
	}
	var on bool
	return on, e.Invoke(ctx, "isMediaTranscoding", p, &on)
}

// SetVideoFormat forces the video codec (and frame rate) the element takes.
func (e *MediaElement) SetVideoFormat(ctx context.Context, caps wire.VideoCaps) error {
	return e.Invoke(ctx, "setVideoFormat", map[string]any{"caps": caps}, nil)
}

// SetAudioFormat forces the audio codec (and bitrate) the element takes.
func (e *MediaElement) SetAudioFormat(ctx context.Context, caps wire.AudioCaps) error {
	return e.Invoke(ctx, "setAudioFormat", map[string]any{"caps": caps}, nil)
}

// OnMediaTranscodingStateChanged subscribes to MediaTranscodingStateChanged.
func (e *MediaElement) OnMediaTranscodingStateChanged(ctx context.Context, fn func(wire.MediaTranscodingStateChanged)) (*Subscription, error) {
	return On(ctx, e, "MediaTranscodingStateChanged", fn)
}
