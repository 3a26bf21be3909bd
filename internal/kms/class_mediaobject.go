package kms

import (
	"errors"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var nowFunc = time.Now

// classMediaObject is the base of every remote class.
var classMediaObject = &Class{
	Name:     "MediaObject",
	Abstract: true,
	Module:   "core",
	Events:   []EventSpec{raises("Error", func(e media.ErrorEvent) wire.Event { return errorEvent(e, nil) })},
	Props: []*Property{
		readOnly("mediaPipeline", "MediaPipeline", func(c *call) (any, error) {
			if c.obj.pipeline == nil {
				return nil, nil
			}
			return c.obj.pipeline.id, nil
		}),
		readOnly("parent", "MediaObject", func(c *call) (any, error) {
			if c.obj.parent == nil {
				return nil, nil
			}
			return c.obj.parent.id, nil
		}),
		readOnly("id", "String", func(c *call) (any, error) { return c.obj.id, nil }),
		readOnly("children", "MediaObject[]", func(c *call) (any, error) {
			c.server.mu.Lock()
			defer c.server.mu.Unlock()
			ids := make([]string, 0, len(c.obj.children))
			for _, ch := range c.obj.children {
				ids = append(ids, ch.id)
			}
			return ids, nil
		}),
		readWrite("name", "String",
			func(c *call) (any, error) { return c.obj.attr(func(o *Object) any { return o.name }), nil },
			func(c *call, v string) error {
				c.obj.attr(func(o *Object) any { o.name = v; return nil })
				return nil
			}),
		readWrite("sendTagsInEvents", "boolean",
			func(c *call) (any, error) { return c.obj.attr(func(o *Object) any { return o.sendTags }), nil },
			func(c *call, v bool) error {
				c.obj.setSendTags(v, c.session.id)
				return nil
			}),
		readOnly("creationTime", "int", func(c *call) (any, error) { return c.obj.created.Unix(), nil }),
	},
	Methods: []*Method{
		method("addTag", "", func(c *call, in struct {
			Key   string `kurento:"key"`
			Value string `kurento:"value"`
		}) (any, error) {
			return nil, c.obj.setTag(in.Key, in.Value, c.session, c.server.cfg.Limits)
		}),
		method("removeTag", "", func(c *call, in tagKey) (any, error) {
			c.obj.removeTag(in.Key, c.session.credential)
			return nil, nil
		}),
		method("getTag", "String", func(c *call, in tagKey) (any, error) {
			v, ok := c.obj.tag(in.Key, c.session.credential)
			if !ok {
				return nil, kurentoError(wire.ErrTagKeyNotFound, "Tag key not found")
			}
			return v, nil
		}),
		method("getTags", "Tag[]", func(c *call, _ none) (any, error) { return c.obj.tagList(c.session.credential), nil }),
	},
}

type tagKey struct {
	Key string `kurento:"key"`
}

// attr runs f on o with its attribute lock held.
func (o *Object) attr(f func(o *Object) any) any {
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	return f(o)
}

// storedProperty is a property kept as a plain value on the object, for
// settings that only matter to media processing Gorento does not do (for
// example encoder bitrates: it never re-encodes).
func storedProperty[T any](name, typ string, def T) *Property {
	return readWrite(name, typ,
		func(c *call) (any, error) {
			return c.obj.attr(func(o *Object) any {
				if v, ok := o.values[name]; ok {
					return v
				}
				return def
			}), nil
		},
		func(c *call, v T) error {
			c.obj.attr(func(o *Object) any {
				if o.values == nil {
					o.values = map[string]any{}
				}
				o.values[name] = v
				return nil
			})
			return nil
		})
}

// errorKind maps a kind of engine failure to the type and code of the
// Error event that reports it.
type errorKind struct {
	kind error
	typ  string
	code int
}

// errorEvent converts an ErrorEvent with the kinds a class knows; others
// are unexpected errors.
func errorEvent(e media.ErrorEvent, kinds []errorKind) wire.Event {
	typ, code := wire.ErrorType(wire.ErrUnexpected), wire.ErrUnexpected
	for _, k := range kinds {
		if errors.Is(e.Err, k.kind) {
			typ, code = k.typ, k.code
			break
		}
	}
	desc := "unknown error"
	if e.Err != nil {
		desc = e.Err.Error()
	}
	return &wire.ErrorEvent{EventBase: wire.EventBase{Type: typ}, Description: desc, ErrorCode: code}
}

func init() { register(classMediaObject) }
