package hub

import (
	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// Composite mixes its ports (KMS Composite): every port receives one
// picture with the video of each port that sends any, in a grid that grows
// with them (ceil(√n) columns, in port order, black where nobody is), and
// the mix of every other port's audio (nobody hears themselves). The
// picture has one encoder per codec the receivers take, shared by the
// ports; each port's audio mix has its own.
type Composite struct {
	*Hub
	mixing
}

// CompositeOptions size the picture (0: KMS's defaults, 800x600 at 15 fps).
type CompositeOptions struct {
	Width, Height, Framerate int
}

// NewComposite creates a Composite in p and its worker element.
func NewComposite(p *media.Pipeline, cfg Processing, o CompositeOptions) (*Composite, error) {
	c := &Composite{mixing: mixing{feeds: [2]bool{true, true}}}
	c.Hub = newHub(p, c)
	m, err := newProcessor(c.Hub, cfg, process.Processing{Kind: process.ProcComposite, Width: o.Width, Height: o.Height, Framerate: o.Framerate},
		[2]bool{media.Video: true}, true)
	if err != nil {
		return nil, err
	}
	c.m = m
	return c, nil
}
