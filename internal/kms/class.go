package kms

import (
	"reflect"
	"sort"
	"strings"
	"unicode"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Class describes one Kurento remote class, and is the only description of
// it: the dispatcher decodes constructor and operation parameters from its
// ParamSpecs, serves get/set operations from its properties, validates
// subscriptions and converts engine events with its EventSpecs, and getKmd,
// describe and getInfo are generated from it. Each class lives in one
// class_<name>.go file and registers itself (init); the contract test checks the
// table against Kurento's interface definitions (testdata/kurento-interfaces.txt).
type Class struct {
	Name     string
	Parent   *Class
	Abstract bool
	Module   string // "core", "elements" or "filters": where getInfo lists the factory
	// Constructor builds the implementation of a new object (nil for
	// abstract classes and the ServerManager).
	Constructor *Constructor
	Props       []*Property
	Methods     []*Method
	Events      []EventSpec

	methods map[string]*Method          // own methods and property accessors, by operation name
	events  map[reflect.Type]*EventSpec // own events raised by the media engine, by engine event type
}

// Constructor creates objects of a class from its constructorParams.
type Constructor struct {
	Params []ParamSpec
	create func(cc *createCall, p *params) error
}

// Method is a Kurento operation.
type Method struct {
	Name    string
	Params  []ParamSpec
	Returns string // kmd type of the result; "" for none
	invoke  func(c *call, p *params) (any, error)
}

// Property is a Kurento property, served as get<Name> (and set<Name>
// unless ReadOnly) operations.
type Property struct {
	Name     string
	Type     string // kmd type
	ReadOnly bool   // no setter (readOnly or final in the kmd)
	get      func(c *call) (any, error)
	set      *Method
}

// EventSpec is an event a class declares: its Kurento name, the older
// names it is also delivered under, and, for events the media engine
// raises, the engine event type and its conversion to the wire payload.
type EventSpec struct {
	Name    string
	Aliases []string // KMS 6 names; 6.x clients subscribe to them
	engine  reflect.Type
	toWire  func(media.Event) wire.Event
}

// raises declares an event converted from the engine event type E.
func raises[E media.Event](name string, toWire func(E) wire.Event, aliases ...string) EventSpec {
	return EventSpec{Name: name, Aliases: aliases, engine: reflect.TypeFor[E](),
		toWire: func(e media.Event) wire.Event { return toWire(e.(E)) }}
}

// declares declares an event the media engine does not raise: the server
// raises it itself (ObjectCreated), or Gorento never does.
func declares(name string) EventSpec { return EventSpec{Name: name} }

// QualifiedName is the name used on the wire ("kurento.WebRtcEndpoint"):
// Kurento's own modules share the "kurento" namespace, others use their
// name ("chroma.ChromaFilter").
func (c *Class) QualifiedName() string { return namespace(c.Module) + "." + c.Name }

// modules are the modules getInfo and getKmd list, Kurento's own first.
var modules = []string{"core", "elements", "filters", "chroma"}

func namespace(module string) string {
	switch module {
	case "core", "elements", "filters":
		return "kurento"
	}
	return module
}

// Hierarchy lists the qualified names of the ancestors, nearest first.
func (c *Class) Hierarchy() []string {
	h := []string{}
	for p := c.Parent; p != nil; p = p.Parent {
		h = append(h, p.QualifiedName())
	}
	return h
}

// isA reports whether c is the named class or derives from it.
func (c *Class) isA(name string) bool {
	for k := c; k != nil; k = k.Parent {
		if k.Name == name {
			return true
		}
	}
	return false
}

// HasEvent reports whether c or an ancestor declares the event (under
// its name or an alias).
func (c *Class) HasEvent(name string) bool {
	for k := c; k != nil; k = k.Parent {
		for _, e := range k.Events {
			if e.Name == name || contains(e.Aliases, name) {
				return true
			}
		}
	}
	return false
}

// event finds the declaration, on c or an ancestor, of an engine event.
func (c *Class) event(e media.Event) *EventSpec {
	t := reflect.TypeOf(e)
	for k := c; k != nil; k = k.Parent {
		if spec := k.events[t]; spec != nil {
			return spec
		}
	}
	return nil
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

// finish builds the operation and event tables, once.
func (c *Class) finish() {
	if c.methods != nil {
		return
	}
	c.methods = map[string]*Method{}
	for _, m := range c.Methods {
		c.methods[m.Name] = m
	}
	for _, p := range c.Props {
		prop := p
		c.methods["get"+accessorSuffix(p.Name)] = &Method{Name: "get" + accessorSuffix(p.Name), Returns: p.Type,
			invoke: func(cl *call, _ *params) (any, error) { return prop.get(cl) }}
		if p.set != nil {
			c.methods[p.set.Name] = p.set
		}
	}
	c.events = map[reflect.Type]*EventSpec{}
	for i := range c.Events {
		if e := &c.Events[i]; e.engine != nil {
			c.events[e.engine] = e
		}
	}
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

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// registered holds every class defined in this package: each class file
// registers its classes from init.
var registered []*Class

// register adds classes to those the server implements.
func register(classes ...*Class) { registered = append(registered, classes...) }

// classRegistry maps type names to classes.
type classRegistry struct {
	byName map[string]*Class
	order  []*Class // parents before children, then by name
}

func newClassRegistry(classes ...*Class) *classRegistry {
	r := &classRegistry{byName: map[string]*Class{}}
	depth := func(c *Class) int {
		n := 0
		for p := c.Parent; p != nil; p = p.Parent {
			n++
		}
		return n
	}
	for _, c := range classes {
		c.finish()
		r.byName[c.Name] = c
		r.order = append(r.order, c)
	}
	sort.SliceStable(r.order, func(i, j int) bool {
		a, b := r.order[i], r.order[j]
		if depth(a) != depth(b) {
			return depth(a) < depth(b)
		}
		return a.Name < b.Name
	})
	return r
}

// factory returns the creatable class for a create type name.
func (r *classRegistry) factory(name string) *Class {
	ns, short, qualified := strings.Cut(name, ".")
	if !qualified {
		short = name
	}
	c := r.byName[short]
	if c == nil || c.Abstract || c.Constructor == nil || qualified && ns != namespace(c.Module) {
		return nil
	}
	return c
}

// factories lists the creatable classes of a module, by name.
func (r *classRegistry) factories(module string) []string {
	out := []string{}
	for _, c := range r.order {
		if c.Module == module && !c.Abstract && c.Constructor != nil {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}
