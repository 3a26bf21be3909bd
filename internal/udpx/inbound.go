package udpx

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// InboundHandler takes datagrams from one remote address before Pion's ICE
// UDP mux sees them (see SetInbound).
type InboundHandler interface {
	// HandleInbound is called on the socket's reading goroutine with a
	// datagram from the handler's address. It returns true when it took
	// the datagram (the reader then reads the next one) and false to pass
	// it on to the caller of ReadFromAddrPort (Pion's mux). It must not
	// keep b nor block.
	HandleInbound(b []byte) bool
}

// inboundRoutes is the copy-on-write table of handlers by remote address.
type inboundRoutes struct {
	mu     sync.Mutex // serializes writers
	routes atomic.Pointer[map[netip.AddrPort]InboundHandler]
}

// SetInbound routes the datagrams from remote to h before they reach the
// reader of the Conn (Pion's ICE UDP mux), until the returned cancel is
// called or another handler is set for remote. It lets an endpoint
// receive its media without the mux's goroutine hand-offs (webrtcep's
// direct inbound path). While no handler is set, a read costs one atomic
// load more.
func (c *Conn) SetInbound(remote netip.AddrPort, h InboundHandler) (cancel func()) {
	remote = canonical(remote)
	c.inbound.update(func(m map[netip.AddrPort]InboundHandler) { m[remote] = h })
	return func() {
		c.inbound.update(func(m map[netip.AddrPort]InboundHandler) {
			if m[remote] == h {
				delete(m, remote)
			}
		})
	}
}

func (r *inboundRoutes) update(f func(map[netip.AddrPort]InboundHandler)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	next := map[netip.AddrPort]InboundHandler{}
	if cur := r.routes.Load(); cur != nil {
		for k, v := range *cur {
			next[k] = v
		}
	}
	f(next)
	if len(next) == 0 {
		r.routes.Store(nil)
		return
	}
	r.routes.Store(&next)
}

// handled offers a datagram to the handler of its address.
func (r *inboundRoutes) handled(b []byte, from netip.AddrPort) bool {
	m := r.routes.Load()
	if m == nil {
		return false
	}
	h := (*m)[canonical(from)]
	return h != nil && h.HandleInbound(b)
}

func canonical(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

// InboundHandlers is how many remote addresses have a handler.
func (c *Conn) InboundHandlers() int {
	if m := c.inbound.routes.Load(); m != nil {
		return len(*m)
	}
	return 0
}
