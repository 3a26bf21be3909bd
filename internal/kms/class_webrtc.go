package kms

import (
	"errors"
	"strings"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classEndpoint = &Class{Name: "Endpoint", Parent: classMediaElement, Abstract: true, Module: "core"}

var classSessionEndpoint = &Class{Name: "SessionEndpoint", Parent: classEndpoint, Abstract: true, Module: "core",
	Events: []string{"MediaSessionStarted", "MediaSessionTerminated"}}

var classSdpEndpoint = &Class{
	Name: "SdpEndpoint", Parent: classSessionEndpoint, Abstract: true, Module: "core",
	Props: []*Property{
		bandwidthProperty("maxAudioRecvBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MaxAudioRecv }),
		bandwidthProperty("maxVideoRecvBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MaxVideoRecv }),
	},
	Methods: []*Method{
		{Name: "generateOffer", Params: []ParamSpec{{"options", "OfferOptions", false}}, Fn: func(c *call, p *params) (any, error) {
			var o struct {
				Audio *bool `json:"offerToReceiveAudio"`
				Video *bool `json:"offerToReceiveVideo"`
			}
			if _, err := p.Complex("options", "OfferOptions", &o, false); err != nil {
				return nil, err
			}
			opts := webrtcep.OfferOptions{OfferToReceiveAudio: o.Audio == nil || *o.Audio, OfferToReceiveVideo: o.Video == nil || *o.Video}
			s, err := endpoint(c).GenerateOffer(opts)
			return s, webrtcError(err)
		}},
		{Name: "processOffer", Params: []ParamSpec{{"offer", "String", true}}, Fn: func(c *call, p *params) (any, error) {
			offer, err := p.String("offer")
			if err != nil {
				return nil, err
			}
			s, err := endpoint(c).ProcessOffer(offer)
			return s, webrtcError(err)
		}},
		{Name: "processAnswer", Params: []ParamSpec{{"answer", "String", true}}, Fn: func(c *call, p *params) (any, error) {
			answer, err := p.String("answer")
			if err != nil {
				return nil, err
			}
			s, err := endpoint(c).ProcessAnswer(answer)
			return s, webrtcError(err)
		}},
		{Name: "getLocalSessionDescriptor", Fn: func(c *call, _ *params) (any, error) {
			if s := endpoint(c).LocalDescription(); s != "" {
				return s, nil
			}
			return nil, kurentoError(wire.ErrSDPNoLocalSDP, "Local SDP not available yet")
		}},
		{Name: "getRemoteSessionDescriptor", Fn: func(c *call, _ *params) (any, error) {
			if s := endpoint(c).RemoteDescription(); s != "" {
				return s, nil
			}
			return nil, kurentoError(wire.ErrSDPNoRemoteSDP, "Remote SDP not available yet")
		}},
	},
}

var classBaseRtpEndpoint = &Class{
	Name: "BaseRtpEndpoint", Parent: classSdpEndpoint, Abstract: true, Module: "core",
	Events: []string{"MediaStateChanged", "ConnectionStateChanged"},
	Props: []*Property{
		bandwidthProperty("minVideoRecvBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MinVideoRecv }),
		bandwidthProperty("minVideoSendBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MinVideoSend }),
		bandwidthProperty("maxVideoSendBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MaxVideoSend }),
		bandwidthProperty("mtu", func(b *webrtcep.Bandwidths) *int { return &b.MTU }),
		{Name: "mediaState", Type: "MediaState", ReadOnly: true, Get: func(c *call) (any, error) {
			return connectionState(endpoint(c).State().MediaConnected), nil
		}},
		{Name: "connectionState", Type: "ConnectionState", ReadOnly: true, Get: func(c *call) (any, error) {
			return connectionState(endpoint(c).State().ConnectionConnected), nil
		}},
		rembParamsProperty(),
	},
	Methods: []*Method{
		{Name: "requestKeyframe", Fn: func(c *call, _ *params) (any, error) {
			if !endpoint(c).RequestKeyframeNow() {
				return nil, kurentoError(wire.ErrOperationNotSupported, "No video is being received: cannot request a keyframe")
			}
			return nil, nil
		}},
	},
}

var classWebRtcEndpoint = &Class{
	Name: "WebRtcEndpoint", Parent: classBaseRtpEndpoint, Module: "elements",
	Events: []string{"OnIceCandidate", "IceCandidateFound", "OnIceGatheringDone", "IceGatheringDone",
		"OnIceComponentStateChanged", "IceComponentStateChange", "IceComponentStateChanged", "OnDataChannelOpened",
		"DataChannelOpen", "DataChannelOpened", "OnDataChannelClosed", "DataChannelClose", "DataChannelClosed",
		"NewCandidatePairSelected", "DtlsConnectionStateChange"},
	Props: []*Property{
		iceProperty("stunServerAddress", "String", func(s *webrtcep.ICESettings) any { return &s.STUNAddress }),
		iceProperty("stunServerPort", "int", func(s *webrtcep.ICESettings) any { return &s.STUNPort }),
		iceProperty("turnUrl", "String", func(s *webrtcep.ICESettings) any { return &s.TURNURL }),
		iceProperty("networkInterfaces", "String", func(s *webrtcep.ICESettings) any { return &s.NetworkInterfaces }),
		iceProperty("externalIPv4", "String", func(s *webrtcep.ICESettings) any { return &s.ExternalIPv4 }),
		iceProperty("externalIPv6", "String", func(s *webrtcep.ICESettings) any { return &s.ExternalIPv6 }),
		iceProperty("iceTcp", "boolean", func(s *webrtcep.ICESettings) any { return &s.ICETCP }),
		{Name: "ICECandidatePairs", Type: "IceCandidatePair[]", ReadOnly: true, Get: func(c *call) (any, error) {
			out := []wire.IceCandidatePair{}
			if p := endpoint(c).State().Pair; p != nil {
				out = append(out, candidatePair(*p))
			}
			return out, nil
		}},
		{Name: "IceConnectionState", Type: "IceConnection[]", ReadOnly: true, Get: func(c *call) (any, error) {
			st := endpoint(c).State()
			return []wire.IceConnection{{Complex: wire.NewComplex("IceConnection"), StreamID: "1", ComponentID: 1, State: iceStateName(st.ICE)}}, nil
		}},
		{Name: "DtlsConnectionState", Type: "DtlsConnection[]", ReadOnly: true, Get: func(c *call) (any, error) {
			st := endpoint(c).State()
			return []wire.DtlsConnection{{Complex: wire.NewComplex("DtlsConnection"), StreamID: "1", ComponentID: "1", ConnectionID: "1", State: dtlsStateName(st.DTLS)}}, nil
		}},
	},
	Methods: []*Method{
		{Name: "gatherCandidates", Fn: func(c *call, _ *params) (any, error) {
			return nil, webrtcError(endpoint(c).GatherCandidates())
		}},
		{Name: "addIceCandidate", Params: []ParamSpec{{"candidate", "IceCandidate", true}}, Fn: func(c *call, p *params) (any, error) {
			var ic wire.IceCandidate
			if _, err := p.Complex("candidate", "IceCandidate", &ic, true); err != nil {
				return nil, err
			}
			return nil, webrtcError(endpoint(c).AddIceCandidate(webrtcep.Candidate{Candidate: ic.Candidate, SdpMid: ic.SdpMid, SdpMLineIndex: ic.SdpMLineIndex}))
		}},
		{Name: "createDataChannel", Params: []ParamSpec{{"label", "String", false}, {"ordered", "boolean", false},
			{"maxPacketLifeTime", "int", false}, {"maxRetransmits", "int", false}, {"protocol", "String", false}},
			Fn: createDataChannel},
		{Name: "closeDataChannel", Params: []ParamSpec{{"channelId", "int", true}}, Fn: func(c *call, p *params) (any, error) {
			id, err := p.Int("channelId")
			if err != nil {
				return nil, err
			}
			return nil, webrtcError(endpoint(c).CloseDataChannel(id))
		}},
		{Name: "getStats", Params: []ParamSpec{{"mediaType", "MediaType", false}}, Fn: webrtcStats},
	},
	New: func(cc *createCall) error {
		pipe, err := cc.pipelineParam()
		if err != nil {
			return err
		}
		var opts webrtcep.Options
		if opts.RecvOnly, err = cc.params.OptBool("recvonly", false); err != nil {
			return err
		}
		if opts.SendOnly, err = cc.params.OptBool("sendonly", false); err != nil {
			return err
		}
		if opts.UseDataChannels, err = cc.params.OptBool("useDataChannels", false); err != nil {
			return err
		}
		if opts.CertificateKeyType, err = cc.params.Enum("certificateKeyType", "CertificateKeyType", "RSA", "RSA", "ECDSA"); err != nil {
			return err
		}
		if _, err := cc.params.Enum("qosDscp", "DSCPValue", "NO_VALUE", dscpValues...); err != nil {
			return err
		}
		o := cc.newObject(pipe)
		ep, err := webrtcep.New(o.mediaPipeline(), cc.server.webrtc.engine, opts, cc.server.mediaEvents(o))
		if err != nil {
			return kurentoError(wire.ErrMarshall, "%v", err)
		}
		ep.Core().Owner = o
		o.impl = ep
		return nil
	},
}

var dscpValues = strings.Fields(`NO_DSCP NO_VALUE AUDIO_VERYLOW AUDIO_LOW AUDIO_MEDIUM AUDIO_HIGH VIDEO_VERYLOW VIDEO_LOW
	VIDEO_MEDIUM VIDEO_MEDIUM_THROUGHPUT VIDEO_HIGH VIDEO_HIGH_THROUGHPUT DATA_VERYLOW DATA_LOW DATA_MEDIUM DATA_HIGH
	CHROME_HIGH CHROME_MEDIUM CHROME_LOW CHROME_VERYLOW CS0 CS1 CS2 CS3 CS4 CS5 CS6 CS7 AF11 AF12 AF13 AF21 AF22 AF23
	AF31 AF32 AF33 AF41 AF42 AF43 EF VOICEADMIT LE`)

func endpoint(c *call) *webrtcep.Endpoint { return c.obj.impl.(*webrtcep.Endpoint) }

// webrtcErrorCodes maps the kinds of WebRtcEndpoint failures to Kurento codes.
var webrtcErrorCodes = []struct {
	kind error
	code int
}{
	{webrtcep.ErrInvalidSDP, wire.ErrSDPParse},
	{webrtcep.ErrAlreadyNegotiated, wire.ErrSDPAlreadyNegotiated},
	{webrtcep.ErrNoOfferGenerated, wire.ErrSDPNotOfferGenerated},
	{webrtcep.ErrAnswerProcessed, wire.ErrSDPAnswerAlreadyProcessed},
	{webrtcep.ErrGenerateOffer, wire.ErrSDPGenerateOffer},
	{webrtcep.ErrProcessOffer, wire.ErrSDPProcessOffer},
	{webrtcep.ErrProcessAnswer, wire.ErrSDPProcessAnswer},
	{webrtcep.ErrGather, wire.ErrICEGatherCandidates},
	{webrtcep.ErrAddCandidate, wire.ErrICEAddCandidate},
	{webrtcep.ErrDataChannelsDisabled, wire.ErrOperationNotSupported},
}

// webrtcError maps engine errors of WebRtcEndpoint operations to Kurento errors.
func webrtcError(err error) error {
	if err == nil {
		return nil
	}
	for _, m := range webrtcErrorCodes {
		if errors.Is(err, m.kind) {
			return kurentoError(m.code, "%v", err)
		}
	}
	if errors.Is(err, media.ErrReleased) {
		return kurentoError(wire.ErrObjectNotFound, "Object was released")
	}
	return kurentoError(wire.ErrUnexpected, "%v", err)
}

// bandwidthProperty exposes one bandwidth setting (kbps).
func bandwidthProperty(name string, field func(*webrtcep.Bandwidths) *int) *Property {
	return &Property{Name: name, Type: "int",
		Get: func(c *call) (any, error) {
			b := endpoint(c).Bandwidths()
			return *field(&b), nil
		},
		Set: func(c *call, p *params) error {
			v, err := p.Int(name)
			if err != nil {
				return err
			}
			if v < 0 {
				return kurentoError(wire.ErrIllegalParam, "'%s' must not be negative", name)
			}
			ep := endpoint(c)
			b := ep.Bandwidths()
			*field(&b) = v
			ep.SetBandwidths(b)
			return nil
		}}
}

// iceProperty exposes one ICE setting; changes apply to gatherings that
// have not started.
func iceProperty(name, typ string, field func(*webrtcep.ICESettings) any) *Property {
	return &Property{Name: name, Type: typ,
		Get: func(c *call) (any, error) {
			s := endpoint(c).ICESettings()
			switch f := field(&s).(type) {
			case *string:
				return *f, nil
			case *int:
				return *f, nil
			case *bool:
				return *f, nil
			}
			return nil, nil
		},
		Set: func(c *call, p *params) error {
			ep := endpoint(c)
			s := ep.ICESettings()
			var err error
			switch f := field(&s).(type) {
			case *string:
				*f, err = p.String(name)
			case *int:
				*f, err = p.Int(name)
			case *bool:
				*f, err = p.Bool(name)
			}
			if err != nil {
				return err
			}
			ep.SetICESettings(s)
			return nil
		}}
}

// rembParamsProperty stores RembParams: Gorento leaves congestion control
// to the browsers' own estimators and only forwards receiver estimates, so
// these tuning values are kept for clients that read them back.
func rembParamsProperty() *Property {
	def := map[string]any{"__module__": "kurento", "__type__": "RembParams", "packetsRecvIntervalTop": 100,
		"exponentialFactor": 0.04, "linealFactorMin": 50000, "linealFactorGrade": 30.0, "decrementFactor": 0.5,
		"thresholdFactor": 0.8, "upLosses": 12, "rembOnConnect": 300000}
	return &Property{Name: "rembParams", Type: "RembParams",
		Get: func(c *call) (any, error) {
			c.obj.attrMu.Lock()
			defer c.obj.attrMu.Unlock()
			if v, ok := c.obj.values["rembParams"]; ok {
				return v, nil
			}
			return def, nil
		},
		Set: func(c *call, p *params) error {
			v := map[string]any{}
			if _, err := p.Complex("rembParams", "RembParams", &v, true); err != nil {
				return err
			}
			merged := map[string]any{}
			for k, x := range def {
				merged[k] = x
			}
			for k, x := range v {
				merged[k] = x
			}
			c.obj.attrMu.Lock()
			defer c.obj.attrMu.Unlock()
			if c.obj.values == nil {
				c.obj.values = map[string]any{}
			}
			c.obj.values["rembParams"] = merged
			return nil
		}}
}

func createDataChannel(c *call, p *params) (any, error) {
	var o webrtcep.DataChannelOptions
	var err error
	if o.Label, err = p.OptString("label", ""); err != nil {
		return nil, err
	}
	if o.Ordered, err = p.OptBool("ordered", true); err != nil {
		return nil, err
	}
	if o.MaxPacketLifeTime, err = p.OptInt("maxPacketLifeTime", -1); err != nil {
		return nil, err
	}
	if o.MaxRetransmits, err = p.OptInt("maxRetransmits", -1); err != nil {
		return nil, err
	}
	if o.Protocol, err = p.OptString("protocol", ""); err != nil {
		return nil, err
	}
	if err := endpoint(c).CreateDataChannel(o); err != nil {
		if errors.Is(err, webrtcep.ErrDataChannelsDisabled) {
			return nil, webrtcError(err)
		}
		return nil, kurentoError(wire.ErrIllegalParam, "%v", err)
	}
	return nil, nil
}
