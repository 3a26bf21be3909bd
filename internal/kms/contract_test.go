package kms

import (
	"bufio"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/gorento/gorento/internal/media"
)

// refClass is one class of testdata/kurento-interfaces.txt.
type refClass struct {
	name, parent string
	abstract     bool
	ctor         []ParamSpec // nil: no constructor
	props        map[string]*Property
	methods      map[string]*Method
	events       []string
}

// parseRef reads the reference table of Kurento's interface definitions.
func parseRef(t *testing.T) map[string]*refClass {
	t.Helper()
	f, err := os.Open("testdata/kurento-interfaces.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]*refClass{}
	var cur *refClass
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(line, " ")
		if kind != "class" && cur == nil {
			t.Fatalf("line %d: member outside a class", n)
		}
		switch kind {
		case "class":
			f := strings.Fields(rest)
			cur = &refClass{name: f[0], props: map[string]*Property{}, methods: map[string]*Method{}}
			for i := 1; i < len(f); i++ {
				switch f[i] {
				case "abstract":
					cur.abstract = true
				case "extends":
					i++
					cur.parent = f[i]
				}
			}
			out[cur.name] = cur
		case "property":
			f := strings.Fields(rest)
			cur.props[f[0]] = &Property{Name: f[0], Type: f[1], ReadOnly: len(f) > 2 && f[2] == "readonly"}
		case "method":
			m := parseSignature(t, n, rest)
			cur.methods[m.Name] = m
		case "event":
			cur.events = append(cur.events, rest)
		default:
			if strings.HasPrefix(line, "constructor(") {
				cur.ctor = parseSignature(t, n, line).Params
				if cur.ctor == nil {
					cur.ctor = []ParamSpec{}
				}
				continue
			}
			t.Fatalf("line %d: unknown %q", n, kind)
		}
	}
	return out
}

// parseSignature parses "name(p Type, q? Type) Return".
func parseSignature(t *testing.T, line int, s string) *Method {
	name, rest, ok := strings.Cut(s, "(")
	args, ret, ok2 := strings.Cut(rest, ")")
	if !ok || !ok2 {
		t.Fatalf("line %d: bad signature %q", line, s)
	}
	m := &Method{Name: name, Returns: strings.TrimSpace(ret)}
	for _, a := range strings.Split(args, ",") {
		f := strings.Fields(a)
		if len(f) == 0 {
			continue
		}
		p := ParamSpec{Name: strings.TrimSuffix(f[0], "?"), Type: f[1], Required: !strings.HasSuffix(f[0], "?")}
		m.Params = append(m.Params, p)
	}
	return m
}

// flattened interface of a class: own members and inherited ones, the
// nearest definition winning.
type iface struct {
	props   map[string]*Property
	methods map[string]*Method
	events  map[string]bool
}

func flattenRef(ref map[string]*refClass, name string) iface {
	out := iface{props: map[string]*Property{}, methods: map[string]*Method{}, events: map[string]bool{}}
	for c := ref[name]; c != nil; c = ref[c.parent] {
		for k, v := range c.props {
			if out.props[k] == nil {
				out.props[k] = v
			}
		}
		for k, v := range c.methods {
			if out.methods[k] == nil {
				out.methods[k] = v
			}
		}
		for _, e := range c.events {
			out.events[e] = true
		}
	}
	return out
}

func flattenOurs(c *Class) iface {
	out := iface{props: map[string]*Property{}, methods: map[string]*Method{}, events: map[string]bool{}}
	for k := c; k != nil; k = k.Parent {
		for _, p := range k.Props {
			if out.props[p.Name] == nil {
				out.props[p.Name] = p
			}
		}
		for _, m := range k.Methods {
			if out.methods[m.Name] == nil {
				out.methods[m.Name] = m
			}
		}
		for _, e := range k.Events {
			out.events[e.Name] = true
		}
	}
	return out
}

// compatible checks our parameters against Kurento's: the same names and
// types in the same order; a parameter Kurento makes optional must be
// optional here (we may accept the absence of one it requires).
func compatible(ours, theirs []ParamSpec) error {
	if len(ours) != len(theirs) {
		return fmt.Errorf("%d parameters, Kurento has %d", len(ours), len(theirs))
	}
	for i, p := range ours {
		q := theirs[i]
		if p.Name != q.Name || p.Type != q.Type {
			return fmt.Errorf("parameter %d is %s %s, Kurento has %s %s", i, p.Name, p.Type, q.Name, q.Type)
		}
		if p.Required && !q.Required {
			return fmt.Errorf("parameter %s is required, optional in Kurento", p.Name)
		}
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestClassContract: every class the server registers (what getInfo lists
// and their ancestors) has exactly Kurento's interface: the same
// hierarchy, constructor, properties, methods and events.
func TestClassContract(t *testing.T) {
	ref := parseRef(t)
	reg := defaultClasses()
	listed := map[string]bool{}
	s := &Server{classes: reg}
	for _, m := range s.serverInfo().Modules {
		for _, f := range m.Factories {
			listed[f] = true
		}
	}
	checked := map[string]bool{}
	for _, c := range reg.order {
		checked[c.Name] = true
		r := ref[c.Name]
		if r == nil {
			t.Errorf("%s: not in testdata/kurento-interfaces.txt", c.Name)
			continue
		}
		parent := ""
		if c.Parent != nil {
			parent = c.Parent.Name
		}
		if parent != r.parent || (c.Abstract || c.Constructor == nil) != r.abstract {
			t.Errorf("%s: extends %q abstract %v; Kurento: extends %q abstract %v", c.Name, parent, c.Abstract, r.parent, r.abstract)
		}
		switch {
		case (c.Constructor == nil) != (r.ctor == nil):
			t.Errorf("%s: constructor %v, Kurento %v", c.Name, c.Constructor != nil, r.ctor != nil)
		case c.Constructor != nil:
			if err := compatible(c.Constructor.Params, r.ctor); err != nil {
				t.Errorf("%s constructor: %v", c.Name, err)
			}
		}
		ours, theirs := flattenOurs(c), flattenRef(ref, c.Name)
		if a, b := keys(ours.props), keys(theirs.props); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%s properties:\n  ours    %v\n  Kurento %v", c.Name, a, b)
		}
		for name, p := range ours.props {
			if q := theirs.props[name]; q != nil && (p.Type != q.Type || p.ReadOnly != q.ReadOnly || (p.set == nil) != p.ReadOnly) {
				t.Errorf("%s.%s: %s readonly=%v; Kurento %s readonly=%v", c.Name, name, p.Type, p.ReadOnly, q.Type, q.ReadOnly)
			}
		}
		if a, b := keys(ours.methods), keys(theirs.methods); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%s methods:\n  ours    %v\n  Kurento %v", c.Name, a, b)
		}
		for name, m := range ours.methods {
			q := theirs.methods[name]
			if q == nil {
				continue
			}
			if err := compatible(m.Params, q.Params); err != nil {
				t.Errorf("%s.%s: %v", c.Name, name, err)
			}
			if m.Returns != q.Returns {
				t.Errorf("%s.%s returns %q, Kurento %q", c.Name, name, m.Returns, q.Returns)
			}
		}
		if a, b := keys(ours.events), keys(theirs.events); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%s events:\n  ours    %v\n  Kurento %v", c.Name, a, b)
		}
	}
	for name := range listed {
		if !checked[name] {
			t.Errorf("getInfo lists %s, which is not registered", name)
		}
	}
}

// TestEventsConvert: every engine event a class declares converts to a
// wire payload (the zero value of each, so no conversion can panic on an
// empty field), and its names are ones the class accepts subscriptions to.
func TestEventsConvert(t *testing.T) {
	for _, c := range defaultClasses().order {
		for _, e := range c.Events {
			if !c.HasEvent(e.Name) {
				t.Errorf("%s: cannot subscribe to its own event %s", c.Name, e.Name)
			}
			for _, a := range e.Aliases {
				if !c.HasEvent(a) {
					t.Errorf("%s: cannot subscribe to alias %s", c.Name, a)
				}
			}
			if e.engine == nil {
				continue
			}
			zero := reflect.New(e.engine).Elem().Interface().(media.Event)
			if got := c.event(zero); got == nil || got.Name != e.Name {
				t.Errorf("%s: %s not found by engine type", c.Name, e.Name)
			}
			if w := e.toWire(zero); w == nil || w.Base() == nil {
				t.Errorf("%s: %s converts to nothing", c.Name, e.Name)
			}
		}
	}
}
