package kms

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// sdpEndpoint is what the SdpEndpoint and BaseRtpEndpoint operations need
// of an element (WebRtcEndpoint, RtpEndpoint); its methods return Kurento
// errors.
type sdpEndpoint interface {
	GenerateOffer(audio, video bool) (string, error)
	ProcessOffer(offer string) (string, error)
	ProcessAnswer(answer string) (string, error)
	LocalDescription() string
	RemoteDescription() string
	States() (mediaConnected, connectionConnected bool)
	RequestKeyframeNow() bool
	Bandwidths() webrtcep.Bandwidths
	SetBandwidths(webrtcep.Bandwidths)
}

// sdpOf returns the object's element as an sdpEndpoint.
func sdpOf(c *call) sdpEndpoint {
	switch impl := c.obj.impl.(type) {
	case *webrtcep.Endpoint:
		return webrtcSDP{impl}
	case sdpEndpoint:
		return impl
	}
	panic("kms: " + c.obj.class.Name + " is not an SdpEndpoint")
}

// webrtcSDP adapts a WebRtcEndpoint to sdpEndpoint.
type webrtcSDP struct{ *webrtcep.Endpoint }

func (w webrtcSDP) GenerateOffer(audio, video bool) (string, error) {
	s, err := w.Endpoint.GenerateOffer(webrtcep.OfferOptions{OfferToReceiveAudio: audio, OfferToReceiveVideo: video})
	return s, webrtcError(err)
}

func (w webrtcSDP) ProcessOffer(offer string) (string, error) {
	s, err := w.Endpoint.ProcessOffer(offer)
	return s, webrtcError(err)
}

func (w webrtcSDP) ProcessAnswer(answer string) (string, error) {
	s, err := w.Endpoint.ProcessAnswer(answer)
	return s, webrtcError(err)
}

func (w webrtcSDP) States() (bool, bool) {
	st := w.State()
	return st.MediaConnected, st.ConnectionConnected
}

var classSdpEndpoint = &Class{
	Name: "SdpEndpoint", Parent: classSessionEndpoint, Abstract: true, Module: "core",
	Props: []*Property{
		bandwidthProperty("maxAudioRecvBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MaxAudioRecv }),
		bandwidthProperty("maxVideoRecvBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MaxVideoRecv }),
	},
	Methods: []*Method{
		method("generateOffer", "String", func(c *call, in struct {
			Options struct {
				Audio *bool `json:"offerToReceiveAudio"`
				Video *bool `json:"offerToReceiveVideo"`
			} `kurento:"options,type=OfferOptions,optional"`
		}) (any, error) {
			o := in.Options
			return sdpOf(c).GenerateOffer(o.Audio == nil || *o.Audio, o.Video == nil || *o.Video)
		}),
		method("processOffer", "String", func(c *call, in struct {
			Offer string `kurento:"offer"`
		}) (any, error) {
			return sdpOf(c).ProcessOffer(in.Offer)
		}),
		method("processAnswer", "String", func(c *call, in struct {
			Answer string `kurento:"answer"`
		}) (any, error) {
			return sdpOf(c).ProcessAnswer(in.Answer)
		}),
		method("getLocalSessionDescriptor", "String", func(c *call, _ none) (any, error) {
			if s := sdpOf(c).LocalDescription(); s != "" {
				return s, nil
			}
			return nil, kurentoError(wire.ErrSDPNoLocalSDP, "Local SDP not available yet")
		}),
		method("getRemoteSessionDescriptor", "String", func(c *call, _ none) (any, error) {
			if s := sdpOf(c).RemoteDescription(); s != "" {
				return s, nil
			}
			return nil, kurentoError(wire.ErrSDPNoRemoteSDP, "Remote SDP not available yet")
		}),
	},
}

var classBaseRtpEndpoint = &Class{
	Name: "BaseRtpEndpoint", Parent: classSdpEndpoint, Abstract: true, Module: "core",
	Events: []EventSpec{
		raises("MediaStateChanged", func(e media.MediaStateChanged) wire.Event { return stateChange(e.Connected) }),
		raises("ConnectionStateChanged", func(e media.ConnectionStateChanged) wire.Event { return stateChange(e.Connected) }),
	},
	Props: []*Property{
		bandwidthProperty("minVideoRecvBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MinVideoRecv }),
		bandwidthProperty("minVideoSendBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MinVideoSend }),
		bandwidthProperty("maxVideoSendBandwidth", func(b *webrtcep.Bandwidths) *int { return &b.MaxVideoSend }),
		bandwidthProperty("mtu", func(b *webrtcep.Bandwidths) *int { return &b.MTU }),
		readOnly("mediaState", "MediaState", func(c *call) (any, error) {
			media, _ := sdpOf(c).States()
			return connectionState(media), nil
		}),
		readOnly("connectionState", "ConnectionState", func(c *call) (any, error) {
			_, conn := sdpOf(c).States()
			return connectionState(conn), nil
		}),
		rembParamsProperty(),
	},
	Methods: []*Method{
		method("requestKeyframe", "", func(c *call, _ none) (any, error) {
			if !sdpOf(c).RequestKeyframeNow() {
				return nil, kurentoError(wire.ErrOperationNotSupported, "No video is being received: cannot request a keyframe")
			}
			return nil, nil
		}),
	},
}

func stateChange(connected bool) wire.Event {
	return &wire.StateChange{OldState: connectionState(!connected), NewState: connectionState(connected)}
}

// bandwidthProperty exposes one bandwidth setting (kbps).
func bandwidthProperty(name string, field func(*webrtcep.Bandwidths) *int) *Property {
	return readWrite(name, "int",
		func(c *call) (any, error) {
			b := sdpOf(c).Bandwidths()
			return *field(&b), nil
		},
		func(c *call, v int) error {
			if v < 0 {
				return kurentoError(wire.ErrIllegalParam, "'%s' must not be negative", name)
			}
			ep := sdpOf(c)
			b := ep.Bandwidths()
			*field(&b) = v
			ep.SetBandwidths(b)
			return nil
		})
}

// rembDefaults are the RembParams KMS reports before any are set.
var rembDefaults = map[string]any{"__module__": "kurento", "__type__": "RembParams", "packetsRecvIntervalTop": 100,
	"exponentialFactor": 0.04, "linealFactorMin": 50000, "linealFactorGrade": 30.0, "decrementFactor": 0.5,
	"thresholdFactor": 0.8, "upLosses": 12, "rembOnConnect": 300000}

// rembParamsProperty stores RembParams: Gorento leaves congestion control
// to the browsers' own estimators and only forwards receiver estimates, so
// these tuning values are kept for clients that read them back.
func rembParamsProperty() *Property {
	return readWrite("rembParams", "RembParams",
		func(c *call) (any, error) {
			return c.obj.attr(func(o *Object) any {
				if v, ok := o.values["rembParams"]; ok {
					return v
				}
				return rembDefaults
			}), nil
		},
		func(c *call, v map[string]any) error {
			merged := map[string]any{}
			for k, x := range rembDefaults {
				merged[k] = x
			}
			for k, x := range v {
				merged[k] = x
			}
			c.obj.attr(func(o *Object) any {
				if o.values == nil {
					o.values = map[string]any{}
				}
				o.values["rembParams"] = merged
				return nil
			})
			return nil
		})
}

func init() { register(classSdpEndpoint, classBaseRtpEndpoint) }
