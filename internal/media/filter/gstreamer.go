package filter

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// Filter types of a GStreamerFilter (Kurento's FilterType).
const (
	TypeAutodetect = "AUTODETECT"
	TypeVideo      = "VIDEO"
	TypeAudio      = "AUDIO"
)

// GStreamer is Kurento's GStreamerFilter: a gst-launch description between
// decoding and encoding. Unlike KMS it takes whole descriptions (several
// elements), restricted by the server's element policy.
type GStreamer struct {
	Filter
	command    string
	filterType string
}

// NewGStreamer creates a GStreamerFilter running command on the video
// (TypeVideo), the audio (TypeAudio), or whichever the command takes
// (TypeAutodetect or ""): audio first, then video, as KMS decides (an
// element that takes both, e.g. identity, filters the audio). A command
// GStreamer cannot parse, or that uses a denied element, fails with the
// reason.
func NewGStreamer(ctx context.Context, p *media.Pipeline, o Options, command, filterType string) (*GStreamer, error) {
	var types []media.MediaType
	switch strings.ToUpper(filterType) {
	case TypeVideo:
		types = []media.MediaType{media.Video}
	case TypeAudio:
		types = []media.MediaType{media.Audio}
	case TypeAutodetect, "":
		types = []media.MediaType{media.Audio, media.Video}
		filterType = TypeAutodetect
	default:
		return nil, fmt.Errorf("filter type %q: want VIDEO, AUDIO or AUTODETECT", filterType)
	}
	var errs []error
	for _, mt := range types {
		f, err := newFilter(ctx, p, o, mt, process.Processing{Kind: process.ProcGStreamer, Command: command}, nil)
		if err == nil {
			return &GStreamer{Filter: f, command: command, filterType: filterType}, nil
		}
		errs = append(errs, err)
		if !errors.Is(err, process.ErrRejected) {
			break // not the command's fault: trying the other media type cannot help
		}
	}
	// The reason to report: not "could not link" of the media type the
	// command does not take, when the other attempt says more.
	for _, err := range errs {
		if !strings.Contains(err.Error(), "could not link") {
			return nil, err
		}
	}
	return nil, errs[0]
}

// Command returns the filter's gst-launch description.
func (g *GStreamer) Command() string { return g.command }

// SetElementProperty sets a property of the command's element (KMS), or of
// the first of its elements that has it; "name.property" picks the element
// by name.
func (g *GStreamer) SetElementProperty(ctx context.Context, name, value string) error {
	elem, prop := "", name
	if e, p, ok := strings.Cut(name, "."); ok {
		elem, prop = e, p
	}
	return g.Apply(ctx, "property:"+name, func(ctx context.Context, w *process.Element) error {
		return w.SetProperty(ctx, elem, prop, value)
	})
}
