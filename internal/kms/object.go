package kms

import (
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// Object is one remote media object: the ServerManager, a pipeline or an
// element. Its implementation (a media engine object) is in impl.
type Object struct {
	id       string
	class    *Class
	parent   *Object
	pipeline *Object
	created  time.Time
	impl     any    // *media.Pipeline, media.Element, or nil for the ServerManager
	owner    string // credential of the session that created it (scope.go)

	// Guarded by Server.mu.
	children []*Object
	sessions map[string]*session
	released bool

	attrMu        sync.Mutex // guards the fields below
	name          string
	tags          []ownedTag // tags.go
	sendTags      bool
	sendTagsOwner string         // session that turned sendTags on
	values        map[string]any // plain stored properties (see storedProperty)
}

// ID returns the wire id.
func (o *Object) ID() string { return o.id }

// Class returns the object's class.
func (o *Object) Class() *Class { return o.class }

func newObjectID(parent *Object, class *Class) string {
	id := uuid.NewString() + "_" + class.QualifiedName()
	if parent != nil {
		id = parent.id + "/" + id
	}
	return id
}

// element returns the media element implementing o, or nil.
func (o *Object) element() media.Element {
	e, _ := o.impl.(media.Element)
	return e
}

// mediaPipeline returns the media pipeline o belongs to, or nil.
func (o *Object) mediaPipeline() *media.Pipeline {
	if o.pipeline == nil {
		return nil
	}
	p, _ := o.pipeline.impl.(*media.Pipeline)
	return p
}

// lookupObject resolves an object id for a request; newref: ids outside a
// transaction get the KMS 40109 error.
func (s *Server) lookupObject(id string) (*Object, error) {
	if strings.HasPrefix(id, "newref:") {
		return nil, kurentoError(wire.ErrNotFoundTransactionNoCommit, "Object '%s' not found (newref outside a transaction)", id)
	}
	s.mu.Lock()
	o := s.objects[id]
	s.mu.Unlock()
	if o == nil {
		return nil, errObjectNotFound(id)
	}
	return o, nil
}

// register adds a fully built object to the table and to the session.
func (s *Server) register(o *Object, sess *session) {
	o.owner = ownerOf(sess)
	s.mu.Lock()
	s.objects[o.id] = o
	if o.parent != nil {
		o.parent.children = append(o.parent.children, o)
	}
	s.refLocked(o, sess)
	s.mu.Unlock()
	s.media.track(o)
	s.metrics.objectCreated(o.class.Name)
	s.emitFor(s.manager, "ObjectCreated", &wire.ObjectCreated{Object: o.id}, o.owner, true)
}

// refLocked references o from sess.
func (s *Server) refLocked(o *Object, sess *session) {
	if sess == nil || o == s.manager {
		return
	}
	if o.sessions == nil {
		o.sessions = map[string]*session{}
	}
	o.sessions[sess.id] = sess
	sess.objects[o.id] = o
}

// release releases o and its descendants. It is idempotent.
func (s *Server) release(o *Object) {
	if o == s.manager {
		return
	}
	s.mu.Lock()
	if o.released {
		s.mu.Unlock()
		return
	}
	var gone []*Object
	var levels [][]*Object // levels[d]: the released objects d levels below o
	var collect func(x *Object, depth int)
	collect = func(x *Object, depth int) {
		if x.released {
			return
		}
		x.released = true
		gone = append(gone, x)
		if depth == len(levels) {
			levels = append(levels, nil)
		}
		levels[depth] = append(levels[depth], x)
		for _, c := range x.children {
			collect(c, depth+1)
		}
	}
	collect(o, 0)
	if p := o.parent; p != nil {
		for i, c := range p.children {
			if c == o {
				p.children = append(p.children[:i:i], p.children[i+1:]...)
				break
			}
		}
	}
	for _, x := range gone {
		delete(s.objects, x.id)
		for _, sess := range x.sessions {
			delete(sess.objects, x.id)
		}
		x.sessions = nil
		s.dropSubscriptionsLocked(x.id)
	}
	s.mu.Unlock()

	// Children first, then the object itself: a pipeline release stops
	// its elements before its clock. The objects of one level are released
	// in parallel, bounded: closing a peer connection mostly waits (DTLS
	// close, ICE agent and reader goroutines), so a pipeline of 1000
	// endpoints released one after another would take seconds.
	for d := len(levels) - 1; d >= 0; d-- {
		parallel(levels[d], s.cfg.ReleaseParallelism, s.releaseImpl)
	}
	s.trim.released.Add(int64(len(gone)))
	for _, x := range gone {
		s.metrics.objectReleased(x.class.Name)
		s.forgetEvents(x)
		s.emitFor(s.manager, "ObjectDestroyed", &wire.ObjectDestroyed{ObjectID: x.id}, x.owner, true)
	}
}

// releaseImpl stops what o stands for.
func (s *Server) releaseImpl(o *Object) {
	switch impl := o.impl.(type) {
	case media.Element:
		s.media.retire(o) // its counters, while its streams are still bound
		impl.Release()
	case *media.Pipeline:
		impl.Release()
	case hubImpl:
		impl.Release()
	}
}

// parallel calls f for every object, at most n at a time, and returns when
// all calls have.
func parallel(objs []*Object, n int, f func(*Object)) {
	if len(objs) == 1 || n <= 1 {
		for _, o := range objs {
			f(o)
		}
		return
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, o := range objs {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(o)
		}()
	}
	wg.Wait()
}

// pipelines lists live pipelines.
func (s *Server) pipelines() []*Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Object
	for _, o := range s.objects {
		if o.class.isA("MediaPipeline") {
			out = append(out, o)
		}
	}
	sortObjects(out)
	return out
}

func sortObjects(objs []*Object) {
	// Oldest first, then by id, so listings are stable.
	for i := 1; i < len(objs); i++ {
		for j := i; j > 0 && less(objs[j], objs[j-1]); j-- {
			objs[j], objs[j-1] = objs[j-1], objs[j]
		}
	}
}

func less(a, b *Object) bool {
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	return a.id < b.id
}
