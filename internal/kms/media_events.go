package kms

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// mediaEvents returns the handler that turns engine events of o into
// Kurento events for its subscribers.
func (s *Server) mediaEvents(o *Object) media.EventHandler {
	return func(e media.Event) {
		name := media.EventName(e)
		ev := toWireEvent(e)
		if ev == nil {
			return
		}
		s.emit(o, name, ev)
		for _, alias := range legacyEvents[name] {
			ev.Base().Type = ""
			s.emit(o, alias, ev)
		}
	}
}

// legacyEvents are the KMS 6 names of some events; 6.x clients subscribe to
// them, so they are delivered under both names.
var legacyEvents = map[string][]string{
	"IceCandidateFound":        {"OnIceCandidate"},
	"IceGatheringDone":         {"OnIceGatheringDone"},
	"IceComponentStateChanged": {"OnIceComponentStateChanged", "IceComponentStateChange"},
	"DataChannelOpened":        {"OnDataChannelOpened", "DataChannelOpen"},
	"DataChannelClosed":        {"OnDataChannelClosed", "DataChannelClose"},
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

// toWireEvent converts an engine event to its wire payload.
func toWireEvent(e media.Event) wire.Event {
	switch ev := e.(type) {
	case media.ElementConnected:
		return &wire.ElementConnection{Sink: objectID(ev.Sink), MediaType: ev.MediaType.String(),
			SourceMediaDescription: ev.SourceDesc, SinkMediaDescription: ev.SinkDesc}
	case media.ElementDisconnected:
		return &wire.ElementConnection{Sink: objectID(ev.Sink), MediaType: ev.MediaType.String(),
			SourceMediaDescription: ev.SourceDesc, SinkMediaDescription: ev.SinkDesc}
	case media.MediaFlowIn:
		return &wire.MediaFlowStateChange{State: flowState(ev.Flowing), PadName: ev.Pad, MediaType: ev.MediaType.String()}
	case media.MediaFlowOut:
		return &wire.MediaFlowStateChange{State: flowState(ev.Flowing), PadName: ev.Pad, MediaType: ev.MediaType.String()}
	case media.MediaStateChanged:
		return &wire.StateChange{OldState: connectionState(!ev.Connected), NewState: connectionState(ev.Connected)}
	case media.ConnectionStateChanged:
		return &wire.StateChange{OldState: connectionState(!ev.Connected), NewState: connectionState(ev.Connected)}
	case media.MediaSessionStarted, media.MediaSessionTerminated, media.IceGatheringDone:
		return &wire.Plain{}
	case media.IceCandidateFound:
		return &wire.IceCandidateFound{Candidate: wire.IceCandidate{Complex: wire.NewComplex("IceCandidate"),
			Candidate: ev.Candidate, SdpMid: ev.SdpMid, SdpMLineIndex: ev.SdpMLineIndex}}
	case media.IceComponentStateChanged:
		return &wire.IceComponentStateChanged{StreamID: ev.StreamID, ComponentID: ev.ComponentID, State: ev.State}
	case media.NewCandidatePairSelected:
		return &wire.NewCandidatePairSelected{CandidatePair: wire.IceCandidatePair{Complex: wire.NewComplex("IceCandidatePair"),
			StreamID: ev.StreamID, ComponentID: ev.ComponentID, LocalCandidate: ev.LocalCandidate, RemoteCandidate: ev.RemoteCandidate}}
	case media.DtlsStateChanged:
		return &wire.DtlsConnectionStateChange{StreamID: ev.StreamID, ComponentID: ev.ComponentID, ConnectionID: ev.ConnectionID, State: ev.State}
	case media.DataChannelOpened:
		return &wire.DataChannelEvent{ChannelID: ev.ChannelID}
	case media.DataChannelClosed:
		return &wire.DataChannelEvent{ChannelID: ev.ChannelID}
	case media.ErrorEvent:
		return &wire.ErrorEvent{EventBase: wire.EventBase{Type: ev.Type}, Description: ev.Description, ErrorCode: ev.Code}
	}
	return nil
}
