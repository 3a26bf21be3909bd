package hub

import (
	"github.com/gorento/gorento/internal/media"
)

// Dispatcher routes the media of a source port to sink ports (KMS
// Dispatcher): each port outputs the input of at most one port.
type Dispatcher struct {
	*Hub
	routing
}

// NewDispatcher creates a Dispatcher in p.
func NewDispatcher(p *media.Pipeline) *Dispatcher {
	d := &Dispatcher{}
	d.Hub = newHub(p, d)
	return d
}

// Connect makes sink output source's audio and video (replacing what it
// output before).
func (d *Dispatcher) Connect(source, sink *Port) error {
	for _, p := range []*Port{source, sink} {
		if err := d.own(p); err != nil {
			return err
		}
	}
	d.set(sink, source, media.Audio)
	d.set(sink, source, media.Video)
	return nil
}

func (d *Dispatcher) added(*Port) error { return nil }
func (d *Dispatcher) removed(p *Port)   { d.drop(p) }
func (d *Dispatcher) close()            {}
func (d *Dispatcher) connected(*Port)   {}
