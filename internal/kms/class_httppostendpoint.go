package kms

import (
	"errors"
	"time"

	"github.com/gorento/gorento/internal/media/httpep"
	"github.com/gorento/gorento/internal/media/player"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classHttpEndpoint = &Class{
	Name: "HttpEndpoint", Parent: classSessionEndpoint, Abstract: true, Module: "elements",
	Methods: []*Method{
		method("getUrl", "String", func(c *call, _ none) (any, error) { return c.obj.impl.(*httpep.Endpoint).URL(), nil }),
	},
}

var classHttpPostEndpoint = &Class{
	Name: "HttpPostEndpoint", Parent: classHttpEndpoint, Module: "elements",
	Constructor: constructor(newHttpPostEndpoint),
	Methods: []*Method{
		method("getStats", "Stats<>", func(c *call, in statsQuery) (any, error) { return endpointStats(c, in), nil }),
	},
	Events: []EventSpec{
		raises("EndOfStream", func(player.EndOfStream) wire.Event { return &wire.Plain{} }),
		raises("Error", playerError),
	},
}

func newHttpPostEndpoint(cc *createCall, in struct {
	Pipeline             *Object `kurento:"mediaPipeline,type=MediaPipeline"`
	DisconnectionTimeout int     `kurento:"disconnectionTimeout,default=2"`
	UseEncodedMedia      bool    `kurento:"useEncodedMedia,default=false"`
}) error {
	if in.DisconnectionTimeout < 0 {
		return kurentoError(wire.ErrIllegalParam, "disconnectionTimeout must not be negative")
	}
	o := cc.newObject(in.Pipeline)
	opts := httpep.Options{DisconnectionTimeout: time.Duration(in.DisconnectionTimeout) * time.Second,
		UseEncodedMedia: in.UseEncodedMedia, Transcoders: cc.server.workerLegs(o)}
	ep, err := httpep.New(o.mediaPipeline(), cc.server.httpPost, opts, cc.server.mediaEvents(o))
	switch {
	case errors.Is(err, httpep.ErrTooManyEndpoints):
		return kurentoError(wire.ErrNotEnoughResources, "%v", err)
	case errors.Is(err, httpep.ErrListen):
		return kurentoError(wire.ErrHTTPEndpointRegistration, "%v", err)
	case err != nil:
		return mediaError(err)
	}
	ep.Core().Owner = o
	o.impl = ep
	return nil
}

func init() { register(classHttpEndpoint, classHttpPostEndpoint) }
