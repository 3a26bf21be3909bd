package kms

import "github.com/gorento/gorento/internal/media/hub"

// classAlphaBlending stacks its ports' video on a master's picture.
var classAlphaBlending = &Class{
	Name: "AlphaBlending", Parent: classHub, Module: "elements",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		return newHubObject(cc, in.Pipeline, func(o *Object) (hubImpl, error) {
			return hub.NewAlphaBlending(o.mediaPipeline(), cc.server.hubProcessing(o))
		})
	}),
	Methods: []*Method{
		method("setMaster", "", func(c *call, in struct {
			Source *Object `kurento:"source,type=HubPort"`
			ZOrder int     `kurento:"zOrder"`
		}) (any, error) {
			return nil, hubError(c.obj.impl.(*hub.AlphaBlending).SetMaster(port(in.Source), in.ZOrder))
		}),
		method("setPortProperties", "", func(c *call, in struct {
			RelativeX      float64 `kurento:"relativeX"`
			RelativeY      float64 `kurento:"relativeY"`
			ZOrder         int     `kurento:"zOrder"`
			RelativeWidth  float64 `kurento:"relativeWidth"`
			RelativeHeight float64 `kurento:"relativeHeight"`
			Port           *Object `kurento:"port,type=HubPort"`
		}) (any, error) {
			for _, v := range []float64{in.RelativeX, in.RelativeY, in.RelativeWidth, in.RelativeHeight} {
				if v < -1 || v > 2 {
					return nil, kurentoError(40107, "Relative positions and sizes are fractions of the master's picture (got %g)", v)
				}
			}
			return nil, hubError(c.obj.impl.(*hub.AlphaBlending).SetPortProperties(port(in.Port), hub.PortProperties{
				RelativeX: in.RelativeX, RelativeY: in.RelativeY, RelativeWidth: in.RelativeWidth, RelativeHeight: in.RelativeHeight, ZOrder: in.ZOrder}))
		}),
	},
}

func init() { register(classAlphaBlending) }
