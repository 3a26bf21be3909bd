package filter

import (
	"context"
	"errors"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// Window is a rectangle in pixels of the video (Kurento chroma's WindowParam).
type Window = process.Window

// Chroma is Kurento's ChromaFilter (module chroma): the colour seen in the
// calibration window is replaced by a background image.
type Chroma struct{ Filter }

// NewChroma creates a ChromaFilter in p that learns the colour to key in
// window; background ("" = none yet) is shown where that colour is.
func NewChroma(ctx context.Context, p *media.Pipeline, o Options, window Window, background string) (*Chroma, error) {
	if window.Width <= 0 || window.Height <= 0 || window.X < 0 || window.Y < 0 {
		return nil, errors.New("chroma window needs a positive size and a position inside the frame")
	}
	f, err := newFilter(ctx, p, o, media.Video, process.Processing{Kind: process.ProcChroma, Window: &window}, nil)
	if err != nil {
		return nil, err
	}
	c := &Chroma{f}
	if background != "" {
		if err := c.SetBackground(ctx, background); err != nil {
			c.Release()
			return nil, err
		}
	}
	return c, nil
}

// SetBackground shows the image at uri where the keyed colour is.
func (c *Chroma) SetBackground(ctx context.Context, uri string) error {
	return c.Apply(ctx, "background", func(ctx context.Context, w *process.Element) error { return w.SetBackground(ctx, uri) })
}

// UnsetBackground stops replacing the keyed colour.
func (c *Chroma) UnsetBackground(ctx context.Context) error {
	return c.Remove(ctx, "background", func(ctx context.Context, w *process.Element) error { return w.UnsetBackground(ctx) })
}
