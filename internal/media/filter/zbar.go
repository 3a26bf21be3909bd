package filter

import (
	"context"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/procelem"
	"github.com/gorento/gorento/internal/media/process"
)

// CodeFound reports a bar code or QR code in view (ZBarFilter).
type CodeFound struct {
	CodeType string // "QR-Code", "EAN-13"…
	Value    string
}

// MediaEvent implements media.Event.
func (CodeFound) MediaEvent() {}

// ZBar is Kurento's ZBarFilter: it reports the codes it sees; the video
// passes unchanged.
type ZBar struct{ Filter }

// NewZBar creates a ZBarFilter in p; its CodeFound events go to o.Events.
func NewZBar(ctx context.Context, p *media.Pipeline, o Options) (*ZBar, error) {
	f, err := newFilter(ctx, p, o, media.Video, process.Processing{Kind: process.ProcZBar}, func(e *procelem.Element, ev process.Event) {
		if ev.Kind == process.EventCode {
			e.Core().Emit(CodeFound{CodeType: ev.CodeType, Value: ev.Value})
		}
	})
	if err != nil {
		return nil, err
	}
	return &ZBar{f}, nil
}
