package kms

import "github.com/gorento/gorento/internal/media/hub"

// classDispatcherOneToMany sends one source port's media to every port.
var classDispatcherOneToMany = &Class{
	Name: "DispatcherOneToMany", Parent: classHub, Module: "elements",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		return newHubObject(cc, in.Pipeline, func(o *Object) (hubImpl, error) {
			return hub.NewDispatcherOneToMany(o.mediaPipeline()), nil
		})
	}),
	Methods: []*Method{
		method("setSource", "", func(c *call, in struct {
			Source *Object `kurento:"source,type=HubPort"`
		}) (any, error) {
			return nil, hubError(c.obj.impl.(*hub.DispatcherOneToMany).SetSource(port(in.Source)))
		}),
		method("removeSource", "", func(c *call, _ none) (any, error) {
			c.obj.impl.(*hub.DispatcherOneToMany).RemoveSource()
			return nil, nil
		}),
	},
}

func init() { register(classDispatcherOneToMany) }
