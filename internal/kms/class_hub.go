package kms

import (
	"errors"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/hub"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// classHub is the base of the hubs: a MediaObject (not an element) whose
// HubPorts are its children.
var classHub = &Class{
	Name: "Hub", Parent: classMediaObject, Abstract: true, Module: "core",
	Methods: dotMethods(),
}

// hubImpl is what every hub implementation offers the protocol.
type hubImpl interface {
	Base() *hub.Hub
	Release()
}

// hubProcessing is how a decoding hub of o reaches the pipeline's worker.
func (s *Server) hubProcessing(o *Object) hub.Processing {
	return hub.Processing{Backend: s.cfg.Processing, Key: o.pipeline.id, Bitrates: elementBitrates, Events: s.mediaEvents(o), Logger: s.log}
}

// hubError maps hub and processing failures to Kurento errors.
func hubError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, hub.ErrOtherHub):
		return kurentoError(wire.ErrIllegalParam, "The port does not belong to this hub")
	case errors.Is(err, hub.ErrMediaType):
		return kurentoError(wire.ErrUnsupportedMediaType, "Invalid media type")
	case errors.Is(err, hub.ErrVideoDisconnect):
		return kurentoError(wire.ErrUnsupportedMediaType, "Video disconnection is not implemented yet")
	case errors.Is(err, hub.ErrReleased), errors.Is(err, media.ErrReleased):
		return kurentoError(wire.ErrObjectNotFound, "Object was released")
	case errors.Is(err, procelem.ErrNoBackend):
		return kurentoError(wire.ErrObjectNotAvailable, "Hubs that mix need the processing back end, which this server has not configured")
	}
	return processingError("Hub", err)
}

// hubOf returns the hub implementing o.
func hubOf(o *Object) *hub.Hub {
	if h, ok := o.impl.(hubImpl); ok {
		return h.Base()
	}
	return nil
}

// port returns the hub port implementing o.
func port(o *Object) *hub.Port {
	p, _ := o.impl.(*hub.Port)
	return p
}

// newHubObject registers the implementation of a new hub.
func newHubObject(cc *createCall, pipeline *Object, create func(o *Object) (hubImpl, error)) error {
	o := cc.newObject(pipeline)
	h, err := create(o)
	if err != nil {
		return hubError(err)
	}
	o.impl = h
	return nil
}

func init() { register(classHub) }
