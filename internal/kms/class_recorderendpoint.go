package kms

import (
	"errors"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/container"
	recording "github.com/gorento/gorento/internal/media/recorder"
	"github.com/gorento/gorento/pkg/kurento/wire"
)

// GStreamer error codes KMS puts in the errorCode of element errors.
const (
	gstStreamFailed      = 1
	gstResourceOpenWrite = 6
	gstResourceWrite     = 10
	gstResourceNoSpace   = 14
)

var classRecorderEndpoint = &Class{
	Name: "RecorderEndpoint", Parent: classUriEndpoint, Module: "elements",
	Constructor: constructor(newRecorderEndpoint),
	Methods: []*Method{
		method("record", "", func(c *call, _ none) (any, error) {
			rec(c).Record() // a refused transition is logged, never an error (KMS)
			return nil, nil
		}),
		method("stopAndWait", "", func(c *call, _ none) (any, error) {
			rec(c).StopAndWait()
			return nil, nil
		}),
		method("getStats", "Stats<>", func(c *call, in statsQuery) (any, error) { return endpointStats(c, in), nil }),
	},
	Events: []EventSpec{
		raises("Recording", func(recording.Recording) wire.Event { return &wire.Plain{} }),
		raises("Paused", func(recording.Paused) wire.Event { return &wire.Plain{} }),
		raises("Stopped", func(recording.Stopped) wire.Event { return &wire.Plain{} }),
		raises("Error", func(e media.ErrorEvent) wire.Event {
			return errorEvent(e, []errorKind{ // most specific first
				{recording.ErrNoSpace, "RESOURCE_ERROR_NO_SPACE_LEFT", gstResourceNoSpace},
				{recording.ErrOpen, "RESOURCE_ERROR_OPEN", gstResourceOpenWrite},
				{recording.ErrWrite, "RESOURCE_ERROR_WRITE", gstResourceWrite},
				{recording.ErrTranscode, "STREAM_ERROR_FAILED", gstStreamFailed},
			})
		}),
	},
}

func newRecorderEndpoint(cc *createCall, in struct {
	Pipeline          *Object `kurento:"mediaPipeline,type=MediaPipeline"`
	URI               string  `kurento:"uri"`
	Profile           string  `kurento:"mediaProfile,type=MediaProfileSpecType,default=WEBM"`
	StopOnEndOfStream bool    `kurento:"stopOnEndOfStream,default=false"`
}) error {
	o := cc.newObject(in.Pipeline)
	opts := recording.Options{URI: cc.server.resolveURI(o, in.URI), Profile: container.Profile(in.Profile),
		StopOnEndOfStream: in.StopOnEndOfStream, Transcoders: cc.server.workerLegs(o)}
	r, err := recording.New(o.mediaPipeline(), opts, cc.server.cfg.Recorder, cc.server.mediaEvents(o))
	switch {
	case errors.Is(err, recording.ErrProfile) && in.Profile == string(container.ProfileKSR):
		return kurentoError(wire.ErrIllegalParam, "Kurento Split Recorder not supported")
	case errors.Is(err, recording.ErrProfile):
		return kurentoError(wire.ErrIllegalParam, "Media profile %s is not supported by Gorento (WEBM, MKV and MP4 and their _VIDEO_ONLY/_AUDIO_ONLY variants are)", in.Profile)
	case err != nil:
		return mediaError(err)
	}
	r.Core().Owner = o
	o.impl = r
	return nil
}

func rec(c *call) *recording.Recorder { return c.obj.impl.(*recording.Recorder) }

// endpointStats is getStats of a recorder or player: KMS answers an
// EndpointStats entry with the input latencies (measured while the
// pipeline's latencyStats is on).
func endpointStats(c *call, in statsQuery) map[string]any {
	st := wire.EndpointStats{
		StatsBase:    wire.StatsBase{Complex: wire.NewComplex("EndpointStats"), ID: c.obj.id, Type: wire.StatsEndpoint, TimestampMillis: nowFunc().UnixMilli()},
		InputLatency: []wire.MediaLatencyStat{},
		E2ELatency:   []wire.MediaLatencyStat{},
	}
	if pipe := c.obj.mediaPipeline(); pipe != nil && pipe.LatencyStats() {
		st.InputLatency = latencyList(func(mt media.MediaType) (float64, bool) { return c.obj.element().Core().InputLatency(mt) }, in.MediaType)
	}
	return map[string]any{c.obj.id: st}
}

func init() {
	enums["MediaProfileSpecType"] = wire.MediaProfiles
	register(classRecorderEndpoint)
}
