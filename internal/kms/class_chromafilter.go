package kms

import (
	"context"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/filter"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// classChromaFilter is the ChromaFilter of Kurento's chroma module: the
// tutorial's client registers kurento-module-chroma, creates
// "chroma.ChromaFilter" and refuses a server whose getInfo lacks the module.
var classChromaFilter = &Class{
	Name: "ChromaFilter", Parent: classFilter, Module: "chroma",
	Constructor: constructor(func(cc *createCall, in struct {
		Pipeline   *Object          `kurento:"mediaPipeline,type=MediaPipeline"`
		Window     wire.WindowParam `kurento:"window,type=WindowParam"`
		Background string           `kurento:"backgroundImage,default="`
	}) error {
		w := filter.Window{X: in.Window.TopRightCornerX, Y: in.Window.TopRightCornerY, Width: in.Window.Width, Height: in.Window.Height}
		if w.Width <= 0 || w.Height <= 0 || w.X < 0 || w.Y < 0 {
			return kurentoError(wire.ErrIllegalParam, "'window' must have a positive width and height and a non-negative position")
		}
		return newFilterObject(cc, in.Pipeline, func(ctx context.Context, p *media.Pipeline, o filter.Options) (*filter.Chroma, error) {
			return filter.NewChroma(ctx, p, o, w, in.Background)
		})
	}),
	Methods: []*Method{
		method("setBackground", "", func(c *call, in struct {
			URI string `kurento:"uri"`
		}) (any, error) {
			return filterCall(c, func(ctx context.Context, f *filter.Chroma) error { return f.SetBackground(ctx, in.URI) })
		}),
		method("unsetBackground", "", func(c *call, _ none) (any, error) {
			return filterCall(c, func(ctx context.Context, f *filter.Chroma) error { return f.UnsetBackground(ctx) })
		}),
	},
}

func init() {
	complexModules["WindowParam"] = "chroma"
	register(classChromaFilter)
}
