package kms

import "encoding/json"

// kmd describes a module's classes in the shape of Kurento's kmd JSON,
// generated from Gorento's own class table, so getKmd tells a client
// exactly what this server implements.
func (s *Server) kmd(module string) (string, bool) {
	type param struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		Optional bool   `json:"optional"`
	}
	type method struct {
		Name   string  `json:"name"`
		Params []param `json:"params"`
	}
	type property struct {
		Name     string `json:"name"`
		Type     string `json:"type"`
		ReadOnly bool   `json:"readOnly,omitempty"`
	}
	type class struct {
		Name       string     `json:"name"`
		Extends    string     `json:"extends,omitempty"`
		Abstract   bool       `json:"abstract,omitempty"`
		Properties []property `json:"properties,omitempty"`
		Methods    []method   `json:"methods,omitempty"`
		Events     []string   `json:"events,omitempty"`
	}
	var classes []class
	for _, c := range s.classes.order {
		if c.Module != module {
			continue
		}
		k := class{Name: c.Name, Abstract: c.Abstract || c.New == nil, Events: c.Events}
		if c.Parent != nil {
			k.Extends = c.Parent.Name
		}
		for _, p := range c.Props {
			k.Properties = append(k.Properties, property{Name: p.Name, Type: p.Type, ReadOnly: p.ReadOnly})
		}
		for _, m := range c.Methods {
			mm := method{Name: m.Name, Params: []param{}}
			for _, p := range m.Params {
				mm.Params = append(mm.Params, param{Name: p.Name, Type: p.Type, Optional: !p.Required})
			}
			k.Methods = append(k.Methods, mm)
		}
		classes = append(classes, k)
	}
	if classes == nil && module != "filters" {
		return "", false
	}
	switch module {
	case "core", "elements", "filters":
	default:
		return "", false
	}
	b, _ := json.MarshalIndent(map[string]any{
		"name": module, "version": compatVersion, "kurentoVersion": compatVersion,
		"generator": "gorento " + s.cfg.Version, "remoteClasses": classes,
	}, "", "  ")
	return string(b), true
}
