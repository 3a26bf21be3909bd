package kms

import (
	"context"
	"math"

	"github.com/gorento/gorento/internal/media/filter"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classImageOverlayFilter = &Class{
	Name: "ImageOverlayFilter", Parent: classFilter, Module: "filters",
	Constructor: constructor(func(cc *createCall, in inPipeline) error {
		return newFilterObject(cc, in.Pipeline, filter.NewImageOverlay)
	}),
	Methods: []*Method{
		method("removeImage", "", func(c *call, in struct {
			ID string `kurento:"id"`
		}) (any, error) {
			return filterCall(c, func(ctx context.Context, f *filter.ImageOverlay) error { return f.RemoveImage(ctx, in.ID) })
		}),
		method("addImage", "", func(c *call, in struct {
			ID              string  `kurento:"id"`
			URI             string  `kurento:"uri"`
			OffsetX         float64 `kurento:"offsetXPercent"`
			OffsetY         float64 `kurento:"offsetYPercent"`
			Width           float64 `kurento:"widthPercent"`
			Height          float64 `kurento:"heightPercent"`
			KeepAspectRatio bool    `kurento:"keepAspectRatio"`
			Center          bool    `kurento:"center"`
		}) (any, error) {
			if err := checkImageGeometry(in.Width, in.Height); err != nil {
				return nil, err
			}
			return filterCall(c, func(ctx context.Context, f *filter.ImageOverlay) error {
				return f.AddImage(ctx, in.ID, in.URI, in.OffsetX, in.OffsetY, in.Width, in.Height, in.KeepAspectRatio, in.Center)
			})
		}),
	},
}

// checkImageGeometry refuses sizes no image can have.
func checkImageGeometry(w, h float64) error {
	for _, v := range []float64{w, h} {
		if v <= 0 || v > 100 || math.IsNaN(v) {
			return kurentoError(wire.ErrIllegalParam, "image width and height must be positive ratios (got %g×%g)", w, h)
		}
	}
	return nil
}

func init() { register(classImageOverlayFilter) }
