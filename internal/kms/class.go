package kms

import (
	"strings"
	"unicode"
)

// Class describes one Kurento remote class: where it sits in the hierarchy,
// the events it declares, its properties and methods, and how to construct
// it. Classes are defined once at start-up and never change.
type Class struct {
	Name     string
	Parent   *Class
	Abstract bool
	Module   string // "core", "elements" or "filters": where getInfo lists the factory
	Events   []string
	Props    []*Property
	Methods  []*Method
	// New builds the implementation of a new object (nil for abstract classes).
	New func(c *createCall) error

	methods map[string]*Method // own methods and property accessors, by operation name
}

// Property is a Kurento property exposed as get<Name>/set<Name> operations.
type Property struct {
	Name     string
	Type     string // kmd type name, for documentation (getKmd)
	ReadOnly bool   // no setter (readOnly or final in the kmd)
	Get      func(c *call) (any, error)
	Set      func(c *call, p *params) error
}

// Method is a Kurento operation.
type Method struct {
	Name   string
	Params []ParamSpec
	Fn     func(c *call, p *params) (any, error)
}

// ParamSpec documents one parameter; Required ones trigger the KMS
// "'operationParams' is required" check when no params are sent.
type ParamSpec struct {
	Name     string
	Type     string
	Required bool
}

// QualifiedName is the name used on the wire ("kurento.WebRtcEndpoint").
func (c *Class) QualifiedName() string { return "kurento." + c.Name }

// Hierarchy lists the qualified names of the ancestors, nearest first.
func (c *Class) Hierarchy() []string {
	h := []string{}
	for p := c.Parent; p != nil; p = p.Parent {
		h = append(h, p.QualifiedName())
	}
	return h
}

// Is reports whether c is other or derives from it.
func (c *Class) Is(other *Class) bool {
	for k := c; k != nil; k = k.Parent {
		if k == other {
			return true
		}
	}
	return false
}

// isA reports whether c is the named class or derives from it. Class
// methods use names, not class variables, to avoid initialization cycles.
func (c *Class) isA(name string) bool {
	for k := c; k != nil; k = k.Parent {
		if k.Name == name {
			return true
		}
	}
	return false
}

// HasEvent reports whether c or an ancestor declares the event.
func (c *Class) HasEvent(name string) bool {
	for k := c; k != nil; k = k.Parent {
		for _, e := range k.Events {
			if e == name {
				return true
			}
		}
	}
	return false
}

// lookup finds an operation on c or its ancestors.
func (c *Class) lookup(op string) *Method {
	for k := c; k != nil; k = k.Parent {
		if m, ok := k.methods[op]; ok {
			return m
		}
	}
	return nil
}

// finish builds the operation table, including property accessors.
func (c *Class) finish() *Class {
	c.methods = map[string]*Method{}
	for _, m := range c.Methods {
		c.methods[m.Name] = m
	}
	for _, p := range c.Props {
		prop := p
		name := accessorSuffix(prop.Name)
		c.methods["get"+name] = &Method{Name: "get" + name, Fn: func(cl *call, _ *params) (any, error) { return prop.Get(cl) }}
		if !prop.ReadOnly && prop.Set != nil {
			c.methods["set"+name] = &Method{
				Name:   "set" + name,
				Params: []ParamSpec{{Name: prop.Name, Type: prop.Type, Required: true}},
				Fn: func(cl *call, ps *params) (any, error) {
					if err := prop.Set(cl, ps); err != nil {
						return nil, err
					}
					return nil, nil
				},
			}
		}
	}
	return c
}

// accessorSuffix turns a property name into its accessor suffix: the first
// letter is upper-cased, the rest kept (ICECandidatePairs stays as is).
func accessorSuffix(name string) string {
	if name == "" {
		return name
	}
	r := []rune(name)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// classRegistry maps type names (plain and qualified) to classes.
type classRegistry struct {
	byName map[string]*Class
	order  []*Class
}

func newClassRegistry(classes ...*Class) *classRegistry {
	r := &classRegistry{byName: map[string]*Class{}}
	for _, c := range classes {
		c.finish()
		r.byName[c.Name] = c
		r.order = append(r.order, c)
	}
	return r
}

// factory returns the creatable class for a create type name.
func (r *classRegistry) factory(name string) *Class {
	name = strings.TrimPrefix(name, "kurento.")
	c := r.byName[name]
	if c == nil || c.Abstract || c.New == nil {
		return nil
	}
	return c
}

// factories lists the creatable classes of a module, in definition order.
func (r *classRegistry) factories(module string) []string {
	out := []string{}
	for _, c := range r.order {
		if c.Module == module && !c.Abstract && c.New != nil {
			out = append(out, c.Name)
		}
	}
	return out
}
