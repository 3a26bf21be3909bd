package kurento

import (
	"context"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

// HttpPostEndpoint is an HttpPostEndpoint handle: media POSTed to its URL
// becomes its output.
type HttpPostEndpoint struct{ MediaElement }

// HttpPostOptions are the optional constructor parameters.
type HttpPostOptions struct {
	DisconnectionTimeout int // seconds; 0 = the default (2)
	UseEncodedMedia      bool
}

// CreateHttpPostEndpoint creates an HttpPostEndpoint in the pipeline.
func (p *MediaPipeline) CreateHttpPostEndpoint(ctx context.Context, o HttpPostOptions) (*HttpPostEndpoint, error) {
	params := map[string]any{"mediaPipeline": p.id}
	if o.DisconnectionTimeout != 0 {
		params["disconnectionTimeout"] = o.DisconnectionTimeout
	}
	if o.UseEncodedMedia {
		params["useEncodedMedia"] = true
	}
	id, err := p.c.Create(ctx, "HttpPostEndpoint", params)
	if err != nil {
		return nil, err
	}
	return &HttpPostEndpoint{MediaElement{MediaObject{c: p.c, id: id}}}, nil
}

// URL returns where to POST the media (getUrl).
func (e *HttpPostEndpoint) URL(ctx context.Context) (string, error) {
	var u string
	return u, e.Invoke(ctx, "getUrl", nil, &u)
}

// OnEndOfStream subscribes to EndOfStream (the upload ended).
func (e *HttpPostEndpoint) OnEndOfStream(ctx context.Context, fn func(wire.Plain)) (*Subscription, error) {
	return On(ctx, e, "EndOfStream", fn)
}
