package kms

import "github.com/gorento/gorento/internal/media/hub"

// classDispatcher routes a source port's media to sink ports, untouched.
var classDispatcher = &Class{
	Name: "Dispatcher", Parent: classHub, Module: "elements",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		return newHubObject(cc, in.Pipeline, func(o *Object) (hubImpl, error) {
			return hub.NewDispatcher(o.mediaPipeline()), nil
		})
	}),
	Methods: []*Method{
		method("connect", "", func(c *call, in struct {
			Source *Object `kurento:"source,type=HubPort"`
			Sink   *Object `kurento:"sink,type=HubPort"`
		}) (any, error) {
			return nil, hubError(c.obj.impl.(*hub.Dispatcher).Connect(port(in.Source), port(in.Sink)))
		}),
	},
}

func init() { register(classDispatcher) }
