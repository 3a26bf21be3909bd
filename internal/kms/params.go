package kms

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// params reads typed Kurento parameters (operationParams or
// constructorParams) with the error messages KMS gives. JSON null counts as
// the zero value, as in KMS's jsoncpp.
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

func (p *params) has(name string) bool {
	_, ok := p.raw[name]
	return ok
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

func (p *params) String(name string) (string, error) {
	var s string
	ok, err := p.get(name, "string", &s)
	if err == nil && !ok {
		err = errParamRequired(name)
	}
	return s, err
}

func (p *params) OptString(name, def string) (string, error) {
	s := def
	_, err := p.get(name, "string", &s)
	return s, err
}

func (p *params) Bool(name string) (bool, error) {
	var b bool
	ok, err := p.get(name, "boolean", &b)
	if err == nil && !ok {
		err = errParamRequired(name)
	}
	return b, err
}

func (p *params) OptBool(name string, def bool) (bool, error) {
	b := def
	_, err := p.get(name, "boolean", &b)
	return b, err
}

func (p *params) Int(name string) (int, error) {
	v, ok, err := p.int(name)
	if err == nil && !ok {
		err = errParamRequired(name)
	}
	return v, err
}

func (p *params) OptInt(name string, def int) (int, error) {
	v, ok, err := p.int(name)
	if !ok {
		return def, err
	}
	return v, err
}

func (p *params) int(name string) (int, bool, error) {
	var f float64
	ok, err := p.get(name, "integer", &f)
	if err != nil || !ok {
		return 0, ok, err
	}
	if f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return 0, true, errParamType(name, "integer")
	}
	return int(f), true, nil
}

func (p *params) OptFloat(name string, def float64) (float64, error) {
	f := def
	_, err := p.get(name, "float", &f)
	return f, err
}

func (p *params) Float(name string) (float64, error) {
	var f float64
	ok, err := p.get(name, "float", &f)
	if err == nil && !ok {
		err = errParamRequired(name)
	}
	return f, err
}

// OptMediaType reads an optional MediaType enum (nil when absent).
func (p *params) OptMediaType(name string) (*media.MediaType, error) {
	var s string
	ok, err := p.get(name, "string", &s)
	if err != nil || !ok || s == "" {
		return nil, err
	}
	mt, valid := parseMediaType(s)
	if !valid {
		return nil, kurentoError(wire.ErrMarshall, "Invalid value for 'MediaType'")
	}
	return &mt, nil
}

// MediaType reads a required MediaType enum.
func (p *params) MediaType(name string) (media.MediaType, error) {
	mt, err := p.OptMediaType(name)
	if err != nil {
		return 0, err
	}
	if mt == nil {
		return 0, errParamRequired(name)
	}
	return *mt, nil
}

// Enum reads an optional string enum restricted to values.
func (p *params) Enum(name, enumName, def string, values ...string) (string, error) {
	s, err := p.OptString(name, def)
	if err != nil {
		return "", err
	}
	for _, v := range values {
		if s == v {
			return s, nil
		}
	}
	return "", kurentoError(wire.ErrMarshall, "Invalid value for '%s'", enumName)
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
		if *tags.Module != wire.Module {
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
