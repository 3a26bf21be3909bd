package filter

import (
	"context"
	"log/slog"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
)

// Options are what every filter needs from its creator.
type Options struct {
	// Backend creates the worker elements (the server's process.Manager).
	Backend procelem.Backend
	// Key is the MediaPipeline's id: one worker per pipeline.
	Key string
	// Events receives the filter's events.
	Events media.EventHandler
	// Bitrates bound the video encoder (nil: KMS's defaults).
	Bitrates *procelem.Bitrates
	// Queue sizes the input queue.
	Queue  media.QueueConfig
	Logger *slog.Logger
}

// Filter is what every filter is: a procelem.Element.
type Filter struct {
	*procelem.Element
}

// newFilter creates a filter of kind on mt; onEvent receives the worker's events.
func newFilter(ctx context.Context, p *media.Pipeline, o Options, mt media.MediaType, proc process.Processing, onEvent func(*procelem.Element, process.Event)) (Filter, error) {
	el, err := procelem.New(ctx, p, procelem.Config{
		Backend: o.Backend, Key: o.Key, Media: mt, Processing: proc, ForwardOthers: true,
		Bitrates: o.Bitrates, Queue: o.Queue, Events: o.Events, OnEvent: onEvent, Logger: o.Logger,
	})
	if err != nil {
		return Filter{}, err
	}
	return Filter{el}, nil
}

// FaceOverlay is Kurento's FaceOverlayFilter: an image over each face
// detected in the video.
type FaceOverlay struct{ Filter }

// NewFaceOverlay creates a FaceOverlayFilter in p.
func NewFaceOverlay(ctx context.Context, p *media.Pipeline, o Options) (*FaceOverlay, error) {
	f, err := newFilter(ctx, p, o, media.Video, process.Processing{Kind: process.ProcFaceOverlay}, nil)
	if err != nil {
		return nil, err
	}
	return &FaceOverlay{f}, nil
}

// SetOverlayedImage shows the image at uri over every face: offsets and
// size are ratios of the face's size (KMS's "percent" parameters are
// ratios). The image is fetched once; an unreachable or undecodable one is
// an error.
func (f *FaceOverlay) SetOverlayedImage(ctx context.Context, uri string, offsetX, offsetY, width, height float64) error {
	img := process.Image{URI: uri, OffsetX: offsetX, OffsetY: offsetY, Width: width, Height: height}
	return f.Apply(ctx, "overlay", func(ctx context.Context, w *process.Element) error { return w.SetOverlayImage(ctx, img) })
}

// UnsetOverlayedImage stops overlaying faces.
func (f *FaceOverlay) UnsetOverlayedImage(ctx context.Context) error {
	return f.Remove(ctx, "overlay", func(ctx context.Context, w *process.Element) error { return w.UnsetOverlayImage(ctx) })
}

// ImageOverlay is Kurento's ImageOverlayFilter: images at fixed places of
// the frame.
type ImageOverlay struct{ Filter }

// NewImageOverlay creates an ImageOverlayFilter in p.
func NewImageOverlay(ctx context.Context, p *media.Pipeline, o Options) (*ImageOverlay, error) {
	f, err := newFilter(ctx, p, o, media.Video, process.Processing{Kind: process.ProcImageOverlay}, nil)
	if err != nil {
		return nil, err
	}
	return &ImageOverlay{f}, nil
}

// AddImage adds (or replaces) image id; geometry in ratios of the frame.
func (f *ImageOverlay) AddImage(ctx context.Context, id, uri string, offsetX, offsetY, width, height float64, keepAspectRatio, center bool) error {
	img := process.Image{ID: id, URI: uri, OffsetX: offsetX, OffsetY: offsetY, Width: width, Height: height,
		KeepAspectRatio: keepAspectRatio, Center: center}
	return f.Apply(ctx, "image:"+id, func(ctx context.Context, w *process.Element) error { return w.AddImage(ctx, img) })
}

// RemoveImage removes image id.
func (f *ImageOverlay) RemoveImage(ctx context.Context, id string) error {
	return f.Remove(ctx, "image:"+id, func(ctx context.Context, w *process.Element) error { return w.RemoveImage(ctx, id) })
}
