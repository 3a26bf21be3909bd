package kms

import (
	"bytes"
	"encoding/json"

	"github.com/gorento/gorento/pkg/kurento/wire"
)

// params are the raw Kurento parameters of a request (operationParams or
// constructorParams); bindings (binding.go) decode them with the error
// messages KMS gives. JSON null counts as the zero value, as in KMS's jsoncpp.
type params struct {
	raw map[string]json.RawMessage
}

func parseParams(raw json.RawMessage) (*params, bool) {
	p := &params{raw: map[string]json.RawMessage{}}
	if len(raw) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return p, true
	}
	if err := json.Unmarshal(raw, &p.raw); err != nil {
		return nil, false
	}
	if p.raw == nil {
		p.raw = map[string]json.RawMessage{}
	}
	return p, true
}

func (p *params) len() int { return len(p.raw) }

// get decodes a present param into dst; it reports (present, error).
func (p *params) get(name, typ string, dst any) (bool, error) {
	raw, ok := p.raw[name]
	if !ok {
		return false, nil
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return true, nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return true, errParamType(name, typ)
	}
	return true, nil
}

// Complex decodes a complex-typed param into dst after checking its
// `__type__`/`__module__` tags (which may be absent).
func (p *params) Complex(name, typeName string, dst any, required bool) (bool, error) {
	raw, ok := p.raw[name]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		if required {
			return false, errParamRequired(name)
		}
		return false, nil
	}
	var tags struct {
		Type   *string `json:"__type__"`
		Module *string `json:"__module__"`
	}
	if json.Unmarshal(raw, &tags) != nil {
		return false, errParamType(name, typeName)
	}
	if tags.Type != nil && tags.Module != nil {
		if *tags.Module != wire.Module && *tags.Module != complexModules[typeName] {
			return false, kurentoError(wire.ErrUnexpected, "Type %s does not exist in module %s", *tags.Type, *tags.Module)
		}
		if *tags.Type != typeName {
			return false, kurentoError(wire.ErrUnexpected, "Type %s is not compatible", *tags.Type)
		}
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return false, errParamType(name, typeName)
	}
	return true, nil
}

// complexModules names the module of complex types outside Kurento's own
// modules (chroma's WindowParam), whose __module__ clients send.
var complexModules = map[string]string{}
