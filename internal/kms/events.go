package kms

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gorento/gorento/internal/jsonrpc"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// subscriptions indexes event subscriptions. A (session, object, event)
// triple may hold several subscription ids; the event is still delivered once.
// Guarded by Server.mu.
type subscriptions struct {
	byObject map[string]map[string]map[string]map[string]struct{} // object → event → session → subscription ids
	byID     map[string]subscriptionKey
}

type subscriptionKey struct{ object, event, session string }

func newSubscriptions() subscriptions {
	return subscriptions{byObject: map[string]map[string]map[string]map[string]struct{}{}, byID: map[string]subscriptionKey{}}
}

func (t *subscriptions) addLocked(id string, k subscriptionKey) {
	events := t.byObject[k.object]
	if events == nil {
		events = map[string]map[string]map[string]struct{}{}
		t.byObject[k.object] = events
	}
	sessions := events[k.event]
	if sessions == nil {
		sessions = map[string]map[string]struct{}{}
		events[k.event] = sessions
	}
	ids := sessions[k.session]
	if ids == nil {
		ids = map[string]struct{}{}
		sessions[k.session] = ids
	}
	ids[id] = struct{}{}
	t.byID[id] = k
}

func (t *subscriptions) removeLocked(id string) {
	k, ok := t.byID[id]
	if !ok {
		return
	}
	delete(t.byID, id)
	sessions := t.byObject[k.object][k.event]
	if ids := sessions[k.session]; ids != nil {
		delete(ids, id)
		if len(ids) == 0 {
			delete(sessions, k.session)
		}
	}
}

func (t *subscriptions) dropObjectLocked(object string) {
	for _, sessions := range t.byObject[object] {
		for _, ids := range sessions {
			for id := range ids {
				delete(t.byID, id)
			}
		}
	}
	delete(t.byObject, object)
}

func (t *subscriptions) dropSessionLocked(session string) {
	for id, k := range t.byID {
		if k.session == session {
			t.removeLocked(id)
		}
	}
}

// sessionsLocked lists the sessions subscribed to (object, event).
func (t *subscriptions) sessionsLocked(object, event string) []string {
	sessions := t.byObject[object][event]
	out := make([]string, 0, len(sessions))
	for s := range sessions {
		out = append(out, s)
	}
	return out
}

func (s *Server) dropSubscriptionsLocked(object string) { s.subs.dropObjectLocked(object) }

// emit sends an event raised by o to every session subscribed to it, on the
// connection currently bound to that session. Events of released objects and
// of sessions without a connection are dropped, as in KMS.
func (s *Server) emit(o *Object, event string, ev wire.Event) {
	s.emitFor(o, event, ev, o.owner, false)
}

// emitFor is emit with the tags set under credential cred and, with only,
// to the sessions of that credential alone (scope.go).
func (s *Server) emitFor(o *Object, event string, ev wire.Event, cred string, only bool) {
	s.mu.Lock()
	if o.released || s.objects[o.id] != o {
		s.mu.Unlock()
		return
	}
	var targets []*connState
	for _, sid := range s.subs.sessionsLocked(o.id, event) {
		if sess := s.sessions[sid]; sess != nil && sess.conn != nil && (!only || sess.credential == cred) {
			targets = append(targets, sess.conn)
		}
	}
	s.mu.Unlock()
	if len(targets) == 0 {
		return
	}
	base := ev.Base()
	base.Source = o.id
	base.Tags = o.tagsForEvent(cred)
	base.TimestampMillis = strconv.FormatInt(time.Now().UnixMilli(), 10)
	if base.Type == "" {
		base.Type = event
	}
	frame, err := json.Marshal(jsonrpc.Notification{Method: "onEvent", Params: wire.OnEventParams{Value: wire.OnEventValue{Data: ev, Object: o.id, Type: event}}})
	if err != nil {
		s.log.Error("marshal event", "event", event, "err", err)
		return
	}
	for _, c := range targets {
		_ = c.conn.Send(frame)
	}
	s.metrics.events.Add(int64(len(targets)))
}
