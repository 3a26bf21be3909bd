package hub

import (
	"context"
	"sync"

	"github.com/gorento/gorento/internal/media"
	"github.com/gorento/gorento/internal/media/process"
)

// AlphaBlending stacks its ports' video (KMS AlphaBlending): the master's
// picture sets the size and lies at its z-order; a port given properties
// takes its position and size relative to the master's, at its z-order;
// any other covers the picture at z-order 1. Every port receives the
// result; audio is not mixed (KMS drops it).
type AlphaBlending struct {
	*Hub
	mixing

	layoutMu sync.Mutex // guards layout; held while it is sent
	layout   process.Layout
}

// KMS's defaults: the first port is the master, at z-order 5.
const (
	defaultMaster  = 0
	defaultZMaster = 5
)

// NewAlphaBlending creates an AlphaBlending in p and its worker element.
func NewAlphaBlending(p *media.Pipeline, cfg Processing) (*AlphaBlending, error) {
	a := &AlphaBlending{mixing: mixing{feeds: [2]bool{media.Video: true}}, layout: process.Layout{Master: defaultMaster, ZMaster: defaultZMaster}}
	a.Hub = newHub(p, a)
	m, err := newProcessor(a.Hub, cfg, process.Processing{Kind: process.ProcAlphaBlending}, [2]bool{media.Video: true}, false)
	if err != nil {
		return nil, err
	}
	a.m = m
	if err := a.send(); err != nil {
		m.stop()
		return nil, err
	}
	return a, nil
}

// SetMaster makes port the master, drawn at zOrder.
func (a *AlphaBlending) SetMaster(port *Port, zOrder int) error {
	if err := a.own(port); err != nil {
		return err
	}
	a.layoutMu.Lock()
	defer a.layoutMu.Unlock()
	a.layout.Master, a.layout.ZMaster = port.id, zOrder
	return a.sendLocked()
}

// PortProperties place a port relative to the master (fractions of its
// size; greater z-orders are drawn on top).
type PortProperties struct {
	RelativeX, RelativeY, RelativeWidth, RelativeHeight float64
	ZOrder                                              int
}

// SetPortProperties places port.
func (a *AlphaBlending) SetPortProperties(port *Port, pp PortProperties) error {
	if err := a.own(port); err != nil {
		return err
	}
	a.layoutMu.Lock()
	defer a.layoutMu.Unlock()
	pl := process.PortLayout{Port: port.id, RelativeX: pp.RelativeX, RelativeY: pp.RelativeY,
		RelativeWidth: pp.RelativeWidth, RelativeHeight: pp.RelativeHeight, ZOrder: pp.ZOrder}
	ports := a.layout.Ports[:0:0]
	for _, x := range a.layout.Ports {
		if x.Port != port.id {
			ports = append(ports, x)
		}
	}
	a.layout.Ports = append(ports, pl)
	return a.sendLocked()
}

func (a *AlphaBlending) send() error {
	a.layoutMu.Lock()
	defer a.layoutMu.Unlock()
	return a.sendLocked()
}

func (a *AlphaBlending) sendLocked() error {
	l := a.layout
	return a.m.request(func(ctx context.Context) error { return a.m.w.SetLayout(ctx, l) })
}
