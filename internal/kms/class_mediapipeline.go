package kms

import "github.com/gorento/gorento/internal/media"

var classMediaPipeline = &Class{
	Name:   "MediaPipeline",
	Parent: classMediaObject,
	Module: "core",
	Props: []*Property{
		readWrite("latencyStats", "boolean",
			func(c *call) (any, error) { return c.obj.impl.(*media.Pipeline).LatencyStats(), nil },
			func(c *call, v bool) error {
				c.obj.impl.(*media.Pipeline).SetLatencyStats(v)
				return nil
			}),
	},
	Methods: dotMethods(),
	Constructor: constructor(func(cc *createCall, _ none) error {
		o := cc.newObject(nil)
		o.impl = media.NewPipeline(cc.server.pipelineOptions(o)...)
		return nil
	}),
}

func init() { register(classMediaPipeline) }
