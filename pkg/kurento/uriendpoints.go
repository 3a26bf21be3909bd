package kurento

import (
	"context"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

// UriEndpoint is what recorders and players share.
type UriEndpoint struct{ MediaElement }

// URI returns the endpoint's URI as given at creation.
func (e *UriEndpoint) URI(ctx context.Context) (string, error) {
	var s string
	return s, e.Invoke(ctx, "getUri", nil, &s)
}

// State returns STOP, START or PAUSE.
func (e *UriEndpoint) State(ctx context.Context) (string, error) {
	var s string
	return s, e.Invoke(ctx, "getState", nil, &s)
}

// Pause pauses recording or playing.
func (e *UriEndpoint) Pause(ctx context.Context) error { return e.Invoke(ctx, "pause", nil, nil) }

// Stop stops recording or playing.
func (e *UriEndpoint) Stop(ctx context.Context) error { return e.Invoke(ctx, "stop", nil, nil) }

// OnStateChanged subscribes to UriEndpointStateChanged.
func (e *UriEndpoint) OnStateChanged(ctx context.Context, fn func(wire.UriEndpointStateChanged)) (*Subscription, error) {
	return On(ctx, e, "UriEndpointStateChanged", fn)
}

// RecorderEndpoint is a RecorderEndpoint handle.
type RecorderEndpoint struct{ UriEndpoint }

// RecorderOptions are the optional constructor parameters of a recorder.
type RecorderOptions struct {
	MediaProfile      string // "" = WEBM
	StopOnEndOfStream bool
}

// CreateRecorderEndpoint creates a RecorderEndpoint recording to uri.
func (p *MediaPipeline) CreateRecorderEndpoint(ctx context.Context, uri string, o RecorderOptions) (*RecorderEndpoint, error) {
	params := map[string]any{"mediaPipeline": p.id, "uri": uri}
	if o.MediaProfile != "" {
		params["mediaProfile"] = o.MediaProfile
	}
	if o.StopOnEndOfStream {
		params["stopOnEndOfStream"] = true
	}
	id, err := p.c.Create(ctx, "RecorderEndpoint", params)
	if err != nil {
		return nil, err
	}
	return &RecorderEndpoint{UriEndpoint{MediaElement{MediaObject{c: p.c, id: id}}}}, nil
}

// Record starts (or resumes) recording.
func (r *RecorderEndpoint) Record(ctx context.Context) error {
	return r.Invoke(ctx, "record", nil, nil)
}

// StopAndWait stops and returns once the file is finished (at most ~4 s).
func (r *RecorderEndpoint) StopAndWait(ctx context.Context) error {
	return r.Invoke(ctx, "stopAndWait", nil, nil)
}

// OnRecording subscribes to Recording.
func (r *RecorderEndpoint) OnRecording(ctx context.Context, fn func(wire.Plain)) (*Subscription, error) {
	return On(ctx, r, "Recording", fn)
}

// OnPaused subscribes to Paused.
func (r *RecorderEndpoint) OnPaused(ctx context.Context, fn func(wire.Plain)) (*Subscription, error) {
	return On(ctx, r, "Paused", fn)
}

// OnStopped subscribes to Stopped.
func (r *RecorderEndpoint) OnStopped(ctx context.Context, fn func(wire.Plain)) (*Subscription, error) {
	return On(ctx, r, "Stopped", fn)
}

// PlayerEndpoint is a PlayerEndpoint handle.
type PlayerEndpoint struct{ UriEndpoint }

// PlayerOptions are the optional constructor parameters of a player.
type PlayerOptions struct {
	UseEncodedMedia bool
	NetworkCache    int // ms; 0 = the default (2000)
}

// CreatePlayerEndpoint creates a PlayerEndpoint playing uri.
func (p *MediaPipeline) CreatePlayerEndpoint(ctx context.Context, uri string, o PlayerOptions) (*PlayerEndpoint, error) {
	params := map[string]any{"mediaPipeline": p.id, "uri": uri}
	if o.UseEncodedMedia {
		params["useEncodedMedia"] = true
	}
	if o.NetworkCache != 0 {
		params["networkCache"] = o.NetworkCache
	}
	id, err := p.c.Create(ctx, "PlayerEndpoint", params)
	if err != nil {
		return nil, err
	}
	return &PlayerEndpoint{UriEndpoint{MediaElement{MediaObject{c: p.c, id: id}}}}, nil
}

// Play starts or resumes playing.
func (p *PlayerEndpoint) Play(ctx context.Context) error { return p.Invoke(ctx, "play", nil, nil) }

// Position returns the playing position in milliseconds.
func (p *PlayerEndpoint) Position(ctx context.Context) (int64, error) {
	var v int64
	return v, p.Invoke(ctx, "getPosition", nil, &v)
}

// SetPosition seeks to a position in milliseconds.
func (p *PlayerEndpoint) SetPosition(ctx context.Context, ms int64) error {
	return p.Invoke(ctx, "setPosition", map[string]any{"position": ms}, nil)
}

// VideoInfo returns seekability and duration.
func (p *PlayerEndpoint) VideoInfo(ctx context.Context) (wire.VideoInfo, error) {
	var v wire.VideoInfo
	return v, p.Invoke(ctx, "getVideoInfo", nil, &v)
}

// OnEndOfStream subscribes to EndOfStream.
func (p *PlayerEndpoint) OnEndOfStream(ctx context.Context, fn func(wire.Plain)) (*Subscription, error) {
	return On(ctx, p, "EndOfStream", fn)
}
