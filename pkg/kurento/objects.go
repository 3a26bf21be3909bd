package kurento

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

const serverManagerID = "manager_ServerManager"

// Object is any remote media object handle.
type Object interface {
	base() *MediaObject
}

// MediaObject is the handle of any remote object: pipelines, elements and
// the ServerManager.
type MediaObject struct {
	c  *Client
	id string
}

func (o *MediaObject) base() *MediaObject { return o }

// ID returns the object's Kurento id.
func (o *MediaObject) ID() string { return o.id }

// Client returns the client the handle belongs to.
func (o *MediaObject) Client() *Client { return o.c }

// Invoke calls an operation; the result value is decoded into out when non-nil.
func (o *MediaObject) Invoke(ctx context.Context, op string, params map[string]any, out any) error {
	p := map[string]any{"object": o.id, "operation": op}
	if params != nil {
		p["operationParams"] = params
	}
	res, err := o.c.Call(ctx, "invoke", p)
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	var r struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(res, &r); err != nil {
		return fmt.Errorf("kurento: %s result: %w", op, err)
	}
	if err := json.Unmarshal(r.Value, out); err != nil {
		return fmt.Errorf("kurento: %s value: %w", op, err)
	}
	return nil
}

// Release releases the object on the server (a pipeline releases its
// elements) and forgets the local event handlers of the object and of its
// children: the server will never deliver their events again.
func (o *MediaObject) Release(ctx context.Context) error {
	_, err := o.c.Call(ctx, "release", map[string]any{"object": o.id})
	if err == nil {
		o.c.dropHandlers(o.id)
	}
	return err
}

// Name returns the object's name (its id unless set).
func (o *MediaObject) Name(ctx context.Context) (string, error) {
	var s string
	return s, o.Invoke(ctx, "getName", nil, &s)
}

// SetName sets the object's name.
func (o *MediaObject) SetName(ctx context.Context, name string) error {
	return o.Invoke(ctx, "setName", map[string]any{"name": name}, nil)
}

// AddTag sets a tag.
func (o *MediaObject) AddTag(ctx context.Context, key, value string) error {
	return o.Invoke(ctx, "addTag", map[string]any{"key": key, "value": value}, nil)
}

// RemoveTag removes a tag.
func (o *MediaObject) RemoveTag(ctx context.Context, key string) error {
	return o.Invoke(ctx, "removeTag", map[string]any{"key": key}, nil)
}

// Tag returns one tag value (error 40110 when absent).
func (o *MediaObject) Tag(ctx context.Context, key string) (string, error) {
	var s string
	return s, o.Invoke(ctx, "getTag", map[string]any{"key": key}, &s)
}

// Tags returns every tag.
func (o *MediaObject) Tags(ctx context.Context) ([]wire.Tag, error) {
	var t []wire.Tag
	return t, o.Invoke(ctx, "getTags", nil, &t)
}

// SetSendTagsInEvents makes events carry the object's tags.
func (o *MediaObject) SetSendTagsInEvents(ctx context.Context, on bool) error {
	return o.Invoke(ctx, "setSendTagsInEvents", map[string]any{"sendTagsInEvents": on}, nil)
}

// Children returns the ids of the object's children.
func (o *MediaObject) Children(ctx context.Context) ([]string, error) {
	var ids []string
	return ids, o.Invoke(ctx, "getChildren", nil, &ids)
}

// OnError subscribes to the object's Error events.
func (o *MediaObject) OnError(ctx context.Context, fn func(wire.ErrorEvent)) (*Subscription, error) {
	return On(ctx, o, "Error", fn)
}

// ServerManager is the server's singleton manager object.
type ServerManager struct{ MediaObject }

// ServerManager returns the handle of manager_ServerManager.
func (c *Client) ServerManager() *ServerManager {
	return &ServerManager{MediaObject{c: c, id: serverManagerID}}
}

// Info returns the server description and its modules.
func (m *ServerManager) Info(ctx context.Context) (wire.ServerInfo, error) {
	var i wire.ServerInfo
	return i, m.Invoke(ctx, "getInfo", nil, &i)
}

// Pipelines returns the ids of every pipeline on the server.
func (m *ServerManager) Pipelines(ctx context.Context) ([]string, error) {
	var ids []string
	return ids, m.Invoke(ctx, "getPipelines", nil, &ids)
}

// Sessions returns the ids of every session on the server.
func (m *ServerManager) Sessions(ctx context.Context) ([]string, error) {
	var ids []string
	return ids, m.Invoke(ctx, "getSessions", nil, &ids)
}

// CPUCount returns the number of CPUs of the server.
func (m *ServerManager) CPUCount(ctx context.Context) (int, error) {
	var n int
	return n, m.Invoke(ctx, "getCpuCount", nil, &n)
}

// UsedCPU returns the server's CPU usage (percent) measured over intervalMs.
func (m *ServerManager) UsedCPU(ctx context.Context, intervalMs int) (float64, error) {
	var f float64
	return f, m.Invoke(ctx, "getUsedCpu", map[string]any{"interval": intervalMs}, &f)
}

// UsedMemory returns the server's resident memory in KiB.
func (m *ServerManager) UsedMemory(ctx context.Context) (int64, error) {
	var n int64
	return n, m.Invoke(ctx, "getUsedMemory", nil, &n)
}

// OnObjectCreated subscribes to ObjectCreated.
func (m *ServerManager) OnObjectCreated(ctx context.Context, fn func(wire.ObjectCreated)) (*Subscription, error) {
	return On(ctx, m, "ObjectCreated", fn)
}

// OnObjectDestroyed subscribes to ObjectDestroyed.
func (m *ServerManager) OnObjectDestroyed(ctx context.Context, fn func(wire.ObjectDestroyed)) (*Subscription, error) {
	return On(ctx, m, "ObjectDestroyed", fn)
}

// MediaPipeline is a pipeline handle.
type MediaPipeline struct{ MediaObject }

// CreatePipeline creates a MediaPipeline.
func (c *Client) CreatePipeline(ctx context.Context) (*MediaPipeline, error) {
	id, err := c.Create(ctx, "MediaPipeline", nil)
	if err != nil {
		return nil, err
	}
	return &MediaPipeline{MediaObject{c: c, id: id}}, nil
}

// Pipeline returns a handle for an existing pipeline id.
func (c *Client) Pipeline(id string) *MediaPipeline { return &MediaPipeline{MediaObject{c: c, id: id}} }

// Create creates an object of any type and returns its id.
func (c *Client) Create(ctx context.Context, typ string, constructorParams map[string]any) (string, error) {
	p := map[string]any{"type": typ, "properties": map[string]any{}}
	if constructorParams != nil {
		p["constructorParams"] = constructorParams
	}
	res, err := c.Call(ctx, "create", p)
	if err != nil {
		return "", err
	}
	var r struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(res, &r); err != nil || r.Value == "" {
		return "", fmt.Errorf("kurento: create %s: no object id in %s", typ, res)
	}
	return r.Value, nil
}

// SetLatencyStats switches latency measurement for the pipeline.
func (p *MediaPipeline) SetLatencyStats(ctx context.Context, on bool) error {
	return p.Invoke(ctx, "setLatencyStats", map[string]any{"latencyStats": on}, nil)
}

// CreatePassThrough creates a PassThrough in the pipeline.
func (p *MediaPipeline) CreatePassThrough(ctx context.Context) (*PassThrough, error) {
	id, err := p.c.Create(ctx, "PassThrough", map[string]any{"mediaPipeline": p.id})
	if err != nil {
		return nil, err
	}
	return &PassThrough{MediaElement{MediaObject{c: p.c, id: id}}}, nil
}

// Element is any media element handle.
type Element interface {
	Object
	element() *MediaElement
}

// MediaElement is the handle of any element.
type MediaElement struct{ MediaObject }

func (e *MediaElement) element() *MediaElement { return e }

// Element returns a handle for an existing element id.
func (c *Client) Element(id string) *MediaElement { return &MediaElement{MediaObject{c: c, id: id}} }

// ConnectOptions restrict a connection to one media type and pad descriptions.
type ConnectOptions struct {
	MediaType              string // "", wire.MediaAudio, wire.MediaVideo or wire.MediaData
	SourceMediaDescription string
	SinkMediaDescription   string
}

func (o ConnectOptions) params(sink Element) map[string]any {
	p := map[string]any{"sink": sink.base().id}
	if o.MediaType != "" {
		p["mediaType"] = o.MediaType
	}
	if o.SourceMediaDescription != "" {
		p["sourceMediaDescription"] = o.SourceMediaDescription
	}
	if o.SinkMediaDescription != "" {
		p["sinkMediaDescription"] = o.SinkMediaDescription
	}
	return p
}

// Connect sends the element's media to sink.
func (e *MediaElement) Connect(ctx context.Context, sink Element, opts ConnectOptions) error {
	return e.Invoke(ctx, "connect", opts.params(sink), nil)
}

// Disconnect removes a connection to sink.
func (e *MediaElement) Disconnect(ctx context.Context, sink Element, opts ConnectOptions) error {
	return e.Invoke(ctx, "disconnect", opts.params(sink), nil)
}

// SourceConnections lists the connections feeding the element.
func (e *MediaElement) SourceConnections(ctx context.Context, mediaType string) ([]wire.ElementConnectionData, error) {
	return e.connections(ctx, "getSourceConnections", mediaType)
}

// SinkConnections lists the connections the element feeds.
func (e *MediaElement) SinkConnections(ctx context.Context, mediaType string) ([]wire.ElementConnectionData, error) {
	return e.connections(ctx, "getSinkConnections", mediaType)
}

func (e *MediaElement) connections(ctx context.Context, op, mediaType string) ([]wire.ElementConnectionData, error) {
	var p map[string]any
	if mediaType != "" {
		p = map[string]any{"mediaType": mediaType}
	}
	var out []wire.ElementConnectionData
	return out, e.Invoke(ctx, op, p, &out)
}

// IsMediaFlowingIn reports whether media of mediaType arrives at the element.
func (e *MediaElement) IsMediaFlowingIn(ctx context.Context, mediaType string) (bool, error) {
	var b bool
	return b, e.Invoke(ctx, "isMediaFlowingIn", map[string]any{"mediaType": mediaType}, &b)
}

// IsMediaFlowingOut reports whether media of mediaType leaves the element.
func (e *MediaElement) IsMediaFlowingOut(ctx context.Context, mediaType string) (bool, error) {
	var b bool
	return b, e.Invoke(ctx, "isMediaFlowingOut", map[string]any{"mediaType": mediaType}, &b)
}

// Stats returns the element's statistics ("" = every media type).
func (e *MediaElement) Stats(ctx context.Context, mediaType string) (Stats, error) {
	p := map[string]any{}
	if mediaType != "" {
		p["mediaType"] = mediaType
	}
	var s Stats
	return s, e.Invoke(ctx, "getStats", p, &s)
}

// OnElementConnected subscribes to ElementConnected.
func (e *MediaElement) OnElementConnected(ctx context.Context, fn func(wire.ElementConnection)) (*Subscription, error) {
	return On(ctx, e, "ElementConnected", fn)
}

// OnElementDisconnected subscribes to ElementDisconnected.
func (e *MediaElement) OnElementDisconnected(ctx context.Context, fn func(wire.ElementConnection)) (*Subscription, error) {
	return On(ctx, e, "ElementDisconnected", fn)
}

// OnMediaFlowIn subscribes to MediaFlowInStateChanged.
func (e *MediaElement) OnMediaFlowIn(ctx context.Context, fn func(wire.MediaFlowStateChange)) (*Subscription, error) {
	return On(ctx, e, "MediaFlowInStateChanged", fn)
}

// OnMediaFlowOut subscribes to MediaFlowOutStateChanged.
func (e *MediaElement) OnMediaFlowOut(ctx context.Context, fn func(wire.MediaFlowStateChange)) (*Subscription, error) {
	return On(ctx, e, "MediaFlowOutStateChanged", fn)
}

// PassThrough is a PassThrough handle.
type PassThrough struct{ MediaElement }

// Stats is a getStats result: stats id → entry.
type Stats map[string]json.RawMessage

func (s Stats) byType(typ string, each func(json.RawMessage)) {
	for _, raw := range s {
		var b struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &b) == nil && b.Type == typ {
			each(raw)
		}
	}
}

// Inbound returns the inboundrtp entries.
func (s Stats) Inbound() []wire.InboundRTPStats {
	var out []wire.InboundRTPStats
	s.byType(wire.StatsInboundRTP, func(raw json.RawMessage) {
		var v wire.InboundRTPStats
		if json.Unmarshal(raw, &v) == nil {
			out = append(out, v)
		}
	})
	return out
}

// Outbound returns the outboundrtp entries.
func (s Stats) Outbound() []wire.OutboundRTPStats {
	var out []wire.OutboundRTPStats
	s.byType(wire.StatsOutboundRTP, func(raw json.RawMessage) {
		var v wire.OutboundRTPStats
		if json.Unmarshal(raw, &v) == nil {
			out = append(out, v)
		}
	})
	return out
}

// Endpoint returns the endpoint latency entry, or nil.
func (s Stats) Endpoint() *wire.EndpointStats {
	var out *wire.EndpointStats
	s.byType(wire.StatsEndpoint, func(raw json.RawMessage) {
		var v wire.EndpointStats
		if json.Unmarshal(raw, &v) == nil {
			out = &v
		}
	})
	return out
}
