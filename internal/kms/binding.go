package kms

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// ParamSpec is one parameter of a constructor, operation or property
// setter: its name, kmd type, whether it is required, and its default (as
// text, "" when none). Specs are derived from the fields of the Go struct
// an operation takes (see bind), so what the table declares is what the
// dispatcher decodes.
type ParamSpec struct {
	Name     string
	Type     string
	Required bool
	Default  string
}

// A parameter struct field is tagged
//
//	kurento:"name[,type=KmdType][,optional][,default=value]"
//
// Its Go type decides the decoding: string (an enum when its kmd type is
// one of enums), bool, int (32-bit), float64, media.MediaType (or a pointer
// to it when optional: nil when absent), *Object (a remote object whose
// class is the kmd type), or a struct or map for a complex type. Without
// type=, the kmd type follows from the Go type.

// enums are the enum types whose values a string parameter is checked against.
var enums = map[string][]string{
	"CertificateKeyType":  {"RSA", "ECDSA"},
	"DSCPValue":           dscpValues,
	"GstreamerDotDetails": dotDetails,
}

var (
	typeMediaType    = reflect.TypeFor[media.MediaType]()
	typeOptMediaType = reflect.TypeFor[*media.MediaType]()
	typeObject       = reflect.TypeFor[*Object]()
)

// binding decodes request parameters into a struct's fields.
type binding struct {
	typ    reflect.Type
	specs  []ParamSpec
	fields []fieldDecoder
}

type fieldDecoder struct {
	spec   ParamSpec
	index  int
	def    reflect.Value // the default, or invalid
	decode func(s *Server, p *params, spec ParamSpec, dst reflect.Value) error
}

// bind derives the parameters of struct type t. It panics on a field it
// cannot decode: the class table is wrong, which tests catch at start-up.
func bind(t reflect.Type) *binding {
	b := &binding{typ: t}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, ok := f.Tag.Lookup("kurento")
		if !ok {
			panic(fmt.Sprintf("kms: field %s of %v has no kurento tag", f.Name, t))
		}
		opts := strings.Split(tag, ",")
		spec := ParamSpec{Name: opts[0], Required: true}
		for _, o := range opts[1:] {
			switch k, v, _ := strings.Cut(o, "="); k {
			case "type":
				spec.Type = v
			case "optional":
				spec.Required = false
			case "default":
				spec.Default, spec.Required = v, false
			default:
				panic(fmt.Sprintf("kms: unknown tag option %q on %v.%s", o, t, f.Name))
			}
		}
		fd := fieldDecoder{index: i}
		switch {
		case f.Type == typeMediaType || f.Type == typeOptMediaType:
			spec.Type, fd.decode = "MediaType", decodeMediaType
		case f.Type == typeObject:
			fd.decode = decodeObject
		case f.Type.Kind() == reflect.String:
			spec.Type, fd.decode = or(spec.Type, "String"), decodeString
		case f.Type.Kind() == reflect.Bool:
			spec.Type, fd.decode = or(spec.Type, "boolean"), decodeScalar("boolean")
		case f.Type.Kind() == reflect.Int:
			spec.Type, fd.decode = or(spec.Type, "int"), decodeInt
		case f.Type.Kind() == reflect.Int64:
			spec.Type, fd.decode = or(spec.Type, "int64"), decodeInt64
		case f.Type.Kind() == reflect.Float64:
			spec.Type, fd.decode = or(spec.Type, "float"), decodeScalar("float")
		case f.Type.Kind() == reflect.Struct || f.Type.Kind() == reflect.Map:
			fd.decode = decodeComplex
		}
		if fd.decode == nil || spec.Type == "" {
			panic(fmt.Sprintf("kms: cannot decode %v.%s (%v) as a parameter", t, f.Name, f.Type))
		}
		if spec.Default != "" {
			fd.def = parseDefault(f.Type, spec.Default)
		}
		fd.spec = spec
		b.specs = append(b.specs, spec)
		b.fields = append(b.fields, fd)
	}
	return b
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parseDefault turns a default written in a tag into a value of type t.
func parseDefault(t reflect.Type, text string) reflect.Value {
	v := reflect.New(t).Elem()
	var err error
	switch t.Kind() {
	case reflect.String:
		v.SetString(text)
	case reflect.Bool:
		var b bool
		b, err = strconv.ParseBool(text)
		v.SetBool(b)
	case reflect.Int:
		var n int64
		n, err = strconv.ParseInt(text, 10, 32)
		v.SetInt(n)
	case reflect.Float64:
		var x float64
		x, err = strconv.ParseFloat(text, 64)
		v.SetFloat(x)
	default:
		err = fmt.Errorf("no defaults for %v", t)
	}
	if err != nil {
		panic(fmt.Sprintf("kms: default %q: %v", text, err))
	}
	return v
}

// decode fills dst (a struct of the bound type) from p, in field order:
// defaults first, then each present parameter; a required one missing is
// an error. JSON null counts as absent for optional parameters and as the
// zero value for required scalars, as in KMS.
func (b *binding) decode(s *Server, p *params, dst reflect.Value) error {
	for _, f := range b.fields {
		field := dst.Field(f.index)
		if f.def.IsValid() {
			field.Set(f.def)
		}
		if err := f.decode(s, p, f.spec, field); err != nil {
			return err
		}
	}
	return nil
}

func required(present bool, spec ParamSpec) error {
	if !present && spec.Required {
		return errParamRequired(spec.Name)
	}
	return nil
}

func decodeString(_ *Server, p *params, spec ParamSpec, dst reflect.Value) error {
	s := dst.String()
	present, err := p.get(spec.Name, "string", &s)
	if err != nil {
		return err
	}
	if err := required(present, spec); err != nil {
		return err
	}
	if values, ok := enums[spec.Type]; ok && !contains(values, s) {
		return kurentoError(wire.ErrMarshall, "Invalid value for '%s'", spec.Type)
	}
	dst.SetString(s)
	return nil
}

// decodeScalar decodes a bool or float64 parameter; what names the JSON
// type in errors.
func decodeScalar(what string) func(*Server, *params, ParamSpec, reflect.Value) error {
	return func(_ *Server, p *params, spec ParamSpec, dst reflect.Value) error {
		v := reflect.New(dst.Type())
		v.Elem().Set(dst)
		present, err := p.get(spec.Name, what, v.Interface())
		if err != nil {
			return err
		}
		dst.Set(v.Elem())
		return required(present, spec)
	}
}

// decodeInt decodes a 32-bit integer: a JSON number without fraction.
func decodeInt(_ *Server, p *params, spec ParamSpec, dst reflect.Value) error {
	f := float64(dst.Int())
	present, err := p.get(spec.Name, "integer", &f)
	if err != nil {
		return err
	}
	if f != math.Trunc(f) || f > math.MaxInt32 || f < math.MinInt32 {
		return errParamType(spec.Name, "integer")
	}
	dst.SetInt(int64(f))
	return required(present, spec)
}

// decodeInt64 decodes a 64-bit integer (JSON numbers are doubles: exact
// up to 2^53, which covers milliseconds).
func decodeInt64(_ *Server, p *params, spec ParamSpec, dst reflect.Value) error {
	f := float64(dst.Int())
	present, err := p.get(spec.Name, "integer", &f)
	if err != nil {
		return err
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return errParamType(spec.Name, "integer")
	}
	dst.SetInt(int64(f))
	return required(present, spec)
}

// decodeMediaType decodes a MediaType enum; an empty string is absent.
func decodeMediaType(_ *Server, p *params, spec ParamSpec, dst reflect.Value) error {
	var s string
	if _, err := p.get(spec.Name, "string", &s); err != nil {
		return err
	}
	if s == "" {
		return required(false, spec)
	}
	mt, ok := parseMediaType(s)
	if !ok {
		return kurentoError(wire.ErrMarshall, "Invalid value for 'MediaType'")
	}
	if dst.Kind() == reflect.Pointer {
		dst.Set(reflect.ValueOf(&mt))
	} else {
		dst.Set(reflect.ValueOf(mt))
	}
	return nil
}

// decodeObject resolves a remote object id and checks its class. Besides
// the id string KMS takes, an object carrying the id is accepted: that is
// how kurento-client sends the objects its promise API resolves (they are
// not instanceof MediaObject, so it does not reduce them to their id).
func decodeObject(s *Server, p *params, spec ParamSpec, dst reflect.Value) error {
	var id string
	present, err := p.get(spec.Name, "string", &id)
	if err != nil {
		var ref struct {
			ID string `json:"id"`
		}
		if _, rerr := p.get(spec.Name, "string", &ref); rerr == nil && ref.ID != "" {
			id, err = ref.ID, nil
		}
	}
	if err != nil || !present {
		return firstErr(err, required(present, spec))
	}
	o, err := s.lookupObject(id)
	if err != nil {
		return err
	}
	if !o.class.isA(spec.Type) {
		return kurentoError(wire.ErrMarshall, "'%s' parameter should be a %s, got %s", spec.Name, spec.Type, o.class.Name)
	}
	dst.Set(reflect.ValueOf(o))
	return nil
}

func decodeComplex(_ *Server, p *params, spec ParamSpec, dst reflect.Value) error {
	_, err := p.Complex(spec.Name, spec.Type, dst.Addr().Interface(), spec.Required)
	return err
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// none is the parameter struct of operations without parameters.
type none struct{}

// method defines an operation whose parameters are the fields of In.
func method[In any](name, returns string, fn func(c *call, in In) (any, error)) *Method {
	b := bind(reflect.TypeFor[In]())
	return &Method{Name: name, Params: b.specs, Returns: returns, invoke: func(c *call, p *params) (any, error) {
		var in In
		if err := b.decode(c.server, p, reflect.ValueOf(&in).Elem()); err != nil {
			return nil, err
		}
		return fn(c, in)
	}}
}

// constructor defines how a class creates objects from the fields of In.
func constructor[In any](fn func(cc *createCall, in In) error) *Constructor {
	b := bind(reflect.TypeFor[In]())
	return &Constructor{Params: b.specs, create: func(cc *createCall, p *params) error {
		var in In
		if err := b.decode(cc.server, p, reflect.ValueOf(&in).Elem()); err != nil {
			return err
		}
		return fn(cc, in)
	}}
}

// readOnly defines a property without setter.
func readOnly(name, typ string, get func(c *call) (any, error)) *Property {
	return &Property{Name: name, Type: typ, ReadOnly: true, get: get}
}

// readWrite defines a property whose setter takes a value of type T,
// decoded like a parameter named after the property.
func readWrite[T any](name, typ string, get func(c *call) (any, error), set func(c *call, v T) error) *Property {
	field := reflect.StructField{Name: "V", Type: reflect.TypeFor[T](), Tag: reflect.StructTag(`kurento:"` + name + ",type=" + typ + `"`)}
	b := bind(reflect.StructOf([]reflect.StructField{field}))
	setter := &Method{Name: "set" + accessorSuffix(name), Params: b.specs, invoke: func(c *call, p *params) (any, error) {
		in := reflect.New(b.typ).Elem()
		if err := b.decode(c.server, p, in); err != nil {
			return nil, err
		}
		return nil, set(c, in.Field(0).Interface().(T))
	}}
	return &Property{Name: name, Type: typ, get: get, set: setter}
}
