package kms

import (
	"runtime/debug"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// mediaEvents returns the handler that turns engine events of o into
// Kurento events for its subscribers, as o's class declares them (under
// their name and their KMS 6 aliases). Events a class does not declare are
// dropped. A panic while converting one is logged, never fatal.
func (s *Server) mediaEvents(o *Object) media.EventHandler {
	return func(e media.Event) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic converting a media event", "object", o.id, "event", e, "panic", v, "stack", string(debug.Stack()))
			}
		}()
		spec := o.class.event(e)
		if spec == nil {
			s.log.Debug("media event not declared by the class", "object", o.id, "event", e)
			return
		}
		ev := spec.toWire(e)
		s.emit(o, spec.Name, ev)
		for _, alias := range spec.Aliases {
			ev.Base().Type = ""
			s.emit(o, alias, ev)
		}
		s.recordEvent(o, spec.Name, ev)
	}
}

func objectID(e media.Element) string {
	if e == nil {
		return ""
	}
	if o, ok := e.Core().Owner.(*Object); ok {
		return o.id
	}
	return ""
}

func flowState(flowing bool) string {
	if flowing {
		return wire.FlowFlowing
	}
	return wire.FlowNotFlowing
}

func connectionState(connected bool) string {
	if connected {
		return wire.StateConnected
	}
	return wire.StateDisconnected
}
