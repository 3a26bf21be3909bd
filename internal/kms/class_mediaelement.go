package kms

import (
	"errors"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classMediaElement = &Class{
	Name:     "MediaElement",
	Parent:   classMediaObject,
	Abstract: true,
	Module:   "core",
	Events: []EventSpec{
		raises("ElementConnected", func(e media.ElementConnected) wire.Event { return elementConnection(media.ElementDisconnected(e)) }),
		raises("ElementDisconnected", elementConnection),
		raises("MediaFlowOutStateChanged", func(e media.MediaFlowOut) wire.Event { return mediaFlow(media.MediaFlowIn(e)) }),
		raises("MediaFlowInStateChanged", mediaFlow),
		raises("MediaTranscodingStateChanged", transcodingEvent),
	},
	Props: []*Property{
		encoderBitrateProperty("encoderBitrate", 300000),
		encoderBitrateProperty("minEncoderBitrate", 0),
		encoderBitrateProperty("maxEncoderBitrate", 0),
	},
	Methods: append([]*Method{
		method("connect", "", func(c *call, in connectParams) (any, error) {
			return nil, forEachType(c, in, func(src, sink media.Element, mt media.MediaType) error {
				return media.Connect(src, sink, mt, in.SourceDesc, in.SinkDesc)
			})
		}),
		method("disconnect", "", func(c *call, in connectParams) (any, error) {
			return nil, forEachType(c, in, func(src, sink media.Element, mt media.MediaType) error {
				if err := media.Disconnect(src, sink, mt, in.SourceDesc, in.SinkDesc); !errors.Is(err, media.ErrNotConnected) {
					return err
				}
				return nil
			})
		}),
		method("getSourceConnections", "ElementConnectionData[]", func(c *call, in connectionQuery) (any, error) {
			return connections(c, in, true), nil
		}),
		method("getSinkConnections", "ElementConnectionData[]", func(c *call, in connectionQuery) (any, error) {
			return connections(c, in, false), nil
		}),
		method("setAudioFormat", "", setAudioFormat),
		method("setVideoFormat", "", setVideoFormat),
		method("getStats", "Stats<>", elementStats),
		method("isMediaFlowingIn", "boolean", func(c *call, in struct {
			MediaType media.MediaType `kurento:"mediaType"`
			Desc      string          `kurento:"sinkMediaDescription,default=default"`
		}) (any, error) {
			return isFlowing(c, in.MediaType, in.Desc, (*media.Core).IsFlowingIn)
		}),
		method("isMediaFlowingOut", "boolean", func(c *call, in struct {
			MediaType media.MediaType `kurento:"mediaType"`
			Desc      string          `kurento:"sourceMediaDescription,default=default"`
		}) (any, error) {
			return isFlowing(c, in.MediaType, in.Desc, (*media.Core).IsFlowingOut)
		}),
		method("isMediaTranscoding", "boolean", func(c *call, in struct {
			MediaType media.MediaType `kurento:"mediaType"`
			BinName   string          `kurento:"binName,default=default"`
		}) (any, error) {
			return isMediaTranscoding(c, in.MediaType, in.BinName)
		}),
	}, dotMethods()...),
}

// connectParams are the parameters of connect and disconnect.
type connectParams struct {
	Sink       *Object          `kurento:"sink,type=MediaElement"`
	MediaType  *media.MediaType `kurento:"mediaType,optional"`
	SourceDesc string           `kurento:"sourceMediaDescription,default=default"`
	SinkDesc   string           `kurento:"sinkMediaDescription,default=default"`
}

// forEachType applies op to the connection of c's element to the sink, for
// the given media type or, without one, for each (KMS connects all three).
func forEachType(c *call, in connectParams, op func(src, sink media.Element, mt media.MediaType) error) error {
	src, sink := c.obj.element(), in.Sink.element()
	if src == nil || sink == nil {
		return errObjectNotFound(in.Sink.id)
	}
	if c.obj.pipeline != in.Sink.pipeline {
		return kurentoError(wire.ErrConnect, "Media elements do not share pipeline")
	}
	types := media.AllMediaTypes
	if in.MediaType != nil {
		types = []media.MediaType{*in.MediaType}
	}
	for _, mt := range types {
		if err := op(src, sink, mt); err != nil {
			return mediaError(err)
		}
	}
	return nil
}

// connectionQuery are the parameters of get{Source,Sink}Connections.
type connectionQuery struct {
	MediaType *media.MediaType `kurento:"mediaType,optional"`
	Desc      string           `kurento:"description,optional"`
}

func connections(c *call, in connectionQuery, sources bool) []wire.ElementConnectionData {
	core := c.obj.element().Core()
	f := media.ConnectionFilter{MediaType: in.MediaType, Desc: in.Desc}
	var list []media.Connection
	if sources {
		list = core.SourceConnections(f)
	} else {
		list = core.SinkConnections(f)
	}
	out := make([]wire.ElementConnectionData, 0, len(list))
	for _, cn := range list {
		src, _ := cn.Source.Core().Owner.(*Object)
		sink, _ := cn.Sink.Core().Owner.(*Object)
		if src == nil || sink == nil {
			continue
		}
		out = append(out, wire.ElementConnectionData{
			Complex: wire.NewComplex("ElementConnectionData"), Source: src.id, Sink: sink.id,
			Type: mediaTypeName(cn.MediaType), SourceDescription: cn.SourceDesc, SinkDescription: cn.SinkDesc,
		})
	}
	return out
}

// isFlowing answers isMediaFlowingIn/Out with the element's pad state.
func isFlowing(c *call, mt media.MediaType, desc string, flowing func(*media.Core, media.MediaType, string) bool) (any, error) {
	if err := refuseData(mt); err != nil {
		return nil, err
	}
	return flowing(c.obj.element().Core(), mt, desc), nil
}

func refuseData(mt media.MediaType) error {
	if mt == media.Data {
		return kurentoError(wire.ErrIllegalParam, "DATA is not a valid media type for this method")
	}
	return nil
}

type statsQuery struct {
	MediaType *media.MediaType `kurento:"mediaType,optional"`
}

// elementStats is getStats for elements without RTP sessions: an
// ElementStats entry with input latencies while the pipeline measures them,
// otherwise an empty map (null, as KMS serialises it).
func elementStats(c *call, in statsQuery) (any, error) {
	pipe := c.obj.mediaPipeline()
	if pipe == nil || !pipe.LatencyStats() {
		return nil, nil
	}
	st := wire.ElementStats{
		StatsBase:    wire.StatsBase{Complex: wire.NewComplex("ElementStats"), ID: c.obj.id, Type: wire.StatsElement, TimestampMillis: nowFunc().UnixMilli()},
		InputLatency: latencyList(func(mt media.MediaType) (float64, bool) { return c.obj.element().Core().InputLatency(mt) }, in.MediaType),
	}
	return map[string]any{c.obj.id: st}, nil
}

// latencyList reports the latency to each default sink pad that has one.
func latencyList(latency func(media.MediaType) (float64, bool), only *media.MediaType) []wire.MediaLatencyStat {
	out := []wire.MediaLatencyStat{}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if only != nil && *only != mt {
			continue
		}
		if avg, ok := latency(mt); ok {
			out = append(out, wire.MediaLatencyStat{Complex: wire.NewComplex("MediaLatencyStat"),
				Name: "sink_" + strings.ToLower(mediaTypeName(mt)) + "_default", Type: mediaTypeName(mt), Avg: avg})
		}
	}
	return out
}

// mediaError maps engine errors to Kurento errors.
func mediaError(err error) error {
	switch {
	case errors.Is(err, media.ErrOtherPipeline):
		return kurentoError(wire.ErrConnect, "Media elements do not share pipeline")
	case errors.Is(err, media.ErrConnectionLoop):
		return kurentoError(wire.ErrConnect, "Connection refused: it would make media loop between forwarding elements")
	case errors.Is(err, media.ErrReleased):
		return kurentoError(wire.ErrObjectNotFound, "Object was released")
	}
	return kurentoError(wire.ErrUnexpected, "%v", err)
}

func elementConnection(e media.ElementDisconnected) wire.Event {
	return &wire.ElementConnection{Sink: objectID(e.Sink), MediaType: mediaTypeName(e.MediaType),
		SourceMediaDescription: e.SourceDesc, SinkMediaDescription: e.SinkDesc}
}

func mediaFlow(e media.MediaFlowIn) wire.Event {
	return &wire.MediaFlowStateChange{State: flowState(e.Flowing), PadName: e.Pad, MediaType: mediaTypeName(e.MediaType)}
}

func init() { register(classMediaElement) }
