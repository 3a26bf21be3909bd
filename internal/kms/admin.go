package kms

import (
	"encoding/json"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// The admin view: what the admin console (internal/app/admin.go) shows of
// the server and what it may do. It sees every credential's objects.

// PipelineView is one pipeline with its elements and connections: the
// data getGstreamerDot renders.
type PipelineView struct {
	ID         string        `json:"id"`
	Name       string        `json:"name"`
	Created    time.Time     `json:"created"`
	Credential string        `json:"credential,omitempty"`
	Sessions   []string      `json:"sessions"`
	Elements   []ElementView `json:"elements"`
	Links      []LinkView    `json:"links"`
}

// ElementView is one element: its class, states and, for endpoints, the
// counters of its RTP streams.
type ElementView struct {
	ID      string            `json:"id"`
	Class   string            `json:"class"`
	Name    string            `json:"name"`
	State   map[string]string `json:"state"`
	Streams []StreamView      `json:"streams,omitempty"`
}

// StreamView is one RTP stream of an endpoint ("in": received).
type StreamView struct {
	Kind      string  `json:"kind"`
	Direction string  `json:"direction"`
	SSRC      uint32  `json:"ssrc"`
	Packets   uint64  `json:"packets"`
	Bytes     uint64  `json:"bytes"`
	Lost      int64   `json:"lost"`
	Jitter    float64 `json:"jitterSeconds"`
	RTT       float64 `json:"rttSeconds,omitempty"`
	NACK      uint32  `json:"nack"`
	PLI       uint32  `json:"pli"`
	FIR       uint32  `json:"fir"`
}

// LinkView is one connection.
type LinkView struct {
	Source    string `json:"source"`
	Sink      string `json:"sink"`
	MediaType string `json:"mediaType"`
	SourcePad string `json:"sourcePad"`
	SinkPad   string `json:"sinkPad"`
	Flowing   bool   `json:"flowing"`
}

// SessionView is one Kurento session.
type SessionView struct {
	ID         string `json:"id"`
	Credential string `json:"credential,omitempty"`
	Connected  bool   `json:"connected"`
	Objects    int    `json:"objects"`
}

// EventView is one event an element raised.
type EventView struct {
	Time   time.Time       `json:"time"`
	Object string          `json:"object"`
	Type   string          `json:"type"`
	Data   json.RawMessage `json:"data"`
}

// Pipelines describes every live pipeline, oldest first.
func (s *Server) Pipelines() []PipelineView {
	var out []PipelineView
	for _, p := range s.pipelines() {
		out = append(out, s.pipelineView(p))
	}
	return out
}

// Pipeline describes one pipeline; false if there is none with id.
func (s *Server) Pipeline(id string) (PipelineView, bool) {
	s.mu.Lock()
	p := s.objects[id]
	s.mu.Unlock()
	if p == nil || !p.class.isA("MediaPipeline") {
		return PipelineView{}, false
	}
	return s.pipelineView(p), true
}

func (s *Server) pipelineView(p *Object) PipelineView {
	v := PipelineView{ID: p.id, Name: p.attr(func(o *Object) any { return o.name }).(string), Created: p.created,
		Credential: p.owner, Sessions: []string{}, Elements: []ElementView{}, Links: []LinkView{}}
	s.mu.Lock()
	for id := range p.sessions {
		v.Sessions = append(v.Sessions, id)
	}
	s.mu.Unlock()
	nodes, links := s.graph(p)
	for _, n := range nodes {
		v.Elements = append(v.Elements, elementView(n.obj))
	}
	for _, l := range links {
		v.Links = append(v.Links, LinkView{Source: l.source.id, Sink: l.sink.id, MediaType: mediaTypeName(l.mediaType),
			SourcePad: l.sourcePad, SinkPad: l.sinkPad, Flowing: l.flowing})
	}
	return v
}

func elementView(o *Object) ElementView {
	v := ElementView{ID: o.id, Class: o.class.Name, Name: o.attr(func(o *Object) any { return o.name }).(string), State: map[string]string{}}
	el := o.element()
	if el == nil {
		return v
	}
	for _, mt := range []media.MediaType{media.Audio, media.Video} {
		v.State["flowIn:"+mediaTypeName(mt)] = flowState(el.Core().IsFlowingIn(mt, media.DefaultPad))
		v.State["flowOut:"+mediaTypeName(mt)] = flowState(el.Core().IsFlowingOut(mt, media.DefaultPad))
	}
	if ep, ok := el.(*webrtcep.Endpoint); ok {
		st := ep.State()
		v.State["ice"], v.State["dtls"] = iceStateName(st.ICE), dtlsStateName(st.DTLS)
		v.State["media"], v.State["connection"] = connectionState(st.MediaConnected), connectionState(st.ConnectionConnected)
		for _, r := range ep.Stats(nil).RTP {
			dir := "out"
			if r.Inbound {
				dir = "in"
			}
			v.Streams = append(v.Streams, StreamView{Kind: r.Kind.String(), Direction: dir, SSRC: r.SSRC, Packets: r.Packets,
				Bytes: r.Bytes, Lost: r.PacketsLost, Jitter: r.Jitter, RTT: r.RoundTripTime, NACK: r.NACK, PLI: r.PLI, FIR: r.FIR})
		}
	}
	return v
}

// Dot renders a pipeline's graph as getGstreamerDot does ("" if there is none).
func (s *Server) Dot(id string) string {
	s.mu.Lock()
	p := s.objects[id]
	s.mu.Unlock()
	if p == nil {
		return ""
	}
	return s.dot(p)
}

// Sessions describes every Kurento session.
func (s *Server) Sessions() []SessionView {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SessionView, 0, len(s.sessions))
	for _, sess := range s.sessions {
		out = append(out, SessionView{ID: sess.id, Credential: sess.credential, Connected: sess.conn != nil, Objects: len(sess.objects)})
	}
	return out
}

// ReleasePipeline releases a pipeline and everything in it, as a client's
// release would; false if there is none with id.
func (s *Server) ReleasePipeline(id string) bool {
	s.mu.Lock()
	p := s.objects[id]
	s.mu.Unlock()
	if p == nil || !p.class.isA("MediaPipeline") {
		return false
	}
	s.log.Info("releasing pipeline (admin)", "pipeline", id)
	s.release(p)
	return true
}

// Events returns the last events raised in a pipeline, oldest first.
func (s *Server) Events(pipeline string) []EventView {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]EventView{}, s.events[pipeline]...)
}

// eventsKept is how many recent events the admin view keeps per pipeline.
const eventsKept = 100

// recordEvent keeps an event of o for the admin view. Events are rare next
// to packets; each is marshalled once, here.
func (s *Server) recordEvent(o *Object, typ string, ev wire.Event) {
	if o.pipeline == nil {
		return
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return
	}
	e := EventView{Time: time.Now(), Object: o.id, Type: typ, Data: data}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.pipeline.released {
		return // forgotten already (forgetEvents)
	}
	list := s.events[o.pipeline.id]
	if len(list) >= eventsKept {
		list = append(list[:0], list[1:]...)
	}
	s.events[o.pipeline.id] = append(list, e)
}

// forgetEvents drops the events of a released pipeline.
func (s *Server) forgetEvents(o *Object) {
	if o.class.isA("MediaPipeline") {
		s.mu.Lock()
		delete(s.events, o.id)
		s.mu.Unlock()
	}
}
