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
	Events: []string{"ElementConnected", "ElementDisconnected", "MediaFlowOutStateChanged",
		"MediaFlowInStateChanged", "MediaTranscodingStateChanged"},
	Props: []*Property{
		storedProperty("encoderBitrate", "int", 300000),
		storedProperty("minEncoderBitrate", "int", 0),
		storedProperty("maxEncoderBitrate", "int", 0),
	},
	Methods: append([]*Method{
		{Name: "connect", Params: connectParams, Fn: connectElements},
		{Name: "disconnect", Params: connectParams, Fn: disconnectElements},
		{Name: "getSourceConnections", Params: []ParamSpec{{"mediaType", "MediaType", false}, {"description", "String", false}},
			Fn: func(c *call, p *params) (any, error) { return connections(c, p, true) }},
		{Name: "getSinkConnections", Params: []ParamSpec{{"mediaType", "MediaType", false}, {"description", "String", false}},
			Fn: func(c *call, p *params) (any, error) { return connections(c, p, false) }},
		{Name: "setAudioFormat", Params: []ParamSpec{{"caps", "AudioCaps", true}}, Fn: refuseTranscoding},
		{Name: "setVideoFormat", Params: []ParamSpec{{"caps", "VideoCaps", true}}, Fn: refuseTranscoding},
		{Name: "getStats", Params: []ParamSpec{{"mediaType", "MediaType", false}}, Fn: elementStats},
		{Name: "isMediaFlowingIn", Params: flowParams("sinkMediaDescription"), Fn: func(c *call, p *params) (any, error) { return isFlowing(c, p, "sinkMediaDescription", true) }},
		{Name: "isMediaFlowingOut", Params: flowParams("sourceMediaDescription"), Fn: func(c *call, p *params) (any, error) { return isFlowing(c, p, "sourceMediaDescription", false) }},
		{Name: "isMediaTranscoding", Params: flowParams("binName"), Fn: isTranscoding},
	}, dotMethods...),
}

var connectParams = []ParamSpec{{"sink", "MediaElement", true}, {"mediaType", "MediaType", false},
	{"sourceMediaDescription", "String", false}, {"sinkMediaDescription", "String", false}}

func flowParams(desc string) []ParamSpec {
	return []ParamSpec{{"mediaType", "MediaType", true}, {desc, "String", false}}
}

var classPassThrough = &Class{
	Name:   "PassThrough",
	Parent: classMediaElement,
	Module: "core",
	New: func(cc *createCall) error {
		pipe, err := cc.pipelineParam()
		if err != nil {
			return err
		}
		o := cc.newObject(pipe)
		pt, err := media.NewPassThrough(o.mediaPipeline(), cc.server.mediaEvents(o))
		if err != nil {
			return mediaError(err)
		}
		pt.Core().Owner = o
		o.impl = pt
		return nil
	},
}

// connectArgs are the resolved arguments of connect/disconnect.
type connectArgs struct {
	sink              *Object
	types             []media.MediaType
	srcDesc, sinkDesc string
	source, sinkElem  media.Element
}

func parseConnect(c *call, p *params) (*connectArgs, error) {
	sink, err := c.objectParam(p, "sink")
	if err != nil {
		return nil, err
	}
	if !sink.class.isA("MediaElement") {
		return nil, errParamType("sink", "MediaElement")
	}
	mt, err := p.OptMediaType("mediaType")
	if err != nil {
		return nil, err
	}
	a := &connectArgs{sink: sink, types: media.AllMediaTypes, source: c.obj.element(), sinkElem: sink.element()}
	if mt != nil {
		a.types = []media.MediaType{*mt}
	}
	if a.srcDesc, err = p.OptString("sourceMediaDescription", media.DefaultPad); err != nil {
		return nil, err
	}
	if a.sinkDesc, err = p.OptString("sinkMediaDescription", media.DefaultPad); err != nil {
		return nil, err
	}
	if a.source == nil || a.sinkElem == nil {
		return nil, errObjectNotFound(sink.id)
	}
	if c.obj.pipeline != sink.pipeline {
		return nil, kurentoError(wire.ErrConnect, "Media elements do not share pipeline")
	}
	return a, nil
}

func connectElements(c *call, p *params) (any, error) {
	a, err := parseConnect(c, p)
	if err != nil {
		return nil, err
	}
	for _, mt := range a.types {
		if err := media.Connect(a.source, a.sinkElem, mt, a.srcDesc, a.sinkDesc); err != nil {
			return nil, mediaError(err)
		}
	}
	return nil, nil
}

func disconnectElements(c *call, p *params) (any, error) {
	a, err := parseConnect(c, p)
	if err != nil {
		return nil, err
	}
	for _, mt := range a.types {
		err := media.Disconnect(a.source, a.sinkElem, mt, a.srcDesc, a.sinkDesc)
		if err != nil && !errors.Is(err, media.ErrNotConnected) {
			return nil, mediaError(err)
		}
	}
	return nil, nil
}

func connections(c *call, p *params, sources bool) (any, error) {
	mt, err := p.OptMediaType("mediaType")
	if err != nil {
		return nil, err
	}
	desc, err := p.OptString("description", "")
	if err != nil {
		return nil, err
	}
	e := c.obj.element()
	f := media.ConnectionFilter{MediaType: mt, Desc: desc}
	var list []media.Connection
	if sources {
		list = e.Core().SourceConnections(f)
	} else {
		list = e.Core().SinkConnections(f)
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
	return out, nil
}

// refuseTranscoding answers setAudioFormat/setVideoFormat: Gorento forwards
// media without decoding it, so it cannot force an output format.
func refuseTranscoding(c *call, p *params) (any, error) {
	return nil, errNotImplemented("Forcing a media format (transcoding)")
}

func isFlowing(c *call, p *params, descName string, in bool) (any, error) {
	mt, err := p.MediaType("mediaType")
	if err != nil {
		return nil, err
	}
	desc, err := p.OptString(descName, media.DefaultPad)
	if err != nil {
		return nil, err
	}
	if mt == media.Data {
		return nil, kurentoError(wire.ErrIllegalParam, "DATA is not a valid media type for this method")
	}
	core := c.obj.element().Core()
	if in {
		return core.IsFlowingIn(mt, desc), nil
	}
	return core.IsFlowingOut(mt, desc), nil
}

// isTranscoding is always false: Gorento never transcodes.
func isTranscoding(c *call, p *params) (any, error) {
	mt, err := p.MediaType("mediaType")
	if err != nil {
		return nil, err
	}
	if _, err := p.OptString("binName", media.DefaultPad); err != nil {
		return nil, err
	}
	if mt == media.Data {
		return nil, kurentoError(wire.ErrIllegalParam, "DATA is not a valid media type for this method")
	}
	return false, nil
}

// elementStats is getStats for elements without RTP sessions: an
// ElementStats entry with input latencies while the pipeline measures them,
// otherwise an empty map (null, as KMS serialises it).
func elementStats(c *call, p *params) (any, error) {
	mt, err := p.OptMediaType("mediaType")
	if err != nil {
		return nil, err
	}
	pipe := c.obj.mediaPipeline()
	if pipe == nil || !pipe.LatencyStats() {
		return nil, nil
	}
	st := wire.ElementStats{
		StatsBase:    wire.StatsBase{Complex: wire.NewComplex("ElementStats"), ID: c.obj.id, Type: wire.StatsElement, TimestampMillis: nowFunc().UnixMilli()},
		InputLatency: inputLatencies(c.obj.element(), mt),
	}
	return map[string]any{c.obj.id: st}, nil
}

// inputLatencies reports the latency to each default sink pad.
func inputLatencies(e media.Element, only *media.MediaType) []wire.MediaLatencyStat {
	out := []wire.MediaLatencyStat{}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		if only != nil && *only != mt {
			continue
		}
		if avg, ok := e.Core().InputLatency(mt); ok {
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
