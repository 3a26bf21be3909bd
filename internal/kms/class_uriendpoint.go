package kms

import (
	"strings"

	"github.com/gorento/gorento/internal/media/uriep"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// uriEndpoint is what recorders and players share (UriEndpoint).
type uriEndpoint interface {
	URI() string
	State() uriep.State
	Pause() bool
	Stop()
}

var classUriEndpoint = &Class{
	Name: "UriEndpoint", Parent: classEndpoint, Abstract: true, Module: "core",
	Props: []*Property{
		// The URI as the client gave it (KMS answers it unresolved).
		readOnly("uri", "String", func(c *call) (any, error) {
			return c.obj.attr(func(o *Object) any { return o.values["uri"] }), nil
		}),
		readOnly("state", "UriEndpointState", func(c *call) (any, error) { return uriImpl(c).State().String(), nil }),
	},
	Methods: []*Method{
		// A refused transition is logged, never an error (KMS).
		method("pause", "", func(c *call, _ none) (any, error) {
			uriImpl(c).Pause()
			return nil, nil
		}),
		method("stop", "", func(c *call, _ none) (any, error) {
			uriImpl(c).Stop()
			return nil, nil
		}),
	},
	Events: []EventSpec{
		raises("UriEndpointStateChanged", func(e uriep.StateChanged) wire.Event {
			return &wire.UriEndpointStateChanged{State: e.State.String()}
		}),
	},
}

func uriImpl(c *call) uriEndpoint { return c.obj.impl.(uriEndpoint) }

// resolveURI keeps the constructor's uri as given (with "%2F" made "/", as
// KMS answers getUri) and returns it completed with the server's
// defaultPath (uriep.Resolve), for the element.
func (s *Server) resolveURI(o *Object, uri string) string {
	given := strings.ReplaceAll(uri, "%2F", "/")
	o.attr(func(o *Object) any {
		if o.values == nil {
			o.values = map[string]any{}
		}
		o.values["uri"] = given
		return nil
	})
	return uriep.Resolve(uri, s.cfg.URIDefaultPath)
}

func init() { register(classUriEndpoint) }
