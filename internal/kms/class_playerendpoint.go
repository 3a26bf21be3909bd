package kms

import (
	"errors"
	"time"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/player"
	"github.com/gorento/gorento/internal/media/player/source"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

var classPlayerEndpoint = &Class{
	Name: "PlayerEndpoint", Parent: classUriEndpoint, Module: "elements",
	Constructor: constructor(newPlayerEndpoint),
	Props: []*Property{
		readOnly("videoInfo", "VideoInfo", func(c *call) (any, error) {
			in := playerImpl(c).VideoInfo()
			return wire.VideoInfo{Complex: wire.NewComplex("VideoInfo"), IsSeekable: in.Seekable,
				SeekableInit: in.SeekableInit.Milliseconds(), SeekableEnd: in.SeekableEnd.Milliseconds(),
				Duration: in.Duration.Milliseconds()}, nil
		}),
		readOnly("elementGstreamerDot", "String", func(c *call) (any, error) { return playerImpl(c).Describe(), nil }),
		readWrite("position", "int64",
			func(c *call) (any, error) { return playerImpl(c).Position().Milliseconds(), nil },
			func(c *call, ms int64) error {
				if err := playerImpl(c).SetPosition(time.Duration(ms) * time.Millisecond); err != nil {
					return kurentoError(wire.ErrPlayerSeekFail, "Seek fails")
				}
				return nil
			}),
	},
	Methods: []*Method{
		method("play", "", func(c *call, _ none) (any, error) {
			playerImpl(c).Play() // a refused transition is logged, never an error (KMS)
			return nil, nil
		}),
		method("getStats", "Stats<>", func(c *call, in statsQuery) (any, error) { return endpointStats(c, in), nil }),
	},
	Events: []EventSpec{
		raises("EndOfStream", func(player.EndOfStream) wire.Event { return &wire.Plain{} }),
		raises("Error", playerError),
	},
}

// playerError is KMS's Error of a player: fixed descriptions and code 0
// for URI and media failures (PlayerEndpointImpl), else as other elements.
func playerError(e media.ErrorEvent) wire.Event {
	switch {
	case errors.Is(e.Err, source.ErrInvalidURI):
		return &wire.ErrorEvent{EventBase: wire.EventBase{Type: "INVALID_URI"}, Description: "Invalid URI", ErrorCode: 0}
	case errors.Is(e.Err, source.ErrInvalidMedia):
		return &wire.ErrorEvent{EventBase: wire.EventBase{Type: "INVALID_MEDIA"}, Description: "Invalid Media", ErrorCode: 0}
	}
	return errorEvent(e, []errorKind{
		{player.ErrTranscode, "STREAM_ERROR_FAILED", gstStreamFailed},
		{player.ErrSeek, "UNEXPECTED_ELEMENT_ERROR", wire.ErrPlayerSeekFail},
	})
}

func newPlayerEndpoint(cc *createCall, in struct {
	Pipeline        *Object `kurento:"mediaPipeline,type=MediaPipeline"`
	URI             string  `kurento:"uri"`
	UseEncodedMedia bool    `kurento:"useEncodedMedia,default=false"`
	NetworkCache    int     `kurento:"networkCache,default=2000"`
}) error {
	if in.NetworkCache < 0 {
		return kurentoError(wire.ErrIllegalParam, "networkCache must not be negative")
	}
	o := cc.newObject(in.Pipeline)
	opts := player.Options{URI: cc.server.resolveURI(o, in.URI), UseEncodedMedia: in.UseEncodedMedia,
		NetworkCache: time.Duration(in.NetworkCache) * time.Millisecond, Transcoders: cc.server.workerLegs(o)}
	pl, err := player.New(o.mediaPipeline(), opts, cc.server.cfg.Player, cc.server.mediaEvents(o))
	if err != nil {
		return mediaError(err)
	}
	pl.Core().Owner = o
	o.impl = pl
	return nil
}

func playerImpl(c *call) *player.Player { return c.obj.impl.(*player.Player) }

func init() { register(classPlayerEndpoint) }
