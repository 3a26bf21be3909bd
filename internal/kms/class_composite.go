package kms

import "github.com/gorento/gorento/internal/media/hub"

// classComposite mixes its ports into one picture and per-port audio
// mixes (KMS Composite; defaults 800x600 at 15 fps).
var classComposite = &Class{
	Name: "Composite", Parent: classHub, Module: "elements",
	Constructor: constructor(func(cc *createCall, in struct {
		Pipeline  *Object `kurento:"mediaPipeline,type=MediaPipeline"`
		Width     int     `kurento:"width,default=800"`
		Height    int     `kurento:"height,default=600"`
		Framerate int     `kurento:"framerate,default=15"`
	}) error {
		if in.Width <= 0 || in.Height <= 0 || in.Framerate <= 0 || in.Width > 7680 || in.Height > 4320 || in.Framerate > 120 {
			return kurentoError(40107, "Invalid Composite size or frame rate %dx%d@%d", in.Width, in.Height, in.Framerate)
		}
		return newHubObject(cc, in.Pipeline, func(o *Object) (hubImpl, error) {
			return hub.NewComposite(o.mediaPipeline(), cc.server.hubProcessing(o),
				hub.CompositeOptions{Width: in.Width, Height: in.Height, Framerate: in.Framerate})
		})
	}),
}

func init() { register(classComposite) }
