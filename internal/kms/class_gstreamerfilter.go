package kms

import (
	"context"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/filter"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classGStreamerFilter = &Class{
	Name: "GStreamerFilter", Parent: classFilter, Module: "filters",
	Constructor: constructor(func(cc *createCall, in struct {
		Pipeline   *Object `kurento:"mediaPipeline,type=MediaPipeline"`
		Command    string  `kurento:"command"`
		FilterType string  `kurento:"filterType,type=FilterType,default=AUTODETECT"`
	}) error {
		if in.Command == "" {
			return kurentoError(wire.ErrMarshall, "GStreamer element cannot be created: empty command")
		}
		return newFilterObject(cc, in.Pipeline, func(ctx context.Context, p *media.Pipeline, o filter.Options) (*filter.GStreamer, error) {
			return filter.NewGStreamer(ctx, p, o, in.Command, in.FilterType)
		})
	}),
	Props: []*Property{
		readOnly("command", "String", func(c *call) (any, error) {
			f, ok := c.obj.impl.(*filter.GStreamer)
			if !ok {
				return nil, errObjectNotFound(c.obj.id)
			}
			return f.Command(), nil
		}),
	},
	Methods: []*Method{
		method("setElementProperty", "", func(c *call, in struct {
			Name  string `kurento:"propertyName"`
			Value string `kurento:"propertyValue"`
		}) (any, error) {
			return filterCall(c, func(ctx context.Context, f *filter.GStreamer) error {
				return f.SetElementProperty(ctx, in.Name, in.Value)
			})
		}),
	},
}

func init() {
	enums["FilterType"] = []string{filter.TypeAudio, filter.TypeAutodetect, filter.TypeVideo}
	register(classGStreamerFilter)
}
