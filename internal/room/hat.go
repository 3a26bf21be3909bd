package room

import (
	"context"
	"fmt"

	"github.com/gorento/gorento/pkg/kurento"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// HatOptions place the hat image relative to a detected face (percentages
// of the face size, as FaceOverlayFilter.setOverlayedImage takes them).
type HatOptions struct {
	ImageURL                        string
	OffsetX, OffsetY, Width, Height float64
}

// DefaultHat is the Kurento Room demo's hat placement.
var DefaultHat = HatOptions{OffsetX: -0.35, OffsetY: -1.2, Width: 1.6, Height: 1.6}

// HatFilter is the room demo's customRequest: {"hat": true} puts a
// FaceOverlayFilter with a hat on the caller's published video (so every
// subscriber and its own loopback see it), {"hat": false} removes it.
func HatFilter(o HatOptions) CustomRequestHandler {
	return func(ctx context.Context, p *Participant, params map[string]any) (map[string]any, error) {
		on, ok := params["hat"].(bool)
		if !ok {
			return nil, roomError(CodeUnexpected, "Request element 'hat' is missing")
		}
		if !on {
			if err := p.RemoveFilter(ctx); err != nil {
				return nil, roomError(CodeUnexpected, "This user has no HAT filter yet")
			}
			return map[string]any{}, nil
		}
		err := p.InsertFilter(ctx, func(pipe *kurento.MediaPipeline) (*kurento.MediaElement, error) {
			id, err := pipe.Client().Create(ctx, "FaceOverlayFilter", map[string]any{"mediaPipeline": pipe.ID()})
			if err != nil {
				if kurento.IsCode(err, wire.ErrObjectNotAvailable) {
					return nil, roomError(CodeUnexpected, "The hat needs a FaceOverlayFilter, which is not available on this media server (%v)", err)
				}
				return nil, roomError(CodeUnexpected, "Cannot create the hat filter: %v", err)
			}
			f := pipe.Client().Element(id)
			if err := f.Invoke(ctx, "setOverlayedImage", map[string]any{"uri": o.ImageURL, "offsetXPercent": o.OffsetX,
				"offsetYPercent": o.OffsetY, "widthPercent": o.Width, "heightPercent": o.Height}, nil); err != nil {
				_ = f.Release(context.Background())
				return nil, fmt.Errorf("setting the hat image: %w", err)
			}
			return f, nil
		})
		if err != nil {
			return nil, err
		}
		return map[string]any{}, nil
	}
}
