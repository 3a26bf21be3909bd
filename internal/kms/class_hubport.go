package kms

import (
	"github.com/gorento/gorento/internal/media/hub"
)

// classHubPort connects a hub to the graph: media reaching the port goes
// into the hub, what the hub makes for it leaves from it.
var classHubPort = &Class{
	Name: "HubPort", Parent: classMediaElement, Module: "core",
	Constructor: constructor(func(cc *createCall, in struct {
		Hub *Object `kurento:"hub,type=Hub"`
	}) error {
		h := hubOf(in.Hub)
		if h == nil {
			return errObjectNotFound(in.Hub.id)
		}
		o := cc.newObject(in.Hub)
		p, err := hub.NewPort(h, cc.server.mediaEvents(o))
		if err != nil {
			return hubError(err)
		}
		p.Core().Owner = o
		o.impl = p
		return nil
	}),
}

func init() { register(classHubPort) }
