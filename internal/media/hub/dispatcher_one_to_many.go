package hub

import (
	"sync"

	"github.com/gorento/gorento/internal/media"
)

// DispatcherOneToMany sends the media of one source port to every port,
// the source included (KMS DispatcherOneToMany). Switching the source asks
// the new one for a keyframe, so every receiver switches at once.
type DispatcherOneToMany struct {
	*Hub
	routing

	srcMu  sync.Mutex // guards source; held while routes follow it
	source *Port
}

// NewDispatcherOneToMany creates a DispatcherOneToMany in p.
func NewDispatcherOneToMany(p *media.Pipeline) *DispatcherOneToMany {
	d := &DispatcherOneToMany{}
	d.Hub = newHub(p, d)
	return d
}

// SetSource makes every port output source's audio and video.
func (d *DispatcherOneToMany) SetSource(source *Port) error {
	if err := d.own(source); err != nil {
		return err
	}
	d.srcMu.Lock()
	defer d.srcMu.Unlock()
	d.source = source
	d.routeAll(source)
	return nil
}

// RemoveSource stops every port's output.
func (d *DispatcherOneToMany) RemoveSource() {
	d.srcMu.Lock()
	defer d.srcMu.Unlock()
	d.source = nil
	d.routeAll(nil)
}

// Source returns the current source port, nil when none.
func (d *DispatcherOneToMany) Source() *Port {
	d.srcMu.Lock()
	defer d.srcMu.Unlock()
	return d.source
}

func (d *DispatcherOneToMany) routeAll(source *Port) {
	for _, p := range d.Ports() {
		d.set(p, source, media.Audio)
		d.set(p, source, media.Video)
	}
}

func (d *DispatcherOneToMany) added(p *Port) error {
	d.srcMu.Lock()
	defer d.srcMu.Unlock()
	if d.source != nil {
		d.set(p, d.source, media.Audio)
		d.set(p, d.source, media.Video)
	}
	return nil
}

func (d *DispatcherOneToMany) removed(p *Port) {
	d.srcMu.Lock()
	defer d.srcMu.Unlock()
	d.drop(p)
	if d.source == p {
		d.source = nil // KMS: no source any more
		d.routeAll(nil)
	}
}

func (d *DispatcherOneToMany) close()          {}
func (d *DispatcherOneToMany) connected(*Port) {}
