package kms

import (
	"errors"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// mediaEvents returns the handler that turns engine events of o into
// Kurento events for its subscribers.
func (s *Server) mediaEvents(o *Object) media.EventHandler {
	return func(e media.Event) {
		name, ev := toWireEvent(e)
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

// toWireEvent converts an engine event to its Kurento name and wire payload.
func toWireEvent(e media.Event) (string, wire.Event) {
	switch ev := e.(type) {
	case media.ElementConnected:
		return "ElementConnected", &wire.ElementConnection{Sink: objectID(ev.Sink), MediaType: mediaTypeName(ev.MediaType),
			SourceMediaDescription: ev.SourceDesc, SinkMediaDescription: ev.SinkDesc}
	case media.ElementDisconnected:
		return "ElementDisconnected", &wire.ElementConnection{Sink: objectID(ev.Sink), MediaType: mediaTypeName(ev.MediaType),
			SourceMediaDescription: ev.SourceDesc, SinkMediaDescription: ev.SinkDesc}
	case media.MediaFlowIn:
		return "MediaFlowInStateChanged", &wire.MediaFlowStateChange{State: flowState(ev.Flowing), PadName: ev.Pad, MediaType: mediaTypeName(ev.MediaType)}
	case media.MediaFlowOut:
		return "MediaFlowOutStateChanged", &wire.MediaFlowStateChange{State: flowState(ev.Flowing), PadName: ev.Pad, MediaType: mediaTypeName(ev.MediaType)}
	case media.MediaStateChanged:
		return "MediaStateChanged", &wire.StateChange{OldState: connectionState(!ev.Connected), NewState: connectionState(ev.Connected)}
	case media.ConnectionStateChanged:
		return "ConnectionStateChanged", &wire.StateChange{OldState: connectionState(!ev.Connected), NewState: connectionState(ev.Connected)}
	case media.MediaSessionStarted:
		return "MediaSessionStarted", &wire.Plain{}
	case media.MediaSessionTerminated:
		return "MediaSessionTerminated", &wire.Plain{}
	case webrtcep.IceGatheringDone:
		return "IceGatheringDone", &wire.Plain{}
	case webrtcep.IceCandidateFound:
		return "IceCandidateFound", &wire.IceCandidateFound{Candidate: wire.IceCandidate{Complex: wire.NewComplex("IceCandidate"),
			Candidate: ev.Candidate, SdpMid: ev.SdpMid, SdpMLineIndex: ev.SdpMLineIndex}}
	case webrtcep.IceComponentStateChanged:
		return "IceComponentStateChanged", &wire.IceComponentStateChanged{StreamID: 1, ComponentID: 1, State: iceStateName(ev.State)}
	case webrtcep.NewCandidatePairSelected:
		return "NewCandidatePairSelected", &wire.NewCandidatePairSelected{CandidatePair: candidatePair(ev)}
	case webrtcep.DtlsStateChanged:
		return "DtlsConnectionStateChange", &wire.DtlsConnectionStateChange{StreamID: "1", ComponentID: "1", ConnectionID: "1", State: dtlsStateName(ev.State)}
	case webrtcep.DataChannelOpened:
		return "DataChannelOpened", &wire.DataChannelEvent{ChannelID: ev.ChannelID}
	case webrtcep.DataChannelClosed:
		return "DataChannelClosed", &wire.DataChannelEvent{ChannelID: ev.ChannelID}
	case media.ErrorEvent:
		if errors.Is(ev.Err, webrtcep.ErrICEFailed) {
			return "Error", &wire.ErrorEvent{EventBase: wire.EventBase{Type: "ICE_FAILED"}, Description: ev.Err.Error(), ErrorCode: wire.ErrICEGatherCandidates}
		}
		return "Error", &wire.ErrorEvent{EventBase: wire.EventBase{Type: "UNEXPECTED_ERROR"}, Description: ev.Err.Error(), ErrorCode: wire.ErrUnexpected}
	}
	return "", nil
}

// candidatePair is the IceCandidatePair of the (single, bundled) stream.
func candidatePair(p webrtcep.NewCandidatePairSelected) wire.IceCandidatePair {
	return wire.IceCandidatePair{Complex: wire.NewComplex("IceCandidatePair"), StreamID: "1", ComponentID: 1,
		LocalCandidate: p.LocalCandidate, RemoteCandidate: p.RemoteCandidate}
}
