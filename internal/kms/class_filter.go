package kms

import (
	"context"
	"errors"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/filter"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// classFilter is Kurento's base of every filter: a MediaElement that
// processes media (in a gorento-worker process, see docs/processing.md).
var classFilter = &Class{
	Name: "Filter", Parent: classMediaElement, Abstract: true, Module: "core",
	Events: []EventSpec{
		// A worker that crashed or hung, or a GStreamer error: KMS reports
		// element errors with the GStreamer error's type and code.
		raises("Error", func(e media.ErrorEvent) wire.Event {
			return errorEvent(e, []errorKind{{procelem.ErrProcessing, "STREAM_ERROR_FAILED", 1}})
		}),
	},
}

// classOpenCVFilter is the abstract base of KMS's OpenCV filters (module
// filters); it adds nothing to Filter.
var classOpenCVFilter = &Class{Name: "OpenCVFilter", Parent: classFilter, Abstract: true, Module: "filters"}

// filterTimeout bounds creating a filter's worker element or changing a
// setting (starting a worker, fetching an image).
const filterTimeout = 20 * time.Second

// filterOptions are the options every filter of object o is created with.
func filterOptions(cc *createCall, o *Object) (filter.Options, error) {
	if cc.server.cfg.Processing == nil {
		return filter.Options{}, kurentoError(wire.ErrObjectNotAvailable,
			"%s needs media processing, which this server was started without", cc.class.Name)
	}
	b := encoderBitrates(o)
	return filter.Options{Backend: cc.server.cfg.Processing, Key: o.pipeline.id, Events: cc.server.mediaEvents(o),
		Bitrates: &b, Logger: cc.server.log}, nil
}

// newFilterObject creates the object of a filter made by create.
func newFilterObject[F media.Element](cc *createCall, pipeline *Object, create func(ctx context.Context, p *media.Pipeline, o filter.Options) (F, error)) error {
	o := cc.newObject(pipeline)
	opts, err := filterOptions(cc, o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), filterTimeout)
	defer cancel()
	f, err := create(ctx, o.mediaPipeline(), opts)
	if err != nil {
		return processingError(cc.class.Name, err)
	}
	f.Core().Owner = o
	o.impl = f
	return nil
}

// filterCall runs a setting of the filter implementing c's object.
func filterCall[F any](c *call, op func(ctx context.Context, f F) error) (any, error) {
	f, ok := c.obj.impl.(F)
	if !ok {
		return nil, errObjectNotFound(c.obj.id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), filterTimeout)
	defer cancel()
	if err := op(ctx, f); err != nil {
		return nil, processingError(c.obj.class.Name, err)
	}
	return nil, nil
}

// processingError maps processing failures to Kurento errors that say why.
func processingError(class string, err error) error {
	switch {
	case errors.Is(err, process.ErrWorkerNotFound), errors.Is(err, process.ErrWorkerStart):
		return kurentoError(wire.ErrObjectNotAvailable, "%s is not available: %v", class, err)
	case errors.Is(err, process.ErrTooManyWorkers):
		return kurentoError(wire.ErrNotEnoughResources, "%s: %v", class, err)
	case errors.Is(err, process.ErrRejected):
		return kurentoError(wire.ErrMarshall, "%s: %v", class, err)
	case errors.Is(err, media.ErrReleased):
		return mediaError(err)
	}
	return kurentoError(wire.ErrUnexpected, "%s: %v", class, err)
}

// encoderBitrates reads the encoder bitrate properties of o.
func encoderBitrates(o *Object) procelem.Bitrates {
	get := func(name string, def int) int {
		if v, ok := o.attr(func(o *Object) any { return o.values[name] }).(int); ok {
			return v
		}
		return def
	}
	return procelem.Bitrates{Target: get("encoderBitrate", procelem.DefaultBitrates.Target),
		Min: get("minEncoderBitrate", 0), Max: get("maxEncoderBitrate", 0)}
}

// bitrateSetter is implemented by elements that encode (filters).
type bitrateSetter interface{ SetBitrates(procelem.Bitrates) }

// encoderBitrateProperty is a MediaElement encoder bitrate property: kept on
// the object and applied to the element when it encodes.
func encoderBitrateProperty(name string, def int) *Property {
	p := storedProperty(name, "int", def)
	store := p.set.invoke
	p.set.invoke = func(c *call, in *params) (any, error) {
		r, err := store(c, in)
		if err == nil {
			if s, ok := c.obj.impl.(bitrateSetter); ok {
				s.SetBitrates(encoderBitrates(c.obj))
			}
		}
		return r, err
	}
	return p
}

func init() { register(classFilter, classOpenCVFilter) }
