package kms

import (
	"time"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

var nowFunc = time.Now

// classMediaObject is the base of every remote class.
var classMediaObject = &Class{
	Name:     "MediaObject",
	Abstract: true,
	Module:   "core",
	Events:   []string{"Error"},
	Props: []*Property{
		{Name: "mediaPipeline", Type: "MediaPipeline", ReadOnly: true, Get: func(c *call) (any, error) {
			if c.obj.pipeline == nil {
				return nil, nil
			}
			return c.obj.pipeline.id, nil
		}},
		{Name: "parent", Type: "MediaObject", ReadOnly: true, Get: func(c *call) (any, error) {
			if c.obj.parent == nil {
				return nil, nil
			}
			return c.obj.parent.id, nil
		}},
		{Name: "id", Type: "String", ReadOnly: true, Get: func(c *call) (any, error) { return c.obj.id, nil }},
		{Name: "children", Type: "MediaObject[]", ReadOnly: true, Get: func(c *call) (any, error) {
			c.server.mu.Lock()
			defer c.server.mu.Unlock()
			ids := make([]string, 0, len(c.obj.children))
			for _, ch := range c.obj.children {
				ids = append(ids, ch.id)
			}
			return ids, nil
		}},
		{Name: "name", Type: "String",
			Get: func(c *call) (any, error) {
				c.obj.attrMu.Lock()
				defer c.obj.attrMu.Unlock()
				return c.obj.name, nil
			},
			Set: func(c *call, p *params) error {
				name, err := p.String("name")
				if err != nil {
					return err
				}
				c.obj.attrMu.Lock()
				c.obj.name = name
				c.obj.attrMu.Unlock()
				return nil
			}},
		{Name: "sendTagsInEvents", Type: "boolean",
			Get: func(c *call) (any, error) {
				c.obj.attrMu.Lock()
				defer c.obj.attrMu.Unlock()
				return c.obj.sendTags, nil
			},
			Set: func(c *call, p *params) error {
				v, err := p.Bool("sendTagsInEvents")
				if err != nil {
					return err
				}
				c.obj.attrMu.Lock()
				c.obj.sendTags = v
				c.obj.attrMu.Unlock()
				return nil
			}},
		{Name: "creationTime", Type: "int", ReadOnly: true, Get: func(c *call) (any, error) { return c.obj.created.Unix(), nil }},
	},
	Methods: []*Method{
		{Name: "addTag", Params: []ParamSpec{{"key", "String", true}, {"value", "String", true}}, Fn: addTag},
		{Name: "removeTag", Params: []ParamSpec{{"key", "String", true}}, Fn: removeTag},
		{Name: "getTag", Params: []ParamSpec{{"key", "String", true}}, Fn: getTag},
		{Name: "getTags", Fn: func(c *call, _ *params) (any, error) {
			c.obj.attrMu.Lock()
			defer c.obj.attrMu.Unlock()
			return append([]wire.Tag{}, c.obj.tags...), nil
		}},
	},
}

func addTag(c *call, p *params) (any, error) {
	key, err := p.String("key")
	if err != nil {
		return nil, err
	}
	value, err := p.String("value")
	if err != nil {
		return nil, err
	}
	o := c.obj
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	for i := range o.tags {
		if o.tags[i].Key == key {
			o.tags[i].Value = value
			return nil, nil
		}
	}
	o.tags = append(o.tags, wire.Tag{Complex: wire.NewComplex("Tag"), Key: key, Value: value})
	return nil, nil
}

func removeTag(c *call, p *params) (any, error) {
	key, err := p.String("key")
	if err != nil {
		return nil, err
	}
	o := c.obj
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	for i := range o.tags {
		if o.tags[i].Key == key {
			o.tags = append(o.tags[:i:i], o.tags[i+1:]...)
			break
		}
	}
	return nil, nil
}

func getTag(c *call, p *params) (any, error) {
	key, err := p.String("key")
	if err != nil {
		return nil, err
	}
	o := c.obj
	o.attrMu.Lock()
	defer o.attrMu.Unlock()
	for _, t := range o.tags {
		if t.Key == key {
			return t.Value, nil
		}
	}
	return nil, kurentoError(wire.ErrTagKeyNotFound, "Tag key not found")
}

// storedProperty is a property kept as a plain value on the object. It is
// used for settings that only matter to media processing Gorento does not
// do (for example encoder bitrates: Gorento never re-encodes).
func storedProperty(name, typ string, def any) *Property {
	return &Property{
		Name: name, Type: typ,
		Get: func(c *call) (any, error) {
			c.obj.attrMu.Lock()
			defer c.obj.attrMu.Unlock()
			if v, ok := c.obj.values[name]; ok {
				return v, nil
			}
			return def, nil
		},
		Set: func(c *call, p *params) error {
			var v any
			var err error
			switch def.(type) {
			case int:
				v, err = p.Int(name)
			case bool:
				v, err = p.Bool(name)
			case string:
				v, err = p.String(name)
			}
			if err != nil {
				return err
			}
			c.obj.attrMu.Lock()
			defer c.obj.attrMu.Unlock()
			if c.obj.values == nil {
				c.obj.values = map[string]any{}
			}
			c.obj.values[name] = v
			return nil
		},
	}
}
