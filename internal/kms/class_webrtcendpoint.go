package kms

import (
	"errors"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classWebRtcEndpoint = &Class{
	Name: "WebRtcEndpoint", Parent: classBaseRtpEndpoint, Module: "elements",
	Constructor: constructor(newWebRtcEndpoint),
	Events: []EventSpec{
		raises("IceCandidateFound", func(e webrtcep.IceCandidateFound) wire.Event {
			return &wire.IceCandidateFound{Candidate: wire.IceCandidate{Complex: wire.NewComplex("IceCandidate"),
				Candidate: e.Candidate, SdpMid: e.SdpMid, SdpMLineIndex: e.SdpMLineIndex}}
		}, "OnIceCandidate"),
		raises("IceGatheringDone", func(webrtcep.IceGatheringDone) wire.Event { return &wire.Plain{} }, "OnIceGatheringDone"),
		raises("IceComponentStateChanged", func(e webrtcep.IceComponentStateChanged) wire.Event {
			return &wire.IceComponentStateChanged{StreamID: 1, ComponentID: 1, State: iceStateName(e.State)}
		}, "OnIceComponentStateChanged", "IceComponentStateChange"),
		raises("DtlsConnectionStateChange", func(e webrtcep.DtlsStateChanged) wire.Event {
			return &wire.DtlsConnectionStateChange{StreamID: "1", ComponentID: "1", ConnectionID: "1", State: dtlsStateName(e.State)}
		}),
		raises("DataChannelOpened", func(e webrtcep.DataChannelOpened) wire.Event { return &wire.DataChannelEvent{ChannelID: e.ChannelID} },
			"OnDataChannelOpened", "DataChannelOpen"),
		raises("DataChannelClosed", func(e webrtcep.DataChannelClosed) wire.Event { return &wire.DataChannelEvent{ChannelID: e.ChannelID} },
			"OnDataChannelClosed", "DataChannelClose"),
		raises("NewCandidatePairSelected", func(e webrtcep.NewCandidatePairSelected) wire.Event {
			return &wire.NewCandidatePairSelected{CandidatePair: candidatePair(e)}
		}),
		// The failures a WebRtcEndpoint reports in Error events.
		raises("Error", func(e media.ErrorEvent) wire.Event {
			return errorEvent(e, []errorKind{{webrtcep.ErrICEFailed, "ICE_FAILED", wire.ErrICEGatherCandidates},
				{webrtcep.ErrPathChanged, "TRANSPORT_PATH_CHANGED", wire.ErrUnexpected}})
		}),
	},
	Props: []*Property{
		iceProperty("stunServerAddress", func(s *webrtcep.ICESettings) *string { return &s.STUNAddress }),
		iceProperty("stunServerPort", func(s *webrtcep.ICESettings) *int { return &s.STUNPort }),
		iceProperty("turnUrl", func(s *webrtcep.ICESettings) *string { return &s.TURNURL }),
		iceProperty("networkInterfaces", func(s *webrtcep.ICESettings) *string { return &s.NetworkInterfaces }),
		iceProperty("externalIPv4", func(s *webrtcep.ICESettings) *string { return &s.ExternalIPv4 }),
		iceProperty("externalIPv6", func(s *webrtcep.ICESettings) *string { return &s.ExternalIPv6 }),
		iceProperty("iceTcp", func(s *webrtcep.ICESettings) *bool { return &s.ICETCP }),
		readOnly("ICECandidatePairs", "IceCandidatePair[]", func(c *call) (any, error) {
			out := []wire.IceCandidatePair{}
			if p := endpoint(c).State().Pair; p != nil {
				out = append(out, candidatePair(*p))
			}
			return out, nil
		}),
		readOnly("IceConnectionState", "IceConnection[]", func(c *call) (any, error) {
			st := endpoint(c).State()
			return []wire.IceConnection{{Complex: wire.NewComplex("IceConnection"), StreamID: "1", ComponentID: 1, State: iceStateName(st.ICE)}}, nil
		}),
		readOnly("DtlsConnectionState", "DtlsConnection[]", func(c *call) (any, error) {
			st := endpoint(c).State()
			return []wire.DtlsConnection{{Complex: wire.NewComplex("DtlsConnection"), StreamID: "1", ComponentID: "1", ConnectionID: "1", State: dtlsStateName(st.DTLS)}}, nil
		}),
	},
	Methods: []*Method{
		method("gatherCandidates", "", func(c *call, _ none) (any, error) {
			return nil, webrtcError(endpoint(c).GatherCandidates())
		}),
		method("addIceCandidate", "", func(c *call, in struct {
			Candidate wire.IceCandidate `kurento:"candidate,type=IceCandidate"`
		}) (any, error) {
			ic := in.Candidate
			return nil, webrtcError(endpoint(c).AddIceCandidate(webrtcep.Candidate{Candidate: ic.Candidate, SdpMid: ic.SdpMid, SdpMLineIndex: ic.SdpMLineIndex}))
		}),
		method("createDataChannel", "", createDataChannel),
		method("closeDataChannel", "", func(c *call, in struct {
			ID int `kurento:"channelId"`
		}) (any, error) {
			return nil, webrtcError(endpoint(c).CloseDataChannel(in.ID))
		}),
		method("getStats", "Stats<>", webrtcStats),
	},
}

func newWebRtcEndpoint(cc *createCall, in struct {
	Pipeline        *Object `kurento:"mediaPipeline,type=MediaPipeline"`
	RecvOnly        bool    `kurento:"recvonly,default=false"`
	SendOnly        bool    `kurento:"sendonly,default=false"`
	UseDataChannels bool    `kurento:"useDataChannels,default=false"`
	CertKeyType     string  `kurento:"certificateKeyType,type=CertificateKeyType,default=RSA"`
	QosDscp         string  `kurento:"qosDscp,type=DSCPValue,default=NO_VALUE"`
}) error {
	opts := webrtcep.Options{RecvOnly: in.RecvOnly, SendOnly: in.SendOnly, UseDataChannels: in.UseDataChannels, CertificateKeyType: in.CertKeyType,
		MaxRemoteCandidates: cc.server.cfg.Limits.MaxIceCandidates, Quality: cc.server.cfg.Streams}
	o := cc.newObject(in.Pipeline)
	ep, err := webrtcep.New(o.mediaPipeline(), cc.server.webrtc.engine, opts, cc.server.mediaEvents(o))
	if err != nil {
		return kurentoError(wire.ErrMarshall, "%v", err)
	}
	ep.Core().Owner = o
	o.impl = ep
	return nil
}

var dscpValues = strings.Fields(`NO_DSCP NO_VALUE AUDIO_VERYLOW AUDIO_LOW AUDIO_MEDIUM AUDIO_HIGH VIDEO_VERYLOW VIDEO_LOW
	VIDEO_MEDIUM VIDEO_MEDIUM_THROUGHPUT VIDEO_HIGH VIDEO_HIGH_THROUGHPUT DATA_VERYLOW DATA_LOW DATA_MEDIUM DATA_HIGH
	CHROME_HIGH CHROME_MEDIUM CHROME_LOW CHROME_VERYLOW CS0 CS1 CS2 CS3 CS4 CS5 CS6 CS7 AF11 AF12 AF13 AF21 AF22 AF23
	AF31 AF32 AF33 AF41 AF42 AF43 EF VOICEADMIT LE`)

func endpoint(c *call) *webrtcep.Endpoint { return c.obj.impl.(*webrtcep.Endpoint) }

// candidatePair is the IceCandidatePair of the (single, bundled) stream.
func candidatePair(p webrtcep.NewCandidatePairSelected) wire.IceCandidatePair {
	return wire.IceCandidatePair{Complex: wire.NewComplex("IceCandidatePair"), StreamID: "1", ComponentID: 1,
		LocalCandidate: p.LocalCandidate, RemoteCandidate: p.RemoteCandidate}
}

// webrtcErrorCodes maps WebRtcEndpoint's own kinds of failure to Kurento codes.
var webrtcErrorCodes = []kindCode{
	{webrtcep.ErrGather, wire.ErrICEGatherCandidates},
	{webrtcep.ErrAddCandidate, wire.ErrICEAddCandidate},
	{webrtcep.ErrDataChannelsDisabled, wire.ErrOperationNotSupported},
}

// webrtcError maps engine errors of WebRtcEndpoint operations to Kurento errors.
func webrtcError(err error) error { return sdpEndpointError(err, webrtcErrorCodes) }

// iceProperty exposes one ICE setting; changes apply to gatherings that
// have not started.
func iceProperty[T string | int | bool](name string, field func(*webrtcep.ICESettings) *T) *Property {
	var zero T
	kmdType := map[any]string{"": "String", 0: "int", false: "boolean"}[any(zero)]
	return readWrite(name, kmdType,
		func(c *call) (any, error) {
			s := endpoint(c).ICESettings()
			return *field(&s), nil
		},
		func(c *call, v T) error {
			ep := endpoint(c)
			s := ep.ICESettings()
			*field(&s) = v
			ep.SetICESettings(s)
			return nil
		})
}

func createDataChannel(c *call, in struct {
	Label             string `kurento:"label,optional"`
	Ordered           bool   `kurento:"ordered,default=true"`
	MaxPacketLifeTime int    `kurento:"maxPacketLifeTime,default=-1"`
	MaxRetransmits    int    `kurento:"maxRetransmits,default=-1"`
	Protocol          string `kurento:"protocol,optional"`
}) (any, error) {
	err := endpoint(c).CreateDataChannel(webrtcep.DataChannelOptions{Label: in.Label, Ordered: in.Ordered,
		MaxPacketLifeTime: in.MaxPacketLifeTime, MaxRetransmits: in.MaxRetransmits, Protocol: in.Protocol})
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, webrtcep.ErrDataChannelsDisabled):
		return nil, webrtcError(err)
	}
	return nil, kurentoError(wire.ErrIllegalParam, "%v", err)
}

func init() { register(classWebRtcEndpoint) }
