package procelem

import (
	"context"
	"errors"
	"log/slog"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// Backend creates worker elements: the server's *process.Manager. Elements
// get it from whoever creates them; there is no global.
type Backend interface {
	Create(ctx context.Context, key string, spec process.Spec, h process.Handler) (*process.Element, error)
}

var _ Backend = (*process.Manager)(nil)

// Bitrates are the video encoder settings of an element, bits per second
// (KMS's MediaElement encoderBitrate, minEncoderBitrate, maxEncoderBitrate).
// Target is used until the receivers downstream report an estimate; the
// estimate is then followed within Min..Max (0 = unbounded).
type Bitrates struct {
	Target, Min, Max int
}

// DefaultBitrates are KMS's defaults.
var DefaultBitrates = Bitrates{Target: 300_000}

// Config configures New. Zero fields take the defaults.
type Config struct {
	// Backend creates the worker element (required).
	Backend Backend
	// Key selects the worker process: the MediaPipeline's id.
	Key string
	// Media is the media type processed (Video or Audio).
	Media media.MediaType
	// Inputs are the descriptions of the sink pads of Media feeding the
	// worker's inputs, in order (default: the default pad). Packets on
	// other pads of Media are dropped.
	Inputs []string
	// Outputs are the descriptions of the source pads the worker's
	// outputs leave from, in order (default: the default pad).
	Outputs []string
	// Processing is what the worker does between decoding and encoding.
	Processing process.Processing
	// OutputCodecs picks each output's codec from the inputs' codecs (nil
	// for an input on which nothing arrived yet); false waits for more
	// inputs. Default: every output has input 0's codec, so a filter sits
	// between any two endpoints.
	OutputCodecs func(inputs []*media.Codec) ([]*media.Codec, bool)
	// ForwardOthers passes the media types other than Media through
	// unchanged, as a Kurento filter does with the media it does not
	// filter.
	ForwardOthers bool
	// Bitrates bound the video encoders (default DefaultBitrates).
	Bitrates *Bitrates
	// Queue sizes the input queue.
	Queue media.QueueConfig
	// Events receives the graph events (ElementConnected, flows, ErrorEvent).
	Events media.EventHandler
	// OnEvent receives the worker's other events (faces, codes, messages,
	// stats), on the worker element's delivery goroutine; it may start
	// before New returns (e is usable: e.Core().Emit).
	OnEvent func(e *Element, ev process.Event)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Errors.
var (
	// ErrProcessing wraps every failure of the worker element reported
	// as a media.ErrorEvent (crash, hang, pipeline error).
	ErrProcessing = errors.New("media processing failed")
	// ErrNoBackend is returned by New without a Backend.
	ErrNoBackend = errors.New("procelem: no processing back end configured")
)

func (c Config) withDefaults() Config {
	if len(c.Inputs) == 0 {
		c.Inputs = []string{media.DefaultPad}
	}
	if len(c.Outputs) == 0 {
		c.Outputs = []string{media.DefaultPad}
	}
	if c.OutputCodecs == nil {
		n := len(c.Outputs)
		c.OutputCodecs = func(in []*media.Codec) ([]*media.Codec, bool) {
			if in[0] == nil {
				return nil, false
			}
			out := make([]*media.Codec, n)
			for i := range out {
				out[i] = in[0]
			}
			return out, true
		}
	}
	if c.Bitrates == nil {
		b := DefaultBitrates
		c.Bitrates = &b
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}
