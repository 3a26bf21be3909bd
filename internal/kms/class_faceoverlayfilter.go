package kms

import (
	"context"

	"github.com/gorento/gorento/internal/media/filter"
)

var classFaceOverlayFilter = &Class{
	Name: "FaceOverlayFilter", Parent: classFilter, Module: "filters",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		return newFilterObject(cc, in.Pipeline, filter.NewFaceOverlay)
	}),
	Methods: []*Method{
		method("unsetOverlayedImage", "", func(c *call, _ none) (any, error) {
			return filterCall(c, func(ctx context.Context, f *filter.FaceOverlay) error { return f.UnsetOverlayedImage(ctx) })
		}),
		method("setOverlayedImage", "", func(c *call, in struct {
			URI     string  `kurento:"uri"`
			OffsetX float64 `kurento:"offsetXPercent"`
			OffsetY float64 `kurento:"offsetYPercent"`
			Width   float64 `kurento:"widthPercent"`
			Height  float64 `kurento:"heightPercent"`
		}) (any, error) {
			if err := checkImageGeometry(in.Width, in.Height); err != nil {
				return nil, err
			}
			return filterCall(c, func(ctx context.Context, f *filter.FaceOverlay) error {
				return f.SetOverlayedImage(ctx, in.URI, in.OffsetX, in.OffsetY, in.Width, in.Height)
			})
		}),
	},
}

func init() { register(classFaceOverlayFilter) }
