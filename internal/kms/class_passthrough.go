package kms

import "github.com/gorento/gorento/internal/media"

var classPassThrough = &Class{
	Name:   "PassThrough",
	Parent: classMediaElement,
	Module: "core",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		o := cc.newObject(in.Pipeline)
		pt, err := media.NewPassThrough(o.mediaPipeline(), cc.server.mediaEvents(o))
		if err != nil {
			return mediaError(err)
		}
		pt.Core().Owner = o
		o.impl = pt
		return nil
	}),
}

// inPipeline is the constructor parameter of every element.
type inPipeline struct {
	Pipeline *Object `kurento:"mediaPipeline,type=MediaPipeline"`
}

func init() { register(classPassThrough) }
