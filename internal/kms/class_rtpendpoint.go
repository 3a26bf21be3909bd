package kms

import (
	"strconv"
	"strings"
	"sync"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/rtpep"
	"github.com/gorento/gorento/internal/media/webrtcep"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classRtpEndpoint = &Class{
	Name: "RtpEndpoint", Parent: classBaseRtpEndpoint, Module: "elements",
	Constructor: constructor(newRtpEndpoint),
	Methods: []*Method{
		method("getStats", "Stats<>", rtpStats),
	},
	Events: []EventSpec{
		raises("OnKeySoftLimit", func(e rtpep.KeySoftLimit) wire.Event {
			return &wire.OnKeySoftLimit{MediaType: mediaTypeName(e.MediaType)}
		}),
	},
}

// rtpElement is the object behind an RtpEndpoint: the media element and
// the bandwidth properties BaseRtpEndpoint declares. Plain RTP carries no
// congestion control and Gorento does not transcode, so these are kept for
// clients that read them back and announced as b=AS nowhere yet.
type rtpElement struct {
	*rtpep.Endpoint
	mu sync.Mutex // guards bw
	bw webrtcep.Bandwidths
}

var _ sdpEndpoint = (*rtpElement)(nil)

func newRtpEndpoint(cc *createCall, in struct {
	Pipeline *Object `kurento:"mediaPipeline,type=MediaPipeline"`
	Crypto   struct {
		Key       string `json:"key"`
		KeyBase64 string `json:"keyBase64"`
		Crypto    string `json:"crypto"`
	} `kurento:"crypto,type=SDES,optional"`
	UseIPv6 bool `kurento:"useIpv6,default=false"`
}) error {
	c := in.Crypto
	opts := rtpep.Options{Crypto: rtpep.SDES{Key: c.Key, KeyBase64: c.KeyBase64, Suite: c.Crypto}, IPv6: in.UseIPv6}
	o := cc.newObject(in.Pipeline)
	ep, err := rtpep.New(o.mediaPipeline(), cc.server.rtp, opts, cc.server.mediaEvents(o))
	if err != nil {
		return rtpError(err)
	}
	ep.Core().Owner = o
	o.impl = &rtpElement{Endpoint: ep, bw: webrtcep.Bandwidths{MinVideoSend: 100, MaxVideoSend: 500, MTU: 1200}}
	return nil
}

func (r *rtpElement) GenerateOffer(audio, video bool) (string, error) {
	s, err := r.Endpoint.GenerateOffer(rtpep.OfferOptions{OfferToReceiveAudio: audio, OfferToReceiveVideo: video})
	return s, rtpError(err)
}

func (r *rtpElement) ProcessOffer(offer string) (string, error) {
	s, err := r.Endpoint.ProcessOffer(offer)
	return s, rtpError(err)
}

func (r *rtpElement) ProcessAnswer(answer string) (string, error) {
	s, err := r.Endpoint.ProcessAnswer(answer)
	return s, rtpError(err)
}

func (r *rtpElement) States() (bool, bool) {
	st := r.State()
	return st.MediaConnected, st.ConnectionConnected
}

func (r *rtpElement) Bandwidths() webrtcep.Bandwidths {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bw
}

func (r *rtpElement) SetBandwidths(b webrtcep.Bandwidths) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bw = b
}

// rtpStats is getStats for an RtpEndpoint: an inbound and an outbound RTP
// entry per negotiated kind (as KMS), and the endpoint's latency entry.
func rtpStats(c *call, in statsQuery) (any, error) {
	ep := c.obj.impl.(*rtpElement)
	out := endpointStats(c, in)
	now := nowFunc().UnixMilli()
	for _, kind := range []media.MediaType{media.Audio, media.Video} {
		if in.MediaType != nil && *in.MediaType != kind {
			continue
		}
		st := ep.Stats(kind)
		if !st.Negotiated {
			continue
		}
		name := strings.ToLower(mediaTypeName(kind))
		if st.Receiving {
			id := c.obj.id + "_in_" + name
			out[id] = wire.InboundRTPStats{StatsBase: wire.StatsBase{Complex: wire.NewComplex("RTCInboundRTPStreamStats"), ID: id,
				Type: wire.StatsInboundRTP, TimestampMillis: now},
				RTPStreamStats:  wire.RTPStreamStats{SSRC: strconv.FormatUint(uint64(st.RemoteSSRC), 10), PliCount: int64(st.PLISent), PacketsLost: st.Lost},
				PacketsReceived: int64(st.Received), BytesReceived: int64(st.ReceivedBytes)}
		}
		if st.Sending {
			id := c.obj.id + "_out_" + name
			out[id] = wire.OutboundRTPStats{StatsBase: wire.StatsBase{Complex: wire.NewComplex("RTCOutboundRTPStreamStats"), ID: id,
				Type: wire.StatsOutboundRTP, TimestampMillis: now},
				RTPStreamStats: wire.RTPStreamStats{SSRC: strconv.FormatUint(uint64(st.SSRC), 10), PliCount: int64(st.PLIReceived)},
				PacketsSent:    int64(st.Sent), BytesSent: int64(st.SentBytes)}
		}
	}
	return out, nil
}

// rtpErrorCodes maps RtpEndpoint's own kinds of failure to Kurento codes.
var rtpErrorCodes = []kindCode{
	{rtpep.ErrCrypto, wire.ErrMarshall},
	{rtpep.ErrTooManyEndpoints, wire.ErrNotEnoughResources},
	{rtpep.ErrNoPorts, wire.ErrNotEnoughResources},
}

// rtpError maps engine errors of RtpEndpoint operations to Kurento errors.
func rtpError(err error) error { return sdpEndpointError(err, rtpErrorCodes) }

func init() {
	enums["CryptoSuite"] = rtpep.CryptoSuites()
	register(classRtpEndpoint)
}
