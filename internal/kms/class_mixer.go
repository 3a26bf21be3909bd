package kms

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/hub"
)

// classMixer connects ports by media type: audio is mixed per sink port,
// video routed.
var classMixer = &Class{
	Name: "Mixer", Parent: classHub, Module: "elements",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		return newHubObject(cc, in.Pipeline, func(o *Object) (hubImpl, error) {
			return hub.NewMixer(o.mediaPipeline(), cc.server.hubProcessing(o))
		})
	}),
	Methods: []*Method{
		method("connect", "", func(c *call, in mixerParams) (any, error) {
			return nil, hubError(c.obj.impl.(*hub.Mixer).Connect(in.Media, port(in.Source), port(in.Sink)))
		}),
		method("disconnect", "", func(c *call, in mixerParams) (any, error) {
			return nil, hubError(c.obj.impl.(*hub.Mixer).Disconnect(in.Media, port(in.Source), port(in.Sink)))
		}),
	},
}

type mixerParams struct {
	Media  media.MediaType `kurento:"media"`
	Source *Object         `kurento:"source,type=HubPort"`
	Sink   *Object         `kurento:"sink,type=HubPort"`
}

func init() { register(classMixer) }
