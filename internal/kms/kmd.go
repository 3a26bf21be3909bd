package kms

import (
	"encoding/json"
	"sync"
)

// defaultClasses is the registry of every class this package registers,
// built once.
var defaultClasses = sync.OnceValue(func() *classRegistry { return newClassRegistry(registered...) })

// kmd describes a module's classes in the shape of Kurento's kmd JSON,
// generated from the class table, so getKmd tells a client exactly what
// this server implements.
func (s *Server) kmd(module string) (string, bool) {
	if !contains(modules, module) {
		return "", false
	}
	type param struct {
		Name         string `json:"name"`
		Type         string `json:"type"`
		Optional     bool   `json:"optional"`
		DefaultValue any    `json:"defaultValue,omitempty"`
	}
	type ret struct {
		Type string `json:"type"`
	}
	type method struct {
		Name   string  `json:"name"`
		Params []param `json:"params"`
		Return *ret    `json:"return,omitempty"`
	}
	type property struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		ReadOnly bool   `json:"readOnly,omitempty"`
	}
	type constructor struct {
		Params []param `json:"params"`
	}
	type class struct {
		Name        string       `json:"name"`
		Extends     string       `json:"extends,omitempty"`
		Abstract    bool         `json:"abstract,omitempty"`
		Constructor *constructor `json:"constructor,omitempty"`
		Properties  []property   `json:"properties,omitempty"`
		Methods     []method     `json:"methods,omitempty"`
		Events      []string     `json:"events,omitempty"`
	}
	params := func(specs []ParamSpec) []param {
		out := []param{}
		for _, p := range specs {
			pp := param{Name: p.Name, Type: p.Type, Optional: !p.Required}
			if p.Default != "" {
				pp.DefaultValue = p.Default
			}
			out = append(out, pp)
		}
		return out
	}
	classes := []class{}
	for _, c := range s.classes.order {
		if c.Module != module {
			continue
		}
		k := class{Name: c.Name, Abstract: c.Abstract || c.Constructor == nil}
		if c.Parent != nil {
			k.Extends = c.Parent.Name
		}
		if c.Constructor != nil {
			k.Constructor = &constructor{Params: params(c.Constructor.Params)}
		}
		for _, p := range c.Props {
			k.Properties = append(k.Properties, property{Name: p.Name, Type: p.Type, ReadOnly: p.ReadOnly})
		}
		for _, m := range c.Methods {
			mm := method{Name: m.Name, Params: params(m.Params)}
			if m.Returns != "" {
				mm.Return = &ret{Type: m.Returns}
			}
			k.Methods = append(k.Methods, mm)
		}
		for _, e := range c.Events {
			if c.Parent == nil || !c.Parent.HasEvent(e.Name) { // an override of an inherited event's conversion
				k.Events = append(k.Events, e.Name)
				k.Events = append(k.Events, e.Aliases...)
			}
		}
		classes = append(classes, k)
	}
	b, _ := json.MarshalIndent(map[string]any{
		"name": module, "version": compatVersion, "kurentoVersion": compatVersion,
		"generator": "gorento " + s.cfg.Version, "remoteClasses": classes,
	}, "", "  ")
	return string(b), true
}
