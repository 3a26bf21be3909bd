package jsonrpc

import "net"

// TransportLimits is implemented by network connections that carry limits
// for the JSON-RPC connections over them: a listener that accepts clients
// wraps its connections so that every protocol served on it (the Kurento
// Protocol, the room protocol) gets the listener's limits without each
// handler being told. A transport only tightens: for each limit the
// smaller non-zero value of the handler's and the transport's applies.
type TransportLimits interface {
	JSONRPCLimits() ConnOptions
}

// transportLimits walks the wrapped connections (TLS over TCP …) for limits.
func transportLimits(c net.Conn) ConnOptions {
	for i := 0; c != nil && i < 8; i++ {
		if l, ok := c.(TransportLimits); ok {
			return l.JSONRPCLimits()
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	return ConnOptions{}
}

// tighten returns o with each limit of t that is smaller (or set when o's is not).
func (o ConnOptions) tighten(t ConnOptions) ConnOptions {
	o.MaxFrameBytes = minSet(o.MaxFrameBytes, t.MaxFrameBytes)
	o.MaxQueueBytes = minSet(o.MaxQueueBytes, t.MaxQueueBytes)
	o.WriteTimeout = minSet(o.WriteTimeout, t.WriteTimeout)
	o.IdleTimeout = minSet(o.IdleTimeout, t.IdleTimeout)
	return o
}

func minSet[T ~int64](a, b T) T {
	if a <= 0 || (b > 0 && b < a) {
		return b
	}
	return a
}
